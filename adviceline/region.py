"""Which municipality of the region a parent belongs to, from a name, an id or a postcode."""

from __future__ import annotations

import re

from adviceline.config import Config
from adviceline.domain import Invalid

_POSTCODE = re.compile(r"^\s*([1-9][0-9]{3})\s*(?:[A-Za-z]{2})?\s*$")


def resolve_municipality(config: Config, given: str | None) -> str | None:
    """None when not given; Invalid with a message a parent understands when not in the region."""
    if given is None or not given.strip():
        return None
    text = given.strip()
    if text in config.municipalities:
        return text
    for municipality in config.municipalities.values():
        if municipality.name.casefold() == text.casefold():
            return municipality.id
    match = _POSTCODE.match(text)
    if match:
        found = config.postcodes.get(match.group(1))
        if found is None:
            raise Invalid(f"Postcode {match.group(1)} hoort niet bij een gemeente in "
                          f"{config.region_name}. / This postcode is not in {config.region_name}.")
        return found
    raise Invalid(f"Onbekende gemeente of postcode: {text[:40]!r}. / Unknown municipality or "
                  "postcode.")
