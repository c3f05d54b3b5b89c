"""The warning-signs block of a health answer: which door, how urgent, in one fixed wording.

A health answer ends with a list whose rows start with a door placeholder, most urgent first:
`{{deur_112}}`, `{{deur_nu}}` (huisarts now, huisartsenpost out of hours), `{{deur_vandaag}}`
(huisarts today), then the unhurried door for the child's age (`{{deur_consultatiebureau}}` or
`{{deur_jeugdarts}}`). The entry names the signs; the door's wording lives only here, so every
answer sends a parent to the same door with the same words. `kb check` keeps the rows in order
and the two languages alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Door:
    id: str
    urgency: int  # 0 is the most urgent
    nl: str
    en: str


_DOOR_LIST = (
    Door("deur_112", 0, "**Bel 112**", "**Call 112**"),
    Door(
        "deur_nu",
        1,
        "**Bel meteen de huisarts** ('s avonds, 's nachts en in het weekend de huisartsenpost)",
        "**Call the huisarts (GP) straight away** (evenings, nights and weekends: the "
        "huisartsenpost, the out-of-hours GP service)",
    ),
    Door("deur_vandaag", 2, "**Bel vandaag nog de huisarts**", "**Call the huisarts (GP) today**"),
    Door(
        "deur_consultatiebureau",
        3,
        "**Bespreek het met het consultatiebureau**",
        "**Talk it over with the consultatiebureau (child health clinic)**",
    ),
    Door(
        "deur_jeugdarts",
        3,
        "**Bespreek het met de jeugdarts of jeugdverpleegkundige**",
        "**Talk it over with the jeugdarts or jeugdverpleegkundige (youth doctor or nurse)**",
    ),
)
DOORS: Mapping[str, Door] = MappingProxyType({door.id: door for door in _DOOR_LIST})

# Topics whose every entry answers a health question and so ends with the block. An entry of
# another topic may use the block too (a swallowed battery, a crying baby who may be ill); then
# the same rules apply.
HEALTH_TOPICS: frozenset[str] = frozenset(
    {
        "koorts-ziek",
        "vaccinaties",
        "voorkeurshouding",
        "spugen-reflux",
        "obstipatie",
        "motoriek",
    }
)

_ROW = re.compile(r"^\s*[-*]\s+\{\{\s*(deur_[a-z0-9_]+)\s*\}\}", re.MULTILINE)
_ANY_DOOR = re.compile(r"\{\{\s*(deur_[a-z0-9_]+)\s*\}\}")


def door_rows(text: str) -> list[str]:
    """The door of each row of the block, in order of appearance."""
    return _ROW.findall(text)


def block_problems(answer_nl: str, answer_en: str, required: bool) -> list[str]:
    """The problems of an answer's warning-signs block (none if it has none and needs none)."""
    problems: list[str] = []
    rows = {"nl": door_rows(answer_nl), "en": door_rows(answer_en)}
    for language, text in (("nl", answer_nl), ("en", answer_en)):
        placed = _ANY_DOOR.findall(text)
        if len(placed) != len(rows[language]):
            problems.append(
                f"a door placeholder in the {language} answer must start a row of the "
                "warning-signs block ('- {{deur_...}} als ...')"
            )
        if required and not rows[language]:
            problems.append(
                f"health answer without the warning-signs block in the {language} answer "
                "(rows '- {{deur_112}} als ...', '- {{deur_nu}} ...', see EDITING.md)"
            )
        urgencies = [DOORS[door].urgency for door in rows[language] if door in DOORS]
        if urgencies != sorted(urgencies):
            problems.append(
                f"the rows of the warning-signs block in the {language} answer must go from "
                "most to least urgent: deur_112, deur_nu, deur_vandaag, then "
                "deur_consultatiebureau or deur_jeugdarts"
            )
        if len(set(rows[language])) != len(rows[language]):
            problems.append(f"a door appears twice in the {language} warning-signs block")
    if rows["nl"] != rows["en"] and rows["nl"] and rows["en"]:
        problems.append(
            "the Dutch and English warning-signs blocks name different doors: "
            f"{', '.join(rows['nl'])} / {', '.join(rows['en'])}"
        )
    return problems
