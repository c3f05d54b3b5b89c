"""Each training question writer scored by a matcher whose topic classifier never learnt from it.

The shipped topic classifier learns from every training writer's labelled questions
(`adviceline kb train-topics`), so the shipped matcher scores those writers on text it was trained
on. For leave-one-writer-out figures each writer is scored instead by a matcher whose classifier
was trained on the knowledge base and the other training writers only; the answer thresholds
are then chosen on those left-out scores (`knowledge_base.thresholds`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge_base.evaluate import LabelledQuestion, read_devset
from knowledge_base.index import Analysis
from knowledge_base.matcher import Matcher
from knowledge_base.thresholds import Scored, score_questions
from knowledge_base.topic_classifier import OUTSIDE, TopicClassifier, question_examples


@dataclass(frozen=True)
class LeftOutScores:
    """One training writer as scored without its own questions in the topic classifier."""

    scored: list[Scored]
    top1: float  # the right topic ranked first, of its in-scope questions
    classifier_questions: int  # labelled questions that classifier learnt from (others' only)


def training_questions(questions: Sequence[LabelledQuestion]) -> list[tuple[str, str]]:
    """What the topic classifier learns of a writer: `(topic, text)` of each in-scope question,
    `(OUTSIDE, text)` of each out-of-scope one (crisis questions are the crisis model's)."""
    return ([(q.topic, q.q) for q in questions if q.label == "in_scope" and q.topic]
            + [(OUTSIDE, q.q) for q in questions if q.label == "out_of_scope"])


def read_training_questions(devset: Path, tuning: Sequence[Path]) -> list[tuple[str, str]]:
    """The dev set's and every tuning writer's labelled questions (never a held-out writer's:
    those are scored, never learnt from)."""
    return [pair for path in (devset, *tuning) for pair in training_questions(read_devset(path))]


def score_left_out(matcher: Matcher, writers: Mapping[str, Sequence[LabelledQuestion]],
                   progress: Callable[[str], None] | None = None) -> dict[str, LeftOutScores]:
    """Each writer scored by `matcher` with a topic classifier trained on the knowledge base
    and the other writers' questions (one classifier per writer)."""
    index = matcher.index
    labelled = {name: training_questions(questions) for name, questions in writers.items()}
    examples: dict[str, list[tuple[str, Analysis]]] = {
        name: question_examples(pairs, matcher.kb, index) for name, pairs in labelled.items()
    }
    result: dict[str, LeftOutScores] = {}
    # Two writers with the same questions (or none) leave the same classifier: train it once.
    trained: dict[tuple[tuple[str, str], ...], TopicClassifier] = {}
    for name, questions in writers.items():
        key = tuple(sorted(pair for other, pairs in labelled.items() if other != name
                           for pair in pairs))
        others = [example for other, some in examples.items() if other != name
                  for example in some]
        classifier = trained.get(key)
        if classifier is None:
            if progress is not None:
                progress(f"topic classifier without {name} ({len(others)} questions)")
            classifier = TopicClassifier(matcher.kb, index, stored=None, questions=others)
            trained[key] = classifier
        scored = score_questions(matcher.with_classifier(classifier), questions)
        in_scope = [s for s in scored if s.label == "in_scope"]
        right = sum(s.best_topic == s.topic for s in in_scope)
        result[name] = LeftOutScores(scored, right / len(in_scope) if in_scope else 1.0,
                                     len(others))
    return result
