"""`adviceline init --region DIR`: a starting configuration for a new region that an
administrator edits, instead of a copy of Twente's made by hand.

It keeps the shipped file's settings (service, privacy, routing, matcher, the regional pool's
hours and offer texts), sets the region's name, takes the municipalities by their CBS names from
the postcode file (so postcodes resolve), gives each desk weekday hours, copies the postcode file
beside the configuration and adds one regional coordinator with a generated password, printed
once and stored only as an argon2id hash.
"""

from __future__ import annotations

import csv
import difflib
import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from adviceline.config import DEFAULT_CONFIG_FILE
from adviceline.passwords import hash_password

POSTCODES = DEFAULT_CONFIG_FILE.parent / "data" / "nl-postcodes-pc4.csv"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ADMIN = "coordinator"


class InitError(Exception):
    """The starting configuration cannot be written as asked; the message says why."""


@dataclass(frozen=True)
class Written:
    config_file: Path
    municipalities: tuple[str, ...]
    username: str
    password: str


def cbs_municipalities(postcodes: Path = POSTCODES) -> dict[str, str]:
    """lower-case name -> the CBS spelling."""
    with postcodes.open(encoding="utf-8", newline="") as file:
        return {row["municipality"].casefold(): row["municipality"]
                for row in csv.DictReader(file) if row.get("municipality")}


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def _shipped_municipalities(text: str) -> list[str]:
    return re.findall(r'^\[\[municipality\]\]\nid = "[^"]*"\nname = "([^"]+)"', text, re.M)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_region(directory: Path, region: str, names: list[str], *,
                 force: bool = False) -> Written:
    config_file = directory / "adviceline.toml"
    if config_file.exists() and not force:
        raise InitError(f"{config_file} exists; pass --force to overwrite it")
    shipped = DEFAULT_CONFIG_FILE.read_text(encoding="utf-8")
    known = cbs_municipalities()
    names = names or _shipped_municipalities(shipped)
    chosen: list[str] = []
    for name in names:
        found = known.get(name.strip().casefold())
        if found is None:
            close = difflib.get_close_matches(name.casefold(), list(known), n=3)
            hint = f"; did you mean {', '.join(known[c] for c in close)}?" if close else ""
            raise InitError(f"{name!r} is not a municipality in the CBS postcode file{hint}")
        if found not in chosen:
            chosen.append(found)

    head = shipped.split("\n[[municipality]]", 1)[0]
    head = re.sub(r'^(\[region\]\nname = )"[^"]*"', lambda m: m.group(1) + _quote(region),
                  head, count=1, flags=re.M)
    database = directory.resolve() / "adviceline.db"
    head = re.sub(r'^url = "sqlite\+aiosqlite:///adviceline.db"',
                  f'url = "sqlite+aiosqlite:///{database}"', head, count=1, flags=re.M)
    parts = [f"# Made by `adviceline init` for {region}. Edit desk hours, offer texts and staff;\n"
             "# `adviceline doctor --config` this file checks it.\n", head.rstrip(), ""]
    for name in chosen:
        hours = "\n".join(f'{day} = ["09:00-17:00"]' for day in WEEKDAYS)
        parts.append(f"""[[municipality]]
id = {_quote(_slug(name))}
name = {_quote(name)}

[municipality.desk_hours]
{hours}

[municipality.offer.nl]
gemeente = {_quote(name)}
cjg = {_quote(f"het Centrum voor Jeugd en Gezin (CJG) {name}")}

[municipality.offer.en]
gemeente = {_quote(name)}
cjg = {_quote(f"the Centre for Youth and Family (CJG) {name}")}
""")
    password = secrets.token_urlsafe(15)
    parts.append(f"""# The first login: a regional coordinator. Add advisers with
# `adviceline users add` or as [[user]] entries here (password_hash from
# `adviceline hash-password`).
[[user]]
username = "{ADMIN}"
name = "Coördinator {region}"
role = "regional_coordinator"
password_hash = {_quote(hash_password(password))}
""")
    (directory / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy2(POSTCODES, directory / "data" / POSTCODES.name)
    config_file.write_text("\n".join(parts), encoding="utf-8")
    return Written(config_file, tuple(chosen), ADMIN, password)
