"""Which municipality of the region a parent belongs to, from a name, an id or a postcode."""

from __future__ import annotations

import re

from adviceline.config import Config
from adviceline.domain import Invalid


class OutsideRegion(Invalid):
    """A postcode of another region: the message says where the parent can go instead."""

    code = "outside_region"


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
        postcode = match.group(1)
        found = config.postcodes.get(postcode)
        if found is not None:
            return found
        elsewhere = config.postcodes_elsewhere.get(postcode)
        if elsewhere is not None:
            raise OutsideRegion(
                f"Postcode {postcode} hoort bij {elsewhere}, niet bij {config.region_name}. "
                f"Met je vraag kun je terecht bij het CJG of het jeugdteam van de gemeente "
                f"{elsewhere}; kijk op de website van je gemeente. Direct gevaar? Bel 112. / "
                f"Postcode {postcode} is in {elsewhere}, not in {config.region_name}. Please "
                f"ask the CJG or youth team of the municipality of {elsewhere}; see its "
                "website. In immediate danger, call 112.")
        raise Invalid(f"Postcode {postcode} hoort niet bij een gemeente in "
                      f"{config.region_name}. / This postcode is not in {config.region_name}.")
    raise Invalid(f"Onbekende gemeente of postcode: {text[:40]!r}. / Unknown municipality or "
                  "postcode.")
