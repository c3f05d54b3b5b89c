"""The warning-signs block: doors in order of urgency, the same in both languages, one wording."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from knowledge_base import PLACEHOLDERS, check_knowledge_base, load_knowledge_base, render_answer
from knowledge_base.warning_signs import DOORS, HEALTH_TOPICS, block_problems
from tests.knowledge_base.conftest import ANSWER_EN, ANSWER_NL, entry_text

TODAY = date(2026, 12, 5)

OFFER = {name: f"<{name}>" for name in PLACEHOLDERS}
BLOCK_NL = (
    "\n\n**Wanneer bellen?**\n"
    "- {{deur_112}} als je kind blauw ziet.\n"
    "- {{deur_nu}} als je kind suf is.\n"
    "- {{deur_consultatiebureau}} als je twijfelt.\n"
)
BLOCK_EN = (
    "\n\n**When to call**\n"
    "- {{deur_112}} if your child looks blue.\n"
    "- {{deur_nu}} if your child is drowsy.\n"
    "- {{deur_consultatiebureau}} if you are in doubt.\n"
)


def test_a_good_block_has_no_problems() -> None:
    assert block_problems(ANSWER_NL + BLOCK_NL, ANSWER_EN + BLOCK_EN, required=True) == []


def test_a_health_answer_without_a_block_is_reported() -> None:
    problems = block_problems(ANSWER_NL, ANSWER_EN, required=True)
    assert any("without the warning-signs block in the nl answer" in p for p in problems)
    assert block_problems(ANSWER_NL, ANSWER_EN, required=False) == []


def test_rows_out_of_order_are_reported() -> None:
    swapped = BLOCK_NL.replace("{{deur_112}}", "{{tmp}}").replace("{{deur_nu}}", "{{deur_112}}")
    swapped = swapped.replace("{{tmp}}", "{{deur_nu}}")
    problems = block_problems(ANSWER_NL + swapped, ANSWER_EN + BLOCK_EN, required=True)
    assert any("most to least urgent" in p for p in problems)


def test_languages_naming_different_doors_are_reported() -> None:
    english = BLOCK_EN.replace("{{deur_nu}}", "{{deur_vandaag}}")
    problems = block_problems(ANSWER_NL + BLOCK_NL, ANSWER_EN + english, required=False)
    assert any("name different doors" in p for p in problems)


def test_a_door_inside_a_sentence_is_reported() -> None:
    prose = ANSWER_NL + " Twijfel je? {{deur_nu}}."
    problems = block_problems(prose, ANSWER_EN, required=False)
    assert any("must start a row" in p for p in problems)


def test_kb_check_reports_a_health_entry_without_its_block(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    topic = sorted(HEALTH_TOPICS)[0]
    if f'id = "{topic}"' not in topics_file.read_text(encoding="utf-8"):
        with topics_file.open("a", encoding="utf-8") as topics:
            topics.write(
                f'\n[[topic]]\nid = "{topic}"\ntitle = "Ziek"\nabout = "Illness."\n'
                'ages = ["peuter"]\nlevel = 2\nkind = "faq"\n'
            )
    path = write_entry("ziek-test", entry_text("ziek-test", topic=topic), folder=topic)
    messages = [
        str(p) for p in check_knowledge_base(tmp_path / "entries", topics_file, today=TODAY)
    ]
    assert any(m.startswith(f"{path}: health answer without") for m in messages), messages


def test_doors_render_in_the_answer_language(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    write_entry(
        "driftbuien-test",
        entry_text(answer_nl=ANSWER_NL + BLOCK_NL, answer_en=ANSWER_EN + BLOCK_EN),
    )
    entry = load_knowledge_base(tmp_path / "entries", topics_file).entry("driftbuien-test")
    dutch = render_answer(entry, "nl", OFFER)
    english = render_answer(entry, "en", OFFER)
    assert f"- {DOORS['deur_112'].nl} als je kind blauw ziet." in dutch
    assert "huisartsenpost" in dutch and "{{" not in dutch
    assert f"- {DOORS['deur_nu'].en} if your child is drowsy." in english
    assert "Bel 112" not in english


def test_door_wording_counts_towards_the_answer_length(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    # 230 words of prose plus three rows: under 250 only if a door counted as one word.
    prose = " ".join(["woord"] * 230)
    write_entry(
        "driftbuien-test",
        entry_text(answer_nl=prose + BLOCK_NL, answer_en=ANSWER_EN + BLOCK_EN),
    )
    messages = [
        str(p) for p in check_knowledge_base(tmp_path / "entries", topics_file, today=TODAY)
    ]
    assert any("Dutch answer has" in m and "80-250" in m for m in messages), messages
