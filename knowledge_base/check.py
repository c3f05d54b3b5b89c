"""`adviceline kb check`: every rule an entry file must follow, reported as "path: problem".

Structural problems come from loading; quality rules (phrasing count, an English phrasing, answer
length, placeholders, the warning-signs block, a review that covers the current text, file
location) are checked here. Every phrasing must share a word with its answer, and every phrasing
is matched against the rest of the knowledge base with the real matcher (leave-one-out): a
phrasing that lands on another topic confuses parents and the matcher alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge_base.crisis_lines import CRISIS_LINES, handwritten_lines
from knowledge_base.index import AGE_TERM_PREFIX
from knowledge_base.loading import load_topics, read_entry_files
from knowledge_base.matcher import Matcher, MatcherSettings
from knowledge_base.model import (
    DEFAULT_ENTRIES_DIR,
    DEFAULT_TOPICS_FILE,
    Entry,
    KnowledgeBase,
    KnowledgeBaseError,
)
from knowledge_base.normalise import detect_language, words
from knowledge_base.render import KNOWN_PLACEHOLDERS, fill_fixed, placeholders_in
from knowledge_base.review import fingerprint
from knowledge_base.warning_signs import HEALTH_TOPICS, block_problems

MIN_PHRASINGS = 6
# A phrasing is reported when another topic beats its own by more than this many points (0..100):
# gaps of a few points are scoring noise, not a phrasing filed under the wrong topic.
CONFUSION_MARGIN = 10.0
ANSWER_WORDS = (80, 250)
_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_\-]+)\s*\}\}")
_STRAY_BRACES = re.compile(r"\{\{|\}\}")


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def check_knowledge_base(
    entries_dir: Path = DEFAULT_ENTRIES_DIR,
    topics_file: Path = DEFAULT_TOPICS_FILE,
    settings: MatcherSettings | None = None,
    today: date | None = None,
    confusion_margin: float = CONFUSION_MARGIN,
) -> list[Problem]:
    """Every problem in the knowledge base; an empty list means it is fine."""
    try:
        topics = load_topics(topics_file)
    except KnowledgeBaseError as error:
        return [_problem_from_line(line, topics_file) for line in error.problems]
    today = today or date.today()
    problems: list[Problem] = []
    entries: dict[str, Entry] = {}
    for entry_file in read_entry_files(entries_dir, topics):
        path = str(entry_file.path)
        problems.extend(Problem(path, message) for message in entry_file.problems)
        if entry_file.entry is not None:
            entries[entry_file.entry.id] = entry_file.entry
            problems.extend(Problem(path, m) for m in entry_problems(entry_file.entry, today))
    if not entries:
        problems.append(Problem(str(entries_dir), "no entry files found"))
        return problems
    kb = KnowledgeBase(topics=topics, entries=entries)
    matcher = Matcher(kb, settings)
    problems.extend(unanswered_phrasings(matcher))
    problems.extend(confusable_phrasings(matcher, confusion_margin))
    return problems


def _problem_from_line(line: str, default_path: Path) -> Problem:
    path, separator, message = line.partition(": ")
    return Problem(path, message) if separator else Problem(str(default_path), line)


def entry_problems(entry: Entry, today: date) -> list[str]:
    """The quality rules for one entry that need no other entry."""
    problems: list[str] = []
    if not _ID_PATTERN.match(entry.id):
        problems.append(f"id {entry.id!r} must be ascii kebab-case (a-z, 0-9, -)")
    if entry.path.stem != entry.id:
        problems.append(f"file name must be the id: {entry.id}.md")
    if entry.path.parent.name != entry.topic:
        problems.append(f"file must be in the folder of its topic: {entry.topic}/")
    if len(entry.phrasings) < MIN_PHRASINGS:
        problems.append(
            f"only {len(entry.phrasings)} phrasings; at least {MIN_PHRASINGS} are needed"
        )
    if not any(detect_language(words(phrasing)) == "en" for phrasing in entry.phrasings):
        problems.append("no English phrasing (at least one phrasing must be in English)")
    duplicates = {p for p in entry.phrasings if entry.phrasings.count(p) > 1}
    problems.extend(f"phrasing listed twice: {p!r}" for p in sorted(duplicates))
    count = answer_word_count(fill_fixed(entry.answer_nl, "nl"))
    low, high = ANSWER_WORDS
    if not low <= count <= high:
        problems.append(f"Dutch answer has {count} words; it must have {low}-{high}")
    for language, text in (("nl", entry.answer_nl), ("en", entry.answer_en)):
        for name in placeholders_in(text):
            if name not in KNOWN_PLACEHOLDERS:
                problems.append(
                    f"unknown placeholder {{{{{name}}}}} in the {language} answer; "
                    f"known: {', '.join(sorted(KNOWN_PLACEHOLDERS))}"
                )
        if _STRAY_BRACES.search(_PLACEHOLDER.sub("", text)):
            problems.append(f"unbalanced {{{{ or }}}} in the {language} answer")
    for language, text in (("nl", entry.answer_nl), ("en", entry.answer_en)):
        for found in handwritten_lines(text):
            problems.append(
                f"crisis line written by hand in the {language} answer ({found!r}): use "
                f"{', '.join('{{' + line + '}}' for line in CRISIS_LINES)} instead"
            )
    problems.extend(
        block_problems(entry.answer_nl, entry.answer_en, required=entry.topic in HEALTH_TOPICS)
    )
    review = entry.last_reviewed
    if review.on > today:
        problems.append(f"last_reviewed.on {review.on.isoformat()} is in the future")
    current = fingerprint(entry.question, entry.question_en, entry.answer_nl, entry.answer_en)
    if review.text != current:
        problems.append(
            f"changed since its review on {review.on.isoformat()} by {review.by}: read it again "
            f"and record the review with `adviceline kb review {entry.id} --by NAME`"
        )
    return problems


def answer_word_count(text: str) -> int:
    """Words a parent reads: placeholders count as one word, Markdown marks as none."""
    return len(_WORD.findall(_PLACEHOLDER.sub(" x ", text)))


def unanswered_phrasings(matcher: Matcher) -> list[Problem]:
    """Phrasings none of whose words (as the matcher reads them) occur in the entry's answer.

    An entry promises to answer each of its phrasings. This cannot prove that it does, but a
    phrasing sharing not one word (lemma, stem or synonym concept) with the answer in its own
    language is a question the answer does not speak to: 'cyberpesten' under an answer that
    never says it, 'na de prik' under one about fever only.
    """
    problems: list[Problem] = []
    index = matcher.index
    for entry in matcher.kb.entries.values():
        # Both languages: a short phrasing's language is a guess ("nachtluier weglaten of
        # wachten" reads as English), and a word in either answer is the entry speaking to it.
        answer_terms = frozenset(index.analyse(fill_fixed(entry.answer_nl, "nl")).terms) | (
            frozenset(index.analyse(fill_fixed(entry.answer_en, "en")).terms)
        )
        for phrasing in entry.phrasings:
            analysis = index.analyse(phrasing)
            words = [t for t in analysis.terms if not t.startswith(AGE_TERM_PREFIX)]
            if words and not answer_terms.intersection(words):
                problems.append(
                    Problem(
                        str(entry.path),
                        f"phrasing {phrasing!r} is not answered: none of its words "
                        f"({', '.join(analysis.words)}) occurs in the answer",
                    )
                )
    return problems


def confusable_phrasings(matcher: Matcher, margin: float = CONFUSION_MARGIN) -> list[Problem]:
    """Phrasings that, left out of their entry, match another topic by `margin` over their own."""
    problems: list[Problem] = []
    index = matcher.index
    for doc_index, document in enumerate(index.documents):
        if document.source is None:
            continue
        entry_id = index.entry_ids[document.entry]
        entry = matcher.kb.entries[entry_id]
        ranked = matcher.rank(index.analyse(document.source), exclude_document=doc_index)
        if not ranked or ranked[0].topic == entry.topic:
            continue
        own = next((c for c in ranked if c.topic == entry.topic), None)
        if own is not None and ranked[0].score - own.score < margin:
            continue
        own_text = f"{own.score:.0f} ({own.entry})" if own else "0"
        problems.append(
            Problem(
                str(entry.path),
                f"phrasing {document.source!r} is closer to topic {ranked[0].topic} "
                f"({ranked[0].entry}, score {ranked[0].score:.0f}) than to its own topic "
                f"{entry.topic} (score {own_text})",
            )
        )
    return problems
