"""The knowledge base as shipped: complete, valid, and free of facts that would mislead a parent."""

from __future__ import annotations

import re

import pytest

from adviceline.config import load_config
from adviceline.faq import Faq
from knowledge_base import PLACEHOLDERS, load_knowledge_base, load_topics
from knowledge_base.check import check_knowledge_base

KB = load_knowledge_base()

# Foreign or outdated doors and numbers (KB-FACTS "likely errors"), and blaming wording.
MISLEADING = {
    r"\b911\b": "a US emergency number",
    r"\b988\b": "a US crisis line",
    r"0900-0113": "the old 113 number",
    r"\bAMK\b": "an organisation that no longer exists (now Veilig Thuis)",
    r"Bureau Jeugdzorg": "an organisation that no longer exists",
    r"\bpediatrician\b": "not the first door in the Netherlands",
    r"\bje moet\b": "blaming wording (KB-STYLE: never 'je moet')",
    r"vitamine K[- ]injectie wordt|krijgt een vitamine K[- ]injectie":
        "the injection was never introduced",
}


def test_kb_check_passes_on_the_shipped_content() -> None:
    problems = check_knowledge_base()
    assert problems == [], "\n".join(f"{p.path}: {p.message}" for p in problems[:20])


def test_every_topic_has_entries_and_there_are_enough() -> None:
    topics = load_topics()
    covered = {entry.topic for entry in KB.entries.values()}
    assert set(topics) <= covered
    assert len(KB.entries) >= 120


@pytest.mark.parametrize("entry_id", sorted(KB.entries))
def test_answers_avoid_misleading_facts(entry_id: str) -> None:
    entry = KB.entry(entry_id)
    for pattern, why in MISLEADING.items():
        for text in (entry.answer_nl, entry.answer_en):
            assert not re.search(pattern, text, re.IGNORECASE), f"{entry_id}: {pattern}: {why}"


def test_every_answer_renders_for_every_municipality_without_placeholders(faq: Faq) -> None:
    config = load_config(environ={})
    faq = faq.for_config(config)
    for municipality in [None, *config.municipalities]:
        for language in ("nl", "en"):
            offer = faq.offer(municipality, language)
            assert set(offer) == set(PLACEHOLDERS)
            for entry_id in KB.entries:
                text = faq.answer(entry_id, language, municipality)
                assert "{{" not in text and "}}" not in text, (entry_id, municipality)
