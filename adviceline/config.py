"""Typed configuration, read from TOML; every error names the key that is wrong.

Precedence: built-in defaults < the TOML file < environment (ADVICELINE_DATABASE_URL) < command-line
options. Nothing here opens connections; `adviceline.web.app.create_app` does that.
"""

from __future__ import annotations

import csv
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from knowledge_base import (
    DEFAULT_DEVSET,
    DEFAULT_ENTRIES_DIR,
    DEFAULT_TOPICS_FILE,
    PLACEHOLDERS,
    MatcherSettings,
)
from routing.assignment import Desks
from routing.desks import DeskHours, DeskHoursError

DEFAULT_CONFIG_FILE = Path(__file__).resolve().parent.parent / "config" / "adviceline.toml"
ROLES = ("adviser", "coordinator")


class ConfigError(ValueError):
    """Configuration that cannot be used; the message starts with the offending key."""


class Secret:
    """A value that must not end up in logs or tracebacks."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class Municipality:
    id: str
    name: str
    desk_hours: DeskHours
    offer: Mapping[str, Mapping[str, str]]   # language -> placeholder -> text


@dataclass(frozen=True)
class UserConfig:
    username: str
    display_name: str
    role: str
    municipalities: tuple[str, ...]
    regional_pool: bool
    password_hash: str | None
    password: Secret | None   # demo users only: hashed when they are seeded


@dataclass(frozen=True)
class Config:
    host: str
    port: int
    public_origin: str | None
    secure_cookies: bool
    database_url: Secret
    region_name: str
    time_zone: str
    municipalities: Mapping[str, Municipality]
    postcodes: Mapping[str, str]              # PC4 -> municipality id
    desks: Desks
    general_offer: Mapping[str, Mapping[str, str]]
    users: tuple[UserConfig, ...]
    matcher: MatcherSettings
    entries_dir: Path
    topics_file: Path
    devset: Path
    max_message_chars: int = 4000
    session_hours: int = 12
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    demo: bool = False   # serve --demo: demo logins and, on an empty database, demo history
    source: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def with_overrides(self, *, host: str | None = None, port: int | None = None,
                       database_url: str | None = None) -> Config:
        changes: dict[str, Any] = {}
        if host is not None:
            changes["host"] = host
        if port is not None:
            changes["port"] = _port(port, "--port")
        if database_url is not None:
            changes["database_url"] = Secret(_database_url(database_url, "--database"))
        return replace(self, **changes)

    def offer_for(self, municipality: str | None, language: str) -> dict[str, str]:
        """The placeholder values for an answer to a parent of this municipality."""
        general = self.general_offer[language]
        own = self.municipalities.get(municipality) if municipality else None
        if own is None:
            return dict(general)
        # What a municipality has not filled in reads as the region's general wording.
        return {name: own.offer[language].get(name) or text for name, text in general.items()}


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    path = path or DEFAULT_CONFIG_FILE
    environ = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such configuration file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    config = parse_config(raw, base_dir=path.parent)
    config = replace(config, source=path)
    if environ.get("ADVICELINE_DATABASE_URL"):
        config = replace(config, database_url=Secret(
            _database_url(environ["ADVICELINE_DATABASE_URL"], "ADVICELINE_DATABASE_URL")))
    return config


def parse_config(raw: Mapping[str, Any], base_dir: Path) -> Config:
    reader = _Reader(raw)
    service = reader.table("service")
    database = reader.table("database")
    region = reader.table("region")
    matcher = reader.table("matcher")
    kb = reader.table("knowledge_base")

    time_zone = region.string("time_zone", "Europe/Amsterdam")
    municipalities = _municipalities(reader, time_zone)
    names = {m.name.casefold(): m.id for m in municipalities.values()}
    postcodes_file = _path(region.string("postcodes_file", "data/nl-postcodes-pc4.csv"), base_dir)
    postcodes = _postcodes(postcodes_file, names, "region.postcodes_file")

    pool = region.table("regional_pool")
    desks = Desks(
        municipalities={m.id: m.desk_hours for m in municipalities.values()},
        regional_pool=_desk_hours(pool.table("desk_hours"), time_zone, pool.key("desk_hours")),
        answer_within=timedelta(minutes=region.integer("answer_within_minutes", 60, minimum=1)),
    )
    general_offer = _offer(region.table("offer"), "region.offer", required=True)
    users = _users(reader, municipalities, allow_plain_passwords=False)

    settings = MatcherSettings(
        answer_threshold=matcher.number("answer_threshold", MatcherSettings.answer_threshold),
        suggest_threshold=matcher.number("suggest_threshold", MatcherSettings.suggest_threshold),
        answer_margin=matcher.number("answer_margin", MatcherSettings.answer_margin),
        max_suggestions=matcher.integer("max_suggestions", MatcherSettings.max_suggestions,
                                        minimum=1),
    )
    if settings.suggest_threshold > settings.answer_threshold:
        raise ConfigError("matcher.suggest_threshold: must not be above matcher.answer_threshold")

    public_origin = service.string("public_origin", "") or None
    return Config(
        host=service.string("host", "127.0.0.1"),
        port=_port(service.integer("port", 8080), "service.port"),
        public_origin=public_origin.rstrip("/") if public_origin else None,
        secure_cookies=service.boolean("secure_cookies", True),
        database_url=Secret(_database_url(
            database.string("url", "sqlite+aiosqlite:///adviceline.db"), "database.url")),
        region_name=region.string("name", "regio"),
        time_zone=time_zone,
        municipalities=municipalities,
        postcodes=postcodes,
        desks=desks,
        general_offer=general_offer,
        users=users,
        matcher=settings,
        entries_dir=_path(kb.string("entries_dir", ""), base_dir) or DEFAULT_ENTRIES_DIR,
        topics_file=_path(kb.string("topics_file", ""), base_dir) or DEFAULT_TOPICS_FILE,
        devset=_path(kb.string("devset", ""), base_dir) or DEFAULT_DEVSET,
        max_message_chars=service.integer("max_message_chars", 4000, minimum=1),
        session_hours=service.integer("session_hours", 12, minimum=1),
        login_max_failures=service.integer("login_max_failures", 5, minimum=1),
        login_lockout_minutes=service.integer("login_lockout_minutes", 15, minimum=1),
    )


def _municipalities(reader: _Reader, time_zone: str) -> dict[str, Municipality]:
    result: dict[str, Municipality] = {}
    tables = reader.list_of_tables("municipality")
    if not tables:
        raise ConfigError("municipality: at least one [[municipality]] is needed")
    for table in tables:
        municipality_id = table.string("id")
        if municipality_id in result:
            raise ConfigError(f"{table.key('id')}: {municipality_id!r} appears more than once")
        result[municipality_id] = Municipality(
            id=municipality_id,
            name=table.string("name"),
            desk_hours=_desk_hours(table.table("desk_hours"), time_zone, table.key("desk_hours")),
            offer=_offer(table.table("offer"), table.key("offer"), required=False),
        )
    return result


def _desk_hours(table: _Reader, time_zone: str, key: str) -> DeskHours:
    week = {day: table.str_list(day) for day in table.keys()  # noqa: SIM118
            if day != "public_holidays"}
    try:
        return DeskHours.from_mapping(week, time_zone,
                                      closed_on_public_holidays=not table.boolean("public_holidays",
                                                                               False))
    except DeskHoursError as exc:
        raise ConfigError(f"{key}: {exc}") from exc


def _offer(table: _Reader, key: str, required: bool) -> dict[str, dict[str, str]]:
    offer: dict[str, dict[str, str]] = {}
    for language in ("nl", "en"):
        values = table.table(language)
        offer[language] = {name: values.string(name, "" if not required else None)
                           for name in PLACEHOLDERS if name != "openingstijden"}
    unknown = set(table.keys()) - {"nl", "en"}
    if unknown:
        raise ConfigError(f"{key}.{sorted(unknown)[0]}: unknown language (use nl and en)")
    return offer


def load_demo_users(path: Path, config: Config) -> Config:
    """The configuration plus the demo logins of `path` (plain passwords allowed there only)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read demo users: {exc}") from exc
    demo = _users(_Reader(raw), config.municipalities, allow_plain_passwords=True)
    users = config.users + demo
    _unique_usernames(users)
    return replace(config, users=users, demo=True)


def _users(reader: _Reader, municipalities: Mapping[str, Municipality],
           allow_plain_passwords: bool) -> tuple[UserConfig, ...]:
    users = tuple(_user(table, municipalities, allow_plain_passwords)
                  for table in reader.list_of_tables("user"))
    _unique_usernames(users)
    return users


def _unique_usernames(users: tuple[UserConfig, ...]) -> None:
    seen: set[str] = set()
    for user in users:
        if user.username in seen:
            raise ConfigError(f"user.username: {user.username!r} appears more than once")
        seen.add(user.username)


def _user(table: _Reader, municipalities: Mapping[str, Municipality],
          allow_plain_password: bool) -> UserConfig:
    role = table.string("role")
    if role not in ROLES:
        raise ConfigError(f"{table.key('role')}: {role!r} is not one of {', '.join(ROLES)}")
    scope = tuple(table.str_list("municipalities"))
    for municipality in scope:
        if municipality not in municipalities:
            raise ConfigError(f"{table.key('municipalities')}: unknown municipality "
                              f"{municipality!r}")
    password_hash = table.string("password_hash", "") or None
    password = table.string("password", "") or None
    if password and not allow_plain_password:
        raise ConfigError(f"{table.key('password')}: plain passwords are for demo users only; "
                          f"use password_hash (made by 'adviceline hash-password')")
    if not password_hash and not password:
        raise ConfigError(f"{table.key('password_hash')}: missing (make one with "
                          f"'adviceline hash-password')")
    return UserConfig(
        username=table.string("username"),
        display_name=table.string("name", table.string("username")),
        role=role,
        municipalities=scope,
        regional_pool=table.boolean("regional_pool", False),
        password_hash=password_hash,
        password=Secret(password) if password else None,
    )


def _postcodes(path: Path | None, names: Mapping[str, str], key: str) -> dict[str, str]:
    """PC4 -> municipality id, for the municipalities of this region only (CBS names)."""
    if path is None:
        return {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return {row["postcode"]: names[row["municipality"].casefold()]
                    for row in csv.DictReader(handle)
                    if row.get("municipality", "").casefold() in names}
    except FileNotFoundError as exc:
        raise ConfigError(f"{key}: no such file {path}") from exc
    except KeyError as exc:
        raise ConfigError(f"{key}: {path} lacks a 'postcode' or 'municipality' column") from exc


def _database_url(url: str, key: str) -> str:
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://")):
        raise ConfigError(f"{key}: {url.split('://')[0]!r} is not supported; use "
                          f"sqlite+aiosqlite:///FILE or postgresql+asyncpg://HOST/DB")
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    return url


def _port(value: int, key: str) -> int:
    if not 0 <= value <= 65535:
        raise ConfigError(f"{key}: {value} is not a port number (0-65535)")
    return value


def _path(text: str, base_dir: Path) -> Path | None:
    if not text:
        return None
    path = Path(text).expanduser()
    return path if path.is_absolute() else (base_dir / path).resolve()


_MISSING: Any = object()


class _Reader:
    """Reads one TOML table and names the full key in every error."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self._data = data
        self._prefix = prefix

    def key(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def keys(self) -> list[str]:
        return list(self._data)

    def _get(self, name: str, default: Any, kind: type | tuple[type, ...], what: str) -> Any:
        if name not in self._data:
            if default is None or default is _MISSING:
                raise ConfigError(f"{self.key(name)}: missing ({what} expected)")
            return default
        value = self._data[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"{self.key(name)}: expected {what}, got {value!r}")
        return value

    def string(self, name: str, default: str | None = _MISSING) -> str:
        return self._get(name, default, str, "a string")  # type: ignore[no-any-return]

    def integer(self, name: str, default: int | None = _MISSING, minimum: int | None = None) -> int:
        value: int = self._get(name, default, int, "a whole number")
        if minimum is not None and value < minimum:
            raise ConfigError(f"{self.key(name)}: must be at least {minimum}, got {value}")
        return value

    def number(self, name: str, default: float | None = _MISSING) -> float:
        return float(self._get(name, default, (int, float), "a number"))

    def boolean(self, name: str, default: bool | None = _MISSING) -> bool:
        return self._get(name, default, bool, "true or false")  # type: ignore[no-any-return]

    def str_list(self, name: str) -> list[str]:
        value = self._get(name, [], list, "a list of strings")
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{self.key(name)}: expected a list of strings, got {value!r}")
        return value  # type: ignore[no-any-return]

    def table(self, name: str) -> _Reader:
        value = self._get(name, {}, dict, "a table")
        return _Reader(value, f"{self.key(name)}.")

    def list_of_tables(self, name: str) -> list[_Reader]:
        value = self._get(name, [], list, "a list of tables ([[...]])")
        if not all(isinstance(item, dict) for item in value):
            raise ConfigError(f"{self.key(name)}: expected [[{name}]] tables")
        return [_Reader(item, f"{self.key(name)}[{index}].") for index, item in enumerate(value)]
