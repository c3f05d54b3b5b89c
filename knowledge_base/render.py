"""Turn an entry's answer into the text a parent reads, with the municipality's offer filled in.

Two kinds of placeholder: the municipality's own offer (`{{cjg}}`, given by the caller per
municipality) and fixed wording kept in one place for every answer (the doors of the
warning-signs block, the crisis lines), which the renderer fills itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from knowledge_base.crisis_lines import CRISIS_LINES
from knowledge_base.model import PLACEHOLDERS, Entry
from knowledge_base.warning_signs import DOORS

PLACEHOLDER_PATTERN = re.compile(r"\{\{\s*([A-Za-z0-9_\-]+)\s*\}\}")

# Fixed wording by placeholder name: (Dutch, English).
FIXED_TEXTS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {door.id: (door.nl, door.en) for door in DOORS.values()}
    | {line.id: (line.nl, line.en) for line in CRISIS_LINES.values()}
)
KNOWN_PLACEHOLDERS: frozenset[str] = frozenset(PLACEHOLDERS) | frozenset(FIXED_TEXTS)


def render_answer(entry: Entry, language: str, offer: Mapping[str, str]) -> str:
    """The answer in `language` ("nl" or "en") with every {{placeholder}} filled.

    Raises KeyError for a placeholder the offer lacks, ValueError for another language.
    """
    if language == "nl":
        text = entry.answer_nl
    elif language == "en":
        text = entry.answer_en
    else:
        raise ValueError(f"unknown language {language!r}: expected 'nl' or 'en'")

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        fixed = FIXED_TEXTS.get(name)
        if fixed is not None:
            return fixed[0] if language == "nl" else fixed[1]
        if name not in PLACEHOLDERS:
            raise KeyError(f"{entry.path}: unknown placeholder {{{{{name}}}}}")
        return offer[name]

    return PLACEHOLDER_PATTERN.sub(fill, text)


def fill_fixed(text: str, language: str) -> str:
    """`text` with the fixed wording filled in; the municipality's placeholders stay as they are."""

    def fill(match: re.Match[str]) -> str:
        fixed = FIXED_TEXTS.get(match.group(1))
        if fixed is None:
            return match.group(0)
        return fixed[0] if language == "nl" else fixed[1]

    return PLACEHOLDER_PATTERN.sub(fill, text)


def placeholders_in(text: str) -> list[str]:
    """The placeholder names used in `text`, in order of appearance."""
    return PLACEHOLDER_PATTERN.findall(text)
