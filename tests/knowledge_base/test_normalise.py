"""Normalisation: accents, sms spellings, contractions, stop words, ages, language, stems."""

from __future__ import annotations

import pytest

from knowledge_base.index import word_term
from knowledge_base.normalise import age_groups, detect_language, fold, is_stop_word, words


def test_fold_strips_accents_and_case() -> None:
    assert fold("Crèche, ÉÉN, naïef, Geïrriteerd") == "creche, een, naief, geirriteerd"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mn zoon", ["mijn", "zoon"]),
        ("m'n dochter en z'n broer", ["mijn", "dochter", "en", "zijn", "broer"]),
        ("kheb alles geprobeerd", ["ik", "heb", "alles", "geprobeerd"]),
        ("wat moet k doen", ["wat", "moet", "ik", "doen"]),
        ("ff vragen wrm", ["even", "vragen", "waarom"]),
        ("hij wil nieeet slapen", ["hij", "wil", "niet", "slapen"]),
        ("heeeeel moe", ["heel", "moe"]),
        ("'s avonds", ["avonds"]),
        ("I don't know, he can't sleep", ["i", "do", "not", "know", "he", "can", "not", "sleep"]),
        ("time-out werkt niet", ["timeout", "werkt", "niet"]),
    ],
)
def test_words_expand_sms_and_contractions(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("mijn dochter van 2 jaar", ["peuter"]),
        ("baby van 8 maanden", ["baby"]),
        ("zoon (14yo)", ["tiener"]),
        ("2,5 jr oud", ["peuter"]),
        ("mijn 10-jarige", ["schoolkind"]),
        ("6 weken oud", ["baby"]),
        ("geen leeftijd", []),
        ("mijn zoon van 7 plast nog", ["schoolkind"]),
        ("dochter (15) wil uitgaan", ["tiener"]),
        ("zoon van 2 uur 's nachts", []),
    ],
)
def test_age_groups_from_numbers(text: str, groups: list[str]) -> None:
    assert age_groups(text) == groups


def test_language_detection() -> None:
    assert detect_language(words("my son won't sleep in his own bed")) == "en"
    assert detect_language(words("mn zoon wil niet slapen in zn eigen bed")) == "nl"
    assert detect_language([]) == "nl"


def test_stop_words_of_both_languages_count() -> None:
    assert is_stop_word("thanks", "nl")
    assert is_stop_word("de", "en")
    assert not is_stop_word("driftbui", "nl")


def test_inflections_and_synonyms_share_a_term() -> None:
    assert word_term("driftbuien", "nl") == word_term("woedeaanval", "nl")
    assert word_term("tantrums", "en") == word_term("driftbui", "nl")
    assert word_term("huilt", "nl") == word_term("huilen", "nl")
    # Being bullied and bullying are different topics: the participle keeps its own concept.
    assert word_term("gepest", "nl") == word_term("bullied", "en")
    assert word_term("gepest", "nl") != word_term("pest", "nl")


def test_a_lemma_that_is_another_word_does_not_catch_a_synonym() -> None:
    # "gegevens" (data) lemmatises to "geven"; "geeft" must not become the privacy concept.
    assert word_term("geeft", "nl") != word_term("gegevens", "nl")
