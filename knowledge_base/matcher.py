"""Decide what to do with a parent's question: answer, suggest entries, route to an adviser, or crisis.

Crisis detection runs first. Then each entry gets a score 0..100 from its best phrasing (idf-weighted
term overlap in both directions, blended with a rapidfuzz token score) and from its phrasings
together (how much of the question the entry's vocabulary explains). Words the knowledge base does
not know count against every entry, so out-of-scope questions score low.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz

from knowledge_base.crisis import CrisisSignal, detect_crisis
from knowledge_base.index import Analysis, TermIndex
from knowledge_base.model import KnowledgeBase

OUTCOMES: tuple[str, ...] = ("answer", "suggest", "route", "crisis")
MAX_CANDIDATES = 5
MAX_MATCH_CHARACTERS = 2_000


@dataclass(frozen=True)
class MatcherSettings:
    answer_threshold: float = 55.0  # score 0..100 at/above which (with the margin) we answer
    suggest_threshold: float = 30.0  # at/above which we suggest
    answer_margin: float = 8.0  # best must beat the best entry of another topic by this much
    max_suggestions: int = 3
    unknown_word_weight: float = 0.6  # share of the highest idf a word no entry has counts for
    fuzzy_weight: float = 0.2  # share of the rapidfuzz token score in a phrasing's score


@dataclass(frozen=True)
class Candidate:
    entry: str
    topic: str
    score: float


@dataclass(frozen=True)
class Decision:
    outcome: str  # "answer" | "suggest" | "route" | "crisis"
    entry: str | None
    topic: str | None
    score: float
    runner_up: Candidate | None
    candidates: tuple[Candidate, ...]
    crisis: CrisisSignal | None
    language: str

    def to_json(self) -> dict[str, object]:
        """The `adviceline match` output line."""
        return {
            "decision": self.outcome,
            "topic": self.topic,
            "entry": self.entry,
            "score": round(self.score, 2),
            "candidates": [
                {"entry": c.entry, "topic": c.topic, "score": round(c.score, 2)}
                for c in self.candidates
            ],
            "language": self.language,
            "crisis": (
                {"category": self.crisis.category, "rule": self.crisis.rule} if self.crisis else None
            ),
        }


class Matcher:
    """Matches questions against one knowledge base snapshot; build once, call decide() often."""

    def __init__(self, kb: KnowledgeBase, settings: MatcherSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or MatcherSettings()
        self.index = TermIndex(kb)

    def decide(self, text: str) -> Decision:
        if not isinstance(text, str):
            text = ""
        crisis = detect_crisis(text)
        analysis = self.index.analyse(text[:MAX_MATCH_CHARACTERS])
        ranked = self.rank(analysis)
        candidates = tuple(ranked[:MAX_CANDIDATES])
        best = candidates[0] if candidates else None
        runner_up = next((c for c in ranked if best and c.topic != best.topic), None)
        if crisis is not None:
            return Decision("crisis", None, None, best.score if best else 0.0, runner_up,
                            candidates, crisis, analysis.language)
        if best is None:
            return Decision("route", None, None, 0.0, None, (), None, analysis.language)
        outcome = self._outcome(best, runner_up)
        shown = candidates if outcome != "suggest" else candidates[: self.settings.max_suggestions]
        if outcome == "suggest":
            shown = candidates
        return Decision(outcome, best.entry, best.topic, best.score, runner_up, shown, None,
                        analysis.language)

    def _outcome(self, best: Candidate, runner_up: Candidate | None) -> str:
        settings = self.settings
        margin = best.score - (runner_up.score if runner_up else 0.0)
        if best.score >= settings.answer_threshold and margin >= settings.answer_margin:
            return "answer"
        if best.score >= settings.suggest_threshold:
            return "suggest"
        return "route"

    def rank(self, analysis: Analysis, exclude_document: int | None = None) -> list[Candidate]:
        """Entries with any term in common with the question, best first.

        `exclude_document` leaves one phrasing out (for the leave-one-out check).
        """
        index = self.index
        settings = self.settings
        if not analysis.terms:
            return []
        unknown_weight = settings.unknown_word_weight * index.max_idf
        query_weight = sum(index.weight(t) for t in analysis.terms) + unknown_weight * len(
            analysis.unknown
        )
        if query_weight <= 0:
            return []
        query_text = " ".join(sorted(analysis.terms))
        hits = index.documents_with(analysis.terms)
        best_document: dict[int, float] = defaultdict(float)
        excluded_entry = -1
        if exclude_document is not None:
            excluded_entry = index.documents[exclude_document].entry
            hits.pop(exclude_document, None)
        for doc_index, terms in hits.items():
            document = index.documents[doc_index]
            matched = sum(index.weight(t) for t in terms)
            precision = matched / query_weight
            recall = matched / document.weight if document.weight else 0.0
            overlap = 2 * precision * recall / (precision + recall) if matched else 0.0
            fuzzy = fuzz.token_sort_ratio(query_text, document.text) / 100.0
            score = (1 - settings.fuzzy_weight) * overlap + settings.fuzzy_weight * fuzzy
            if score > best_document[document.entry]:
                best_document[document.entry] = score
        ranked: list[Candidate] = []
        for entry_index, document_score in best_document.items():
            entry_terms = index.entry_terms[entry_index]
            if entry_index == excluded_entry:
                entry_terms = frozenset().union(
                    *(index.documents[d].terms for d in index.entry_documents[entry_index]
                      if d != exclude_document)
                )
            covered = sum(index.weight(t) for t in analysis.terms if t in entry_terms)
            coverage = covered / query_weight
            score = 100.0 * (0.5 * document_score + 0.5 * coverage)
            ranked.append(
                Candidate(index.entry_ids[entry_index], index.entry_topics[entry_index], score)
            )
        ranked.sort(key=lambda c: (-c.score, c.entry))
        return ranked
