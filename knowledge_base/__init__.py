"""The advice line's FAQ knowledge base: entry files, crisis detection and the question matcher.

A pure library: text in, decisions out. No web, database or event loop knowledge lives here.
"""

from knowledge_base.check import Problem, check_knowledge_base
from knowledge_base.crisis import CrisisSignal, detect_crisis
from knowledge_base.evaluate import EvalReport, evaluate
from knowledge_base.loading import load_knowledge_base, load_topics
from knowledge_base.match_lines import match_lines
from knowledge_base.matcher import Candidate, Decision, Matcher, MatcherSettings
from knowledge_base.model import (
    DEFAULT_DEVSET,
    DEFAULT_ENTRIES_DIR,
    DEFAULT_TOPICS_FILE,
    PLACEHOLDERS,
    Entry,
    KnowledgeBase,
    KnowledgeBaseError,
    Topic,
)
from knowledge_base.render import render_answer

__all__ = [
    "DEFAULT_DEVSET",
    "DEFAULT_ENTRIES_DIR",
    "DEFAULT_TOPICS_FILE",
    "PLACEHOLDERS",
    "Candidate",
    "CrisisSignal",
    "Decision",
    "Entry",
    "EvalReport",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Matcher",
    "MatcherSettings",
    "Problem",
    "Topic",
    "check_knowledge_base",
    "detect_crisis",
    "evaluate",
    "load_knowledge_base",
    "load_topics",
    "match_lines",
    "render_answer",
]
