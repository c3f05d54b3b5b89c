"""render_answer fills the municipality's offer into the answer of the right language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge_base import PLACEHOLDERS, KnowledgeBase, load_knowledge_base, render_answer
from tests.knowledge_base.conftest import entry_text

OFFER = {name: f"<{name}>" for name in PLACEHOLDERS}


def test_placeholders_are_filled_in_both_languages(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    write_entry("driftbuien-test", entry_text())
    entry = load_knowledge_base(tmp_path / "entries", topics_file).entry("driftbuien-test")
    dutch = render_answer(entry, "nl", OFFER)
    english = render_answer(entry, "en", OFFER)
    assert "Vraag dan <cjg> om raad" in dutch
    assert "<cursus_opvoeden> in <gemeente>" in dutch
    assert english.startswith("Tantrums") and "Ask <cjg>" in english
    assert "{{" not in dutch + english


def test_missing_offer_key_raises_key_error(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    write_entry("driftbuien-test", entry_text())
    entry = load_knowledge_base(tmp_path / "entries", topics_file).entry("driftbuien-test")
    offer = dict(OFFER)
    del offer["cjg"]
    with pytest.raises(KeyError):
        render_answer(entry, "nl", offer)


def test_unknown_language_is_refused(real_kb: KnowledgeBase) -> None:
    entry = next(iter(real_kb.entries.values()))
    with pytest.raises(ValueError):
        render_answer(entry, "de", OFFER)


def test_every_real_answer_renders(real_kb: KnowledgeBase) -> None:
    for entry in real_kb.entries.values():
        for language in ("nl", "en"):
            assert "{{" not in render_answer(entry, language, OFFER), entry.path


def test_crisis_lines_are_filled_in_with_their_one_wording(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    answer_nl = "Driftbuien horen erbij.\n\n- {{lijn_veilig_thuis}}\n- {{lijn_113}}"
    answer_en = "Tantrums are normal.\n\n- {{lijn_veilig_thuis}}\n- {{lijn_113}}"
    write_entry("driftbuien-test", entry_text(answer_nl=answer_nl, answer_en=answer_en))
    entry = load_knowledge_base(tmp_path / "entries", topics_file).entry("driftbuien-test")
    dutch = render_answer(entry, "nl", OFFER)
    english = render_answer(entry, "en", OFFER)
    assert "- Geweld of mishandeling thuis" in dutch and "**Veilig Thuis: 0800-2000**" in dutch
    assert "Bel **113** of **0800-0113** (allebei gratis, dag en nacht)" in dutch
    assert "Call **113** or **0800-0113** (both free, day and night)" in english
    assert "{{" not in dutch + english
