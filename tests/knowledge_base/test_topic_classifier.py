"""The topic classifier: learnt from the entries' own texts, stored weights used only while they
fit the knowledge base, and its share of a score bounded by what the question's words cover."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from knowledge_base import (
    DEFAULT_DEVSET,
    KnowledgeBase,
    Matcher,
    MatcherSettings,
    load_knowledge_base,
)
from knowledge_base.cross_fit import read_training_questions
from knowledge_base.evaluate import DEFAULT_TUNING
from knowledge_base.index import TermIndex
from knowledge_base.topic_classifier import (
    OUTSIDE,
    TopicClassifier,
    question_examples,
    questions_fingerprint,
)

from .conftest import entry_text

SLEEP_PHRASINGS = (
    "mijn peuter wil s avonds niet naar bed",
    "hoe krijg ik mijn kind van 3 in zijn eigen bed",
    "elke avond gedoe met slapengaan",
    "my toddler keeps getting out of bed at night",
    "bedtijd is elke dag een strijd",
    "ze komt tien keer haar bed uit",
)


def _two_topics(write_entry: Callable[..., Path], topics_file: Path) -> KnowledgeBase:
    write_entry("driftbuien-test", entry_text())
    write_entry("slapen-kind-test", entry_text("slapen-kind-test", "slapen-kind",
                                               phrasings=SLEEP_PHRASINGS), folder="slapen-kind")
    return load_knowledge_base(topics_file.parent / "entries", topics_file)


def _topic_probability(
    classifier: TopicClassifier, index: TermIndex, text: str
) -> dict[str, float]:
    per_entry = classifier.posterior(index.analyse(text))
    return {topic: float(p) for topic, p in zip(index.entry_topics, per_entry, strict=True)}


def test_it_learns_topics_from_the_phrasings_and_keeps_weights_only_while_they_fit(
    write_entry: Callable[..., Path], topics_file: Path, tmp_path: Path
) -> None:
    kb = _two_topics(write_entry, topics_file)
    index = TermIndex(kb)
    missing = tmp_path / "none.npz"
    classifier = TopicClassifier(kb, index, stored=missing)
    assert classifier.trained_here
    # Words of neither phrasing list verbatim, but of the sleep entry's language.
    probability = _topic_probability(classifier, index, "hij gaat nooit op tijd naar bed")
    assert probability["slapen-kind"] > probability["driftbuien"]
    assert abs(sum(probability.values()) - 1.0) < 1e-6

    stored = tmp_path / "weights.npz"
    classifier.save(stored)
    again = TopicClassifier(kb, index, stored=stored)
    assert not again.trained_here  # the stored weights fit these entries
    text = "zoon van 2 krijst en schopt in de winkel"
    assert np.allclose(classifier.posterior(index.analyse(text)),
                       again.posterior(index.analyse(text)), atol=1e-3)

    write_entry("slapen-kind-test", entry_text(
        "slapen-kind-test", "slapen-kind", phrasings=(*SLEEP_PHRASINGS, "nachtlampje aan of uit")),
        folder="slapen-kind")
    changed = load_knowledge_base(topics_file.parent / "entries", topics_file)
    assert TopicClassifier(changed, TermIndex(changed), stored=stored).trained_here


def test_the_shipped_weights_are_used_and_a_classifier_never_outweighs_unknown_words(
    real_matcher: Matcher,
) -> None:
    # Unknown words dilute the classifier's share as they dilute the rest of the score.
    covered = real_matcher.decide("mijn peuter wil niet slapen en komt steeds zijn bed uit")
    diluted = real_matcher.decide(
        "mijn peuter wil niet slapen, welke hypotheekrente en zonnepanelen en aandelen kies ik")
    assert covered.score > diluted.score
    without = Matcher(real_matcher.kb, MatcherSettings(classifier_weight=0.0),
                      crisis=real_matcher.crisis)
    assert without.decide("mijn peuter wil niet slapen en komt steeds zijn bed uit").score \
        <= covered.score


def test_labelled_questions_teach_it_words_no_phrasing_has_and_are_stored_with_the_weights(
    write_entry: Callable[..., Path], topics_file: Path, tmp_path: Path
) -> None:
    kb = _two_topics(write_entry, topics_file)
    index = TermIndex(kb)
    text = "ze wordt elke nacht gillend wakker van een nachtmerrie"
    alone = TopicClassifier(kb, index, stored=None)
    questions = question_examples(
        [("slapen-kind", "mijn dochter heeft elke nacht een nachtmerrie"),
         ("slapen-kind", "hij schrikt gillend wakker uit een nachtmerrie"),
         ("geen-topic-hier", "een topic die deze kennisbank niet heeft telt niet mee")],
        kb, index)
    assert len(questions) == 2
    taught = TopicClassifier(kb, index, stored=None, questions=questions)
    assert taught.questions == 2 and alone.questions == 0
    assert (_topic_probability(taught, index, text)["slapen-kind"]
            > _topic_probability(alone, index, text)["slapen-kind"] + 0.05)

    stored = tmp_path / "weights.npz"
    taught.save(stored)
    again = TopicClassifier(kb, index, stored=stored)  # fits the entries: its questions kept
    assert not again.trained_here and again.questions == 2
    assert np.allclose(again.posterior(index.analyse(text)),
                       taught.posterior(index.analyse(text)), atol=1e-3)


def test_out_of_scope_questions_are_a_class_that_takes_probability_from_every_topic(
    write_entry: Callable[..., Path], topics_file: Path
) -> None:
    kb = _two_topics(write_entry, topics_file)
    index = TermIndex(kb)
    outside = question_examples(
        [(OUTSIDE, "ik slaap zelf slecht sinds mijn nieuwe baan"),
         (OUTSIDE, "mijn man snurkt, hoe slaap ik zelf weer beter"),
         (OUTSIDE, "ik heb zelf last van slapeloosheid door mijn werk")], kb, index)
    text = "ik slaap zelf zo slecht door de drukte op mijn werk"
    alone = TopicClassifier(kb, index, stored=None)
    assert sum(_topic_probability(alone, index, text).values()) > 0.999
    taught = TopicClassifier(kb, index, stored=None, questions=outside)
    assert sum(_topic_probability(taught, index, text).values()) < 0.5


def test_the_shipped_weights_learnt_from_the_shipped_entries_and_training_questions(
    real_matcher: Matcher,
) -> None:
    """`adviceline kb train-topics` was run after the last change to the entries or to the
    training question sets (the dev set and `devset/writers/`)."""
    kb, index = real_matcher.kb, real_matcher.index
    shipped = TopicClassifier(kb, index)
    assert not shipped.trained_here
    questions = question_examples(
        read_training_questions(DEFAULT_DEVSET, sorted(DEFAULT_TUNING.glob("*.jsonl"))), kb, index)
    assert shipped.questions == len(questions) > 3000
    assert shipped.questions_fingerprint == questions_fingerprint(questions)
