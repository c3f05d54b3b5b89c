"""Leave-one-writer-out scoring: each training writer is scored by a topic classifier that
learnt from the other writers' questions, never from its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from knowledge_base import Matcher, load_knowledge_base
from knowledge_base.cross_fit import score_left_out, training_questions
from knowledge_base.evaluate import LabelledQuestion
from knowledge_base.thresholds import score_questions
from knowledge_base.topic_classifier import TopicClassifier, question_examples

from .conftest import entry_text
from .test_topic_classifier import SLEEP_PHRASINGS


def _question(text: str, topic: str | None = "slapen-kind") -> LabelledQuestion:
    return LabelledQuestion(text, "in_scope" if topic else "out_of_scope", topic, "nl", False)


def test_each_writer_is_scored_by_a_classifier_that_never_saw_its_questions(
    write_entry: Callable[..., Path], topics_file: Path
) -> None:
    write_entry("driftbuien-test", entry_text())
    write_entry("slapen-kind-test", entry_text("slapen-kind-test", "slapen-kind",
                                               phrasings=SLEEP_PHRASINGS), folder="slapen-kind")
    kb = load_knowledge_base(topics_file.parent / "entries", topics_file)
    matcher = Matcher(kb)
    writers = {
        "anna": [_question("ze wordt elke nacht gillend wakker van een nachtmerrie"),
                 _question("wat is de hoofdstad van frankrijk", None)],
        "bram": [_question("mijn dochter heeft elke nacht een nachtmerrie"),
                 _question("hij krijst en schopt in de winkel", "driftbuien")],
        "cor": [_question("hij schrikt gillend wakker uit een nachtmerrie")],
    }
    left_out = score_left_out(matcher, writers)
    assert {name: s.classifier_questions for name, s in left_out.items()} == {
        "anna": 3, "bram": 3, "cor": 4}  # out-of-scope questions count: the OUTSIDE class
    assert all(0.0 <= s.top1 <= 1.0 for s in left_out.values())
    assert [s.label for s in left_out["anna"].scored] == ["in_scope", "out_of_scope"]

    # anna's figures are exactly those of a matcher whose classifier learnt bram and cor only.
    others = question_examples(
        training_questions([*writers["bram"], *writers["cor"]]), kb, matcher.index)
    without_anna = matcher.with_classifier(
        TopicClassifier(kb, matcher.index, stored=None, questions=others))
    assert left_out["anna"].scored == score_questions(without_anna, writers["anna"])
    everyone = matcher.with_classifier(TopicClassifier(
        kb, matcher.index, stored=None,
        questions=question_examples(training_questions(
            [q for questions in writers.values() for q in questions]), kb, matcher.index)))
    assert left_out["anna"].scored != score_questions(everyone, writers["anna"])
