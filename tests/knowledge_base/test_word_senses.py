"""Words read in the question's language and sense: false friends do not misroute, and the
matcher's word lists hold no word that only an evaluation or tuning question uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import simplemma

from knowledge_base import DEFAULT_DEVSET, Matcher
from knowledge_base.evaluate import DEFAULT_TUNING
from knowledge_base.index import CONCEPT_PREFIX, VICTIM_TERM, phrasal_verbs
from knowledge_base.normalise import fold, words
from knowledge_base.synonyms import SYNONYM_GROUPS
from knowledge_base.topic_words import TOPIC_WORDS

# Written for these tests: an everyday English word whose concept it must NOT name here.
FALSE_FRIENDS: list[tuple[str, str, str]] = [
    ("how can I add more fruit to my son's lunchbox", "adhd", "druk-concentratie"),
    ("how do I get my 6 year old to open up about his day", "openingstijden", "over-advieslijn"),
    ("my daughter passed her driving test, what present should I buy", "rouw", "rouw-verlies"),
    ("we did a pregnancy test this morning, how do we tell our 4 year old", "huiswerk",
     "huiswerk-school"),
    ("my 13 year old just lies on the sofa all afternoon", "liegen", "liegen"),
]


def _concepts(matcher: Matcher, text: str) -> set[str]:
    return {t[len(CONCEPT_PREFIX):] for t in matcher.index.analyse(text).terms
            if t.startswith(CONCEPT_PREFIX)}


@pytest.mark.parametrize(("text", "concept", "topic"), FALSE_FRIENDS)
def test_an_english_false_friend_names_no_concept_and_gets_no_answer(
    real_matcher: Matcher, text: str, concept: str, topic: str
) -> None:
    assert concept not in _concepts(real_matcher, text)
    decision = real_matcher.decide(text)
    assert not (decision.outcome == "answer" and decision.topic == topic)


def test_the_sense_a_word_has_in_its_own_language_or_phrase_still_counts(
    real_matcher: Matcher,
) -> None:
    assert "adhd" in _concepts(real_matcher, "mijn zoon heeft add, hoe help ik hem plannen")
    assert "adhd" in _concepts(real_matcher, "my son has ADD and can't sit still")  # capitals
    assert "adhd" not in _concepts(real_matcher, "my son can add up to ten already")
    assert "rouw" in _concepts(real_matcher, "my dad passed away and my kids keep asking why")
    assert "openingstijden" in _concepts(real_matcher, "what are your opening hours")
    assert "liegen" in _concepts(real_matcher, "my son lies to me about his homework")
    # A word the knowledge base does not use in the question's language is read in the other.
    assert "slapen" in _concepts(real_matcher, "wat is een goede bedtime voor een kind van 5")


def test_an_english_phrasal_verb_is_its_own_word(real_matcher: Matcher) -> None:
    assert phrasal_verbs(words("he opens up and then threw up"), "en") == [
        "he", "openup", "and", "then", "throwup"]
    # A verb whose sense a word list names keeps it; a listed phrasal verb is its concept.
    assert "slapen" in _concepts(real_matcher, "my 3 year old wakes up every night at 3")
    assert "rouw" in _concepts(real_matcher, "grandma passed away, how do I tell my son")
    assert phrasal_verbs(["hij", "geeft", "op"], "nl") == ["hij", "geeft", "op"]
    # "open up" is talking about feelings, not the opening hours.
    decision = real_matcher.decide("how do I get my 6 year old to open up about his day")
    assert decision.topic != "over-advieslijn"


def test_a_passive_makes_the_child_the_one_who_is_hit(real_matcher: Matcher) -> None:
    def victim(text: str) -> bool:
        return VICTIM_TERM in real_matcher.index.analyse(text).terms

    assert victim("hij wordt elke pauze geschopt door twee jongens")
    assert victim("my son gets hit by older boys on the bus")
    assert not victim("hij wordt bij ruzie meteen fysiek, duwen en trekken")
    assert not victim("my son is hitting his sister")




def _question_words(path: Path) -> set[str]:
    found: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            found.update(words(json.loads(line)["q"]))
    return found


def test_no_word_list_entry_exists_only_for_a_dev_or_tuning_question(
    real_matcher: Matcher,
) -> None:
    """EVALUATION.md: a synonym or topic word that occurs in the dev set or a tuning writer's
    questions but in no text of the knowledge base was written for those questions. A list
    word stands for all its inflections (synonyms.py), so it counts as the knowledge base's own
    when an inflection of it is there ("onvoldoende" for the phrasings' "onvoldoendes")."""
    kb = real_matcher.kb
    own: set[str] = set()
    for entry in kb.entries.values():
        for text in (entry.question, entry.question_en, entry.answer_nl, entry.answer_en,
                     *entry.phrasings):
            own.update(words(text))
    for topic in kb.topics.values():
        own.update(words(topic.title) + words(topic.about))
    own |= {fold(simplemma.lemmatize(word, lang=language))
            for word in own for language in ("nl", "en")}
    asked = _question_words(DEFAULT_DEVSET)
    for path in sorted(DEFAULT_TUNING.glob("*.jsonl")):
        asked |= _question_words(path)
    listed = [member for dutch, english in SYNONYM_GROUPS.values()
              for member in (dutch + " " + english).split()]
    listed += [member for text in TOPIC_WORDS.values() for member in text.split()]
    leaks = sorted({
        member for member in listed
        if all(part in asked and part not in own for part in fold(member).split("_"))
    })
    assert leaks == []
