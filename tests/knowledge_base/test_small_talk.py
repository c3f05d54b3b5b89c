"""Small talk is recognised only when the whole message is small talk."""

from __future__ import annotations

import pytest

from knowledge_base import KnowledgeBase
from knowledge_base.small_talk import small_talk


@pytest.mark.parametrize(("text", "kind"), [
    ("Hallo!", "greeting"), ("hoiii", "greeting"), ("Goedemorgen CJG", "greeting"),
    ("Is daar iemand?", "greeting"), ("hallo, ik heb een vraag", "greeting"),
    ("Hi there", "greeting"), ("thanks!", "thanks"), ("Dank je wel voor je hulp 🙏", "thanks"),
    ("Heel erg bedankt!!", "thanks"), ("thank you so much", "thanks"), ("dankjeeee", "thanks"),
    ("ok", "ok"), ("Oké, top!", "ok"), ("byeee", "goodbye"), ("Tot ziens!", "goodbye"),
    ("nee hoor", "no"), ("ok dankjewel, doei", "thanks"),
])
def test_small_talk_is_recognised(text: str, kind: str) -> None:
    assert small_talk(text) == kind


@pytest.mark.parametrize("text", [
    "", "hulp!", "help", "hallo hulp", "113", "hallo mijn man slaat me",
    "hoi, mijn dochter van 3 wil niet eten", "ja hij wil niet slapen", "I want to die",
    "bedankt, maar mijn zoon blijft slaan", "nee, hij luistert nog steeds niet",
    "ok " * 13,
])
def test_anything_more_is_not_small_talk(text: str) -> None:
    assert small_talk(text) is None


def test_no_phrasing_in_the_knowledge_base_reads_as_small_talk(real_kb: KnowledgeBase) -> None:
    phrasings = [p for entry in real_kb.entries.values()
                 for p in (entry.question, entry.question_en, *entry.phrasings)]
    assert phrasings
    assert [p for p in phrasings if small_talk(p) is not None] == []
