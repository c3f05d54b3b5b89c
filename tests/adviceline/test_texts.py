"""What the service itself tells a parent in a crisis or concern: every crisis line in the one
wording of knowledge_base/crisis_lines.py (issue 16: one situation, one door, kept in one place),
never a hand-written copy that could drift (113 is free, like 0800-0113)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adviceline import texts
from bots.email.compose import EMERGENCY
from knowledge_base.crisis_lines import CRISIS_LINES, handwritten_lines

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_crisis_and_concern_messages_carry_every_line_in_its_one_wording(language: str) -> None:
    for message in (texts.emergency(language), texts.concern(language)):
        bullets = [line[2:] for line in message.split("\n") if line.startswith("- ")]
        assert bullets == [getattr(CRISIS_LINES[line], language) for line in
                           ("lijn_112", "lijn_veilig_thuis", "lijn_113", "lijn_kindertelefoon")]
    assert "gratis" in texts.emergency("nl").split("0800-0113")[1]
    assert "free" in texts.emergency("en").split("0800-0113")[1]


def test_the_mail_footer_is_the_same_lines_in_plain_text() -> None:
    for language in ("nl", "en"):
        for line in ("lijn_112", "lijn_veilig_thuis", "lijn_113"):
            assert getattr(CRISIS_LINES[line], language).replace("**", "") in EMERGENCY.split("\n")
    assert "**" not in EMERGENCY


@pytest.mark.parametrize("source", ["adviceline/texts.py", "bots/email/compose.py",
                                    "bots/telegram/texts.py"])
def test_no_module_that_writes_to_parents_keeps_a_hand_written_crisis_line(source: str) -> None:
    code = (ROOT / source).read_text(encoding="utf-8")
    assert handwritten_lines(re.sub(r"lijn_\w+", "", code)) == []   # the lines' ids aside
