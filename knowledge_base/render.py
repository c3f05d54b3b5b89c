"""Turn an entry's answer into the text a parent reads, with the municipality's offer filled in."""

from __future__ import annotations

import re
from collections.abc import Mapping

from knowledge_base.model import PLACEHOLDERS, Entry

PLACEHOLDER_PATTERN = re.compile(r"\{\{\s*([A-Za-z0-9_\-]+)\s*\}\}")


def render_answer(entry: Entry, language: str, offer: Mapping[str, str]) -> str:
    """The answer in `language` ("nl" or "en") with every {{placeholder}} filled from `offer`.

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
        if name not in PLACEHOLDERS:
            raise KeyError(f"{entry.path}: unknown placeholder {{{{{name}}}}}")
        return offer[name]

    return PLACEHOLDER_PATTERN.sub(fill, text)


def placeholders_in(text: str) -> list[str]:
    """The placeholder names used in `text`, in order of appearance."""
    return PLACEHOLDER_PATTERN.findall(text)
