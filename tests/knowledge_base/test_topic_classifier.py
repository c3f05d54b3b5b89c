"""The topic classifier: learnt from the entries' own texts, stored weights used only while they
fit the knowledge base, and its share of a score bounded by what the question's words cover."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from knowledge_base import KnowledgeBase, Matcher, MatcherSettings, load_knowledge_base
from knowledge_base.index import TermIndex
from knowledge_base.topic_classifier import TopicClassifier

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
