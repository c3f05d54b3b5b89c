"""The crisis lines an answer may point to, each in one fixed wording kept only here.

Every line names one situation and its one door (issue 16): fear of hurting your child or
violence at home -> Veilig Thuis; thoughts of suicide -> 113; acute danger -> 112; a child of
8 to 18 who wants to talk -> De Kindertelefoon (for children, not parents). An entry includes a
line with its placeholder (`{{lijn_113}}`); `kb check` refuses a hand-written number or name of
these lines, so a changed number or opening time is changed once, here, for every answer.
Facts and sources: knowledge_base/FACTS.md, "Referral routes".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class CrisisLine:
    id: str
    situation: str  # for editors: when this line is the right door
    nl: str
    en: str


_LINE_LIST = (
    CrisisLine(
        "lijn_veilig_thuis",
        "violence or abuse at home, or a parent afraid to hurt their child",
        "Geweld of mishandeling thuis, of ben je bang dat je je kind iets aandoet? Bel "
        "**Veilig Thuis: 0800-2000** (gratis, dag en nacht, je mag anoniem bellen).",
        "Violence or abuse at home, or afraid you might hurt your child? Call "
        "**Veilig Thuis: 0800-2000** (free, day and night, you may stay anonymous).",
    ),
    CrisisLine(
        "lijn_113",
        "a parent or child thinking about suicide",
        "Denk jij of je kind aan zelfdoding? Bel **113** of **0800-0113** (allebei gratis, dag "
        "en nacht), of chat via 113.nl.",
        "Are you or your child thinking about suicide? Call **113** or **0800-0113** (both "
        "free, day and night), or chat at 113.nl.",
    ),
    CrisisLine(
        "lijn_112",
        "acute danger now",
        "Is er nu direct gevaar? Bel **112**.",
        "Is anyone in danger right now? Call **112**.",
    ),
    CrisisLine(
        "lijn_kindertelefoon",
        "a child or teenager (8-18) who wants to talk to someone themselves",
        "Kinderen en jongeren van 8 tot 18 jaar kunnen zelf gratis en anoniem praten met "
        "**De Kindertelefoon: 0800-0432**.",
        "Children and young people aged 8 to 18 can talk for free and anonymously to "
        "**De Kindertelefoon: 0800-0432**.",
    ),
)
CRISIS_LINES: Mapping[str, CrisisLine] = MappingProxyType({line.id: line for line in _LINE_LIST})

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_\-]+)\s*\}\}")
# What a hand-written crisis line gives itself away by: its name or its number. "112" is refused
# only as a call to action ("Bel 112"), so a list of numbers for a child at home may name it.
_HANDWRITTEN = re.compile(
    r"veilig\s+thuis|kindertelefoon|\b113\b|113\.nl|\b0[89]00[-\s]?(?:2000|0113|0432)\b"
    r"|\b(?:bel|call)\s+\*\*112\b",
    re.IGNORECASE,
)


def handwritten_lines(text: str) -> list[str]:
    """Crisis-line names or numbers written by hand in an answer (outside the placeholders)."""
    return [match.group(0) for match in _HANDWRITTEN.finditer(_PLACEHOLDER.sub(" ", text))]


def expand_lines(text: str, language: str) -> str:
    """`text` with the crisis-line placeholders filled in; other placeholders stay."""

    def fill(match: re.Match[str]) -> str:
        line = CRISIS_LINES.get(match.group(1))
        if line is None:
            return match.group(0)
        return line.nl if language == "nl" else line.en

    return _PLACEHOLDER.sub(fill, text)
