"""The safeguarding corpus: crisis messages and hard negatives, kept per writer.

knowledge_base/safeguarding/<writer>/crisis.jsonl        {"text", "category", "register"}
knowledge_base/safeguarding/<writer>/hard_negatives.jsonl {"text", "near", "register"}
knowledge_base/safeguarding/advisers/*.jsonl             marks exported from the console

Besides the writers, the model sees background negatives: the knowledge base's own questions and
phrasings and the dev set's ordinary questions (weighted lower: they are easy), the dev set's
crisis questions as crisis messages, and the ordinary questions of the matcher's training question
writers (knowledge_base/devset/writers/, full weight): how parents really ask about night terrors,
constipation or autism, which a model taught only on crisis writers' text took for alarms.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge_base.crisis import CATEGORIES
from knowledge_base.model import DEFAULT_DEVSET, KnowledgeBase

DEFAULT_CORPUS = Path(__file__).parent / "safeguarding"
# The matcher's training question writers: ordinary questions, background negatives here.
DEFAULT_QUESTION_WRITERS = Path(__file__).parent / "devset" / "writers"
QUESTIONS = "questions"
# Question topics that are not ordinary for the detector: discovered self-harm is at least a
# concern (an adviser reads it first), so those questions teach the model nothing either way.
NOT_ORDINARY_TOPICS = frozenset({"zelfbeschadiging"})
# Writers kept out of all training and tuning: scored by the shipped detector as it is.
DEFAULT_TEST_CORPUS = Path(__file__).parent / "safeguarding_test"
REGISTERS: tuple[str, ...] = ("direct", "indirect", "third_person", "chat", "flemish", "english",
                              "mixed")
BACKGROUND = ("knowledge_base", "devset")
ADVISERS = "advisers"


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    crisis: bool
    category: str | None  # the crisis category (crisis messages), or the one it resembles
    register: str
    writer: str


def _read_jsonl(path: Path, key: str = "text") -> Iterable[dict[str, object]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path}:{number}: {error}") from error
                if not isinstance(record, dict) or not isinstance(record.get(key), str):
                    raise ValueError(f"{path}:{number}: a line needs a {key}")
                yield record


def writers(corpus: Path = DEFAULT_CORPUS) -> list[str]:
    return sorted(p.name for p in corpus.iterdir()
                  if p.is_dir() and p.name != ADVISERS and (p / "crisis.jsonl").exists())


def load_writer(corpus: Path, writer: str) -> list[LabelledMessage]:
    folder = corpus / writer
    messages = []
    for record in _read_jsonl(folder / "crisis.jsonl"):
        category = str(record.get("category"))
        if category not in CATEGORIES:
            raise ValueError(f"{folder}/crisis.jsonl: unknown category {category!r}")
        messages.append(LabelledMessage(str(record["text"]), True, category,
                                        str(record.get("register", "direct")), writer))
    negatives = folder / "hard_negatives.jsonl"
    if negatives.exists():
        for record in _read_jsonl(negatives):
            near = record.get("near")
            messages.append(LabelledMessage(
                str(record["text"]), False, str(near) if near in CATEGORIES else None,
                str(record.get("register", "direct")), writer))
    return messages


def load_writers(corpus: Path = DEFAULT_CORPUS,
                 names: Iterable[str] | None = None) -> dict[str, list[LabelledMessage]]:
    return {name: load_writer(corpus, name) for name in (names or writers(corpus))}


def load_adviser_labels(corpus: Path = DEFAULT_CORPUS) -> list[LabelledMessage]:
    """Marks advisers made in the console and exported with `kb export-labels`."""
    folder = corpus / ADVISERS
    messages: list[LabelledMessage] = []
    for path in sorted(folder.glob("*.jsonl")) if folder.exists() else ():
        for record in _read_jsonl(path):
            crisis = record.get("label") == "crisis"
            category = record.get("category")
            messages.append(LabelledMessage(
                str(record["text"]), crisis,
                str(category) if category in CATEGORIES else ("other_acute" if crisis else None),
                "adviser", ADVISERS))
    return messages


def background_messages(kb: KnowledgeBase, devset: Path = DEFAULT_DEVSET,
                        question_writers: Path | None = DEFAULT_QUESTION_WRITERS
                        ) -> list[LabelledMessage]:
    """The knowledge base's questions and phrasings, the dev set and the training question
    writers' ordinary questions, as background."""
    messages = []
    for entry in kb.entries.values():
        for text in (entry.question, *entry.phrasings):
            messages.append(LabelledMessage(text, False, None, "direct", "knowledge_base"))
    for record in _read_jsonl(devset, "q"):
        crisis = record.get("label") == "crisis"
        # no category: the dev set's crisis questions teach only the crisis-or-not head
        messages.append(LabelledMessage(str(record["q"]), crisis, None, "direct", "devset"))
    for questions in (question_writer_questions(question_writers).values()
                      if question_writers else ()):
        messages += [LabelledMessage(text, False, None, "direct", QUESTIONS)
                     for text in questions]
    return deduplicated(messages)


def ordinary_questions(path: Path) -> list[str]:
    """A question writer's questions that are no crisis nor a concern (in and out of scope)."""
    return [str(record["q"]) for record in _read_jsonl(path, "q")
            if record.get("label") != "crisis" and record.get("topic") not in NOT_ORDINARY_TOPICS]


def question_writer_questions(folder: Path) -> dict[str, list[str]]:
    """Every question writer's (`<writer>.jsonl`) ordinary questions."""
    return {path.stem: ordinary_questions(path) for path in sorted(folder.glob("*.jsonl"))}


def text_key(text: str) -> str:
    """Two texts with the same key are the same message (case and spacing aside)."""
    return " ".join(text.lower().split())


def deduplicated(messages: Iterable[LabelledMessage]) -> list[LabelledMessage]:
    seen: set[str] = set()
    result = []
    for message in messages:
        key = text_key(message.text)
        if key not in seen:
            seen.add(key)
            result.append(message)
    return result
