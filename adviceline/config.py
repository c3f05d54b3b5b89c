"""Typed configuration, read from TOML; every error names the key that is wrong.

Precedence: built-in defaults < the TOML file < environment (ADVICELINE_DATABASE_URL,
ADVICELINE_TELEGRAM_TOKEN, ADVICELINE_TELEGRAM_WEBHOOK_SECRET) < command-line
options. Nothing here opens connections; `adviceline.web.app.create_app` does that.
"""

from __future__ import annotations

import csv
import os
import re
import sysconfig
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from knowledge_base import (
    DEFAULT_DEVSET,
    DEFAULT_ENTRIES_DIR,
    DEFAULT_TOPICS_FILE,
    PLACEHOLDERS,
    MatcherSettings,
)
from routing.assignment import AdviserScope, Desks
from routing.desks import DeskHours, DeskHoursError
from routing.rota import (
    ABSENCE_REASONS,
    LEAVE,
    Absence,
    AdviserProfile,
    Rota,
    RotaError,
    Swap,
    check_names,
    shifts_from_mapping,
)
from routing.staffing import Staffing


def _default_config_file() -> Path:
    """config/adviceline.toml of a source checkout, else the copy a wheel installed under
    <prefix>/share/adviceline (pyproject's data-files)."""
    checkout = Path(__file__).resolve().parent.parent / "config" / "adviceline.toml"
    if checkout.is_file():
        return checkout
    return Path(sysconfig.get_path("data")) / "share" / "adviceline" / "config" / "adviceline.toml"


DEFAULT_CONFIG_FILE = _default_config_file()
ADVISER, COORDINATOR, REGIONAL_COORDINATOR = "adviser", "coordinator", "regional_coordinator"
# A coordinator sees the figures of their own municipalities; a regional coordinator those of the
# whole region, and may reload the knowledge base.
ROLES = (ADVISER, COORDINATOR, REGIONAL_COORDINATOR)
COORDINATOR_ROLES = (COORDINATOR, REGIONAL_COORDINATOR)
# Placeholders the service fills itself (from desk hours and the retention period), not the offer.
SERVICE_PLACEHOLDERS = ("openingstijden", "bewaartermijn")


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
    email: str | None = None                 # mail to this address is this municipality's


@dataclass(frozen=True)
class UserConfig:
    username: str
    display_name: str
    role: str
    municipalities: tuple[str, ...]
    regional_pool: bool
    password_hash: str | None
    password: Secret | None   # demo users only: hashed when they are seeded
    profile: AdviserProfile | None = None   # advisers: live chats at once, languages, topics
    email: str | None = None   # on-call calls (and crises, for coordinators) are mailed here


# The push services of Chrome/Android, Firefox, Safari and Edge: the only hosts we send pushes to.
DEFAULT_PUSH_HOSTS = ("fcm.googleapis.com", "updates.push.services.mozilla.com",
                      "web.push.apple.com", "*.notify.windows.com")


@dataclass(frozen=True)
class WebPushSettings:
    """[web_push]: 'there is an answer' to a closed page, with the parent's consent."""

    enabled: bool = True
    subject: str = "mailto:advieslijn@example.invalid"   # a contact for the push services
    allowed_hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS  # where a subscription may point
    allow_http: bool = False                             # tests: a stand-in push service
    poll_seconds: float = 2.0


RELAY_TLS = ("none", "starttls", "tls")


@dataclass(frozen=True)
class ImapSettings:
    """[email.imap]: poll an existing mailbox (beside or instead of the SMTP listener)."""

    host: str
    port: int = 993
    tls: bool = True                 # implicit TLS (IMAPS); false only on a trusted network
    username: str = ""
    password: Secret = field(default_factory=lambda: Secret(""))
    folder: str = "INBOX"
    poll_seconds: float = 60.0
    # After a mail is stored it is moved here; empty: it is flagged \Seen and stays.
    done_folder: str = ""
    ca_file: Path | None = None      # a private CA (tests: a self-signed Dovecot)


@dataclass(frozen=True)
class EmailSettings:
    """[email]: the e-mail channel (bots/email). Absent: no e-mail channel."""

    from_address: str
    default_address: str             # mail to it goes to the regional pool
    listen: tuple[str, int] | None = None     # inbound SMTP; None: no listener
    relay: tuple[str, int] = ("127.0.0.1", 25)
    relay_tls: str = "none"          # none | starttls | tls
    relay_username: str = ""
    relay_password: Secret = field(default_factory=lambda: Secret(""))
    relay_ca_file: Path | None = None
    max_message_bytes: int = 10 * 1024 * 1024
    # RFC 3834: at most this many automatic replies to one address per 24 hours (crisis replies
    # with the emergency numbers always go).
    auto_replies_per_day: int = 5
    imap: ImapSettings | None = None


@dataclass(frozen=True)
class RoutingSettings:
    """[routing]: offer, then assign (README "Offer, then assign")."""

    offer_seconds: int = 120               # an offer not accepted in this time goes to the next
    claim_reply_minutes: int = 10          # a claim without a reply in this time goes back
    disconnected_after_seconds: int = 60   # a console not seen this long counts as gone
    parent_waiting_minutes: int = 15       # a live chat whose parent wrote this recently
    dispatch_seconds: float = 5.0          # how often offers, lapses and reclaims are decided
    minutes_per_question: float = 15.0     # one adviser, one question: the backlog's pace
    escalate_before_minutes: int = 30      # this close to the promised time: pool + coordinator
    on_call_after_minutes: int = 15        # untaken this long: the on-call adviser is called
    on_call_escalate_minutes: int = 15     # still untaken: the next on the rota, then coordinators

    @property
    def offer_time(self) -> timedelta:
        return timedelta(seconds=self.offer_seconds)


@dataclass(frozen=True)
class RateLimitSettings:
    """[rate_limits]: requests per client address and minute (a burst of that many, refilled
    at that many a minute; 0 turns one off)."""

    enabled: bool = True
    conversations_per_minute: int = 10    # POST /api/v1/conversations and resume codes
    messages_per_minute: int = 30         # parent messages and clicks, HTTP and websocket
    websockets_per_minute: int = 30       # GET /api/v1/conversation/ws
    logins_per_minute: int = 10           # POST /login
    # Crisis or concern signals beyond these counts mark the question a possible flood: queued
    # as an ordinary question (the parent still gets the emergency numbers).
    crisis_per_address_per_hour: int = 5
    crisis_per_conversation_per_day: int = 5

    def per_minute(self, kind: str) -> int:
        return int(getattr(self, f"{kind}_per_minute"))

TELEGRAM_MODES = ("polling", "webhook")
_TELEGRAM_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}")
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


@dataclass(frozen=True)
class TelegramSettings:
    """[telegram]: the messenger bot. Without a token there is no bot."""

    token: Secret = field(default_factory=lambda: Secret(""))
    base_url: str = ""                 # Bot API base; empty: https://api.telegram.org/bot
    mode: str = "polling"              # polling | webhook
    webhook_secret: Secret = field(default_factory=lambda: Secret(""))
    webhook_url: str = ""              # the public https URL Telegram posts updates to

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    @property
    def bot_id(self) -> str:
        """The bot's numeric id, the part of the token before the colon."""
        return self.token.reveal().partition(":")[0]

    @property
    def webhook_path(self) -> str:
        """The path of webhook_url: where our server takes the updates Telegram posts."""
        return urlsplit(self.webhook_url).path or "/telegram/webhook"


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
    session_idle_minutes: int = 30
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    # Behind a reverse proxy: take the client address from the last X-Forwarded-For entry.
    trust_forwarded_for: bool = False
    # The access log records the client's network (/24, /48) and the start of its User-Agent;
    # without it (the default) neither is logged.
    log_clients: bool = False
    # An open chat or console re-reads the database on its own only this often; changes wake it
    # at once (in this process, and from other processes over PostgreSQL LISTEN/NOTIFY).
    live_fallback_seconds: float = 60.0
    # a crisis question nobody has taken for this long is logged ("crisis question waiting")
    alert_crisis_waiting_minutes: int = 10
    demo: bool = False   # serve --demo: demo logins and, on an empty database, demo history
    # serve --workers N: this is one of N processes that share its ports (SO_REUSEPORT)
    workers: int = 1
    source: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    # PC4 -> CBS municipality name, for postcodes outside the region (to say where to go instead)
    postcodes_elsewhere: Mapping[str, str] = field(default_factory=dict)
    web_push: WebPushSettings = field(default_factory=WebPushSettings)
    # [privacy] retention_days: a conversation without a question in the queue and without a
    # message for this long is erased (its text; anonymous statistics stay).
    retention_days: int = 90
    # [rota]: recurring shifts with leave, sickness and swaps (see README "Rota and routing").
    rota: Rota = field(default_factory=Rota)
    rate_limits: RateLimitSettings = field(default_factory=RateLimitSettings)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    email: EmailSettings | None = None
    telegram: TelegramSettings = field(default_factory=TelegramSettings)

    @property
    def staffing(self) -> Staffing:
        """Desk hours, the rota and who works where: what `routing.staffing` decides from."""
        return Staffing(self.desks, self.rota, {
            user.username: AdviserScope(user.municipalities, user.regional_pool)
            for user in self.users if user.role == ADVISER})

    def profile(self, username: str) -> AdviserProfile:
        for user in self.users:
            if user.username == username and user.profile is not None:
                return user.profile
        return AdviserProfile(username)

    def email_addresses(self) -> dict[str, str]:
        """Lower-cased municipal e-mail address -> municipality id."""
        return {m.email.lower(): m.id for m in self.municipalities.values() if m.email}

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


def _live_fallback(seconds: float) -> float:
    if not 1 <= seconds <= 86400:
        raise ConfigError("service.live_fallback_seconds: must be from 1 to 86400")
    return seconds


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
    if config.email is not None:
        email = config.email
        if environ.get("ADVICELINE_EMAIL_RELAY_PASSWORD"):
            email = replace(email, relay_password=Secret(
                environ["ADVICELINE_EMAIL_RELAY_PASSWORD"]))
        if email.imap is not None and environ.get("ADVICELINE_EMAIL_IMAP_PASSWORD"):
            email = replace(email, imap=replace(email.imap, password=Secret(
                environ["ADVICELINE_EMAIL_IMAP_PASSWORD"])))
        config = replace(config, email=email)

    telegram = config.telegram
    config = replace(config, telegram=telegram_checked(replace(
        telegram,
        token=Secret(environ.get("ADVICELINE_TELEGRAM_TOKEN") or telegram.token.reveal()),
        webhook_secret=Secret(environ.get("ADVICELINE_TELEGRAM_WEBHOOK_SECRET")
                              or telegram.webhook_secret.reveal()))))
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
    privacy = reader.table("privacy")
    routing = reader.table("routing")

    time_zone = region.string("time_zone", "Europe/Amsterdam")
    municipalities = _municipalities(reader, time_zone)
    names = {m.name.casefold(): m.id for m in municipalities.values()}
    postcodes_file = _path(region.string("postcodes_file", "data/nl-postcodes-pc4.csv"), base_dir)
    postcodes = _postcodes(postcodes_file, names, "region.postcodes_file")
    postcodes_elsewhere = _postcodes_elsewhere(postcodes_file, names)

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

    push = reader.table("web_push")
    web_push = WebPushSettings(
        enabled=push.boolean("enabled", True),
        subject=push.string("subject", WebPushSettings.subject),
        allowed_hosts=tuple(push.str_list("allowed_hosts")) or DEFAULT_PUSH_HOSTS,
        allow_http=push.boolean("allow_http", False),
        poll_seconds=push.number("poll_seconds", WebPushSettings.poll_seconds),
    )
    if not web_push.subject.startswith(("mailto:", "https://")):
        raise ConfigError("web_push.subject: must start with mailto: or https://")

    rota = _rota(reader.table("rota"), time_zone)
    limits = reader.table("rate_limits")
    defaults = RateLimitSettings()
    rate_limits = RateLimitSettings(
        enabled=limits.boolean("enabled", True),
        **{name: limits.integer(name, getattr(defaults, name), minimum=0)
           for name in ("conversations_per_minute", "messages_per_minute",
                        "websockets_per_minute", "logins_per_minute",
                        "crisis_per_address_per_hour", "crisis_per_conversation_per_day")})
    try:
        check_names(rota, [user.username for user in users], municipalities)
    except RotaError as exc:
        raise ConfigError(f"rota: {exc}") from exc

    public_origin = service.string("public_origin", "") or None
    return Config(
        telegram=_telegram(reader.table("telegram")),
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
        postcodes_elsewhere=postcodes_elsewhere,
        desks=desks,
        general_offer=general_offer,
        users=users,
        matcher=settings,
        entries_dir=_path(kb.string("entries_dir", ""), base_dir) or DEFAULT_ENTRIES_DIR,
        topics_file=_path(kb.string("topics_file", ""), base_dir) or DEFAULT_TOPICS_FILE,
        devset=_path(kb.string("devset", ""), base_dir) or DEFAULT_DEVSET,
        max_message_chars=service.integer("max_message_chars", 4000, minimum=1),
        session_hours=service.integer("session_hours", 12, minimum=1),
        session_idle_minutes=service.integer("session_idle_minutes", 30, minimum=1),
        login_max_failures=service.integer("login_max_failures", 5, minimum=1),
        login_lockout_minutes=service.integer("login_lockout_minutes", 15, minimum=1),
        trust_forwarded_for=service.boolean("trust_forwarded_for", False),
        log_clients=service.boolean("log_clients", False),
        live_fallback_seconds=_live_fallback(service.number("live_fallback_seconds", 60.0)),
        alert_crisis_waiting_minutes=service.integer("alert_crisis_waiting_minutes", 10,
                                                     minimum=1),
        web_push=web_push,
        rate_limits=rate_limits,
        retention_days=privacy.integer("retention_days", 90, minimum=1),
        rota=rota,
        routing=RoutingSettings(
            offer_seconds=routing.integer("offer_seconds", 120, minimum=1),
            claim_reply_minutes=routing.integer("claim_reply_minutes", 10, minimum=1),
            disconnected_after_seconds=routing.integer("disconnected_after_seconds", 60,
                                                       minimum=10),
            parent_waiting_minutes=routing.integer("parent_waiting_minutes", 15, minimum=1),
            dispatch_seconds=routing.number("dispatch_seconds", 5.0),
            minutes_per_question=routing.number("minutes_per_question", 15.0),
            escalate_before_minutes=routing.integer("escalate_before_minutes", 30, minimum=0),
            on_call_after_minutes=routing.integer("on_call_after_minutes", 15, minimum=0),
            on_call_escalate_minutes=routing.integer("on_call_escalate_minutes", 15,
                                                     minimum=1),
        ),
        email=_email(reader, municipalities, base_dir),
    )


def _rota(table: _Reader, time_zone: str) -> Rota:
    """[[rota.shift]] adviser, where, role, days, hours; [[rota.absence]] adviser, from, to,
    reason; [[rota.swap]] date, adviser, stand_in. Dates are TOML dates (2026-12-08)."""
    shifts = []
    for shift in table.list_of_tables("shift"):
        try:
            shifts.extend(shifts_from_mapping(
                shift.string("adviser"), shift.string("where"), shift.string("role", "on_duty"),
                shift.str_list("days"), shift.str_list("hours")))
        except RotaError as exc:
            raise ConfigError(f"{shift.key('')[:-1]}: {exc}") from exc
    absences = []
    for absence in table.list_of_tables("absence"):
        reason = absence.string("reason", LEAVE)
        if reason not in ABSENCE_REASONS:
            raise ConfigError(f"{absence.key('reason')}: {reason!r} is not one of "
                              f"{', '.join(ABSENCE_REASONS)}")
        absences.append(Absence(absence.string("adviser"), absence.date("from"),
                                absence.date("to"), reason))
    swaps = [Swap(swap.date("date"), swap.string("adviser"), swap.string("stand_in"))
             for swap in table.list_of_tables("swap")]
    return Rota(tuple(shifts), tuple(absences), tuple(swaps), ZoneInfo(time_zone))

def _telegram(table: _Reader) -> TelegramSettings:
    return telegram_checked(TelegramSettings(
        token=Secret(table.string("token", "")),
        base_url=table.string("base_url", ""),
        mode=table.string("mode", "polling"),
        webhook_secret=Secret(table.string("webhook_secret", "")),
        webhook_url=table.string("webhook_url", ""),
    ), complete=False)


def telegram_checked(settings: TelegramSettings, complete: bool = True) -> TelegramSettings:
    """Settings that can run, or a ConfigError naming the key. The token and the webhook are
    checked once the environment has had its say (load_config): ADVICELINE_TELEGRAM_TOKEN and
    ADVICELINE_TELEGRAM_WEBHOOK_SECRET may complete the file."""
    if settings.mode not in TELEGRAM_MODES:
        raise ConfigError(f"telegram.mode: {settings.mode!r} is not one of "
                          f"{', '.join(TELEGRAM_MODES)}")
    if settings.base_url and not settings.base_url.startswith(("https://", "http://")):
        raise ConfigError("telegram.base_url: must start with https:// (or http:// for a local "
                          "Bot API server)")
    if not settings.enabled or not complete:
        return settings
    if not _TELEGRAM_TOKEN.fullmatch(settings.token.reveal()):
        raise ConfigError("telegram.token: not a bot token (123456:ABC-...) from BotFather")
    if settings.mode == "webhook":
        if not settings.webhook_url.startswith(("https://", "http://")):
            raise ConfigError("telegram.webhook_url: webhook mode needs the public https URL "
                              "Telegram posts to")
        if not _WEBHOOK_SECRET.fullmatch(settings.webhook_secret.reveal()):
            raise ConfigError("telegram.webhook_secret: webhook mode needs a secret of 16-256 "
                              "characters A-Z, a-z, 0-9, _ and - (or "
                              "ADVICELINE_TELEGRAM_WEBHOOK_SECRET)")
    return settings


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
            email=_address(table.string("email", ""), table.key("email")) or None,
        )
    seen: dict[str, str] = {}
    for municipality in result.values():
        if municipality.email:
            other = seen.setdefault(municipality.email.lower(), municipality.id)
            if other != municipality.id:
                raise ConfigError(f"municipality email: {municipality.email!r} is both "
                                  f"{other!r}'s and {municipality.id!r}'s")
    return result


def staff_email(text: str) -> str | None:
    """A staff member's e-mail address as given to the API or the command line: the address,
    None for none (an empty text), or ValueError saying what is wrong."""
    try:
        return _address(text, "email") or None
    except ConfigError as exc:
        raise ValueError(str(exc).removeprefix("email: ")) from exc


def _address(text: str, key: str) -> str:
    """A plain e-mail address (local@domain), or "" for none; never a name or a header."""
    text = text.strip()
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if (not at or not local or "." not in domain.strip(".") or len(text) > 254
            or any(c.isspace() or c in '<>()[],;:"\\' or not c.isprintable() for c in text)):
        raise ConfigError(f"{key}: {text!r} is not an e-mail address (local@domain)")
    return text


def _host_port(text: str, key: str, default_port: int | None = None) -> tuple[str, int]:
    host, colon, port = text.strip().rpartition(":")
    if not colon and default_port is not None:
        host, port = text.strip(), str(default_port)
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise ConfigError(f"{key}: {text!r} is not host:port")
    return host, _port(int(port), key)


def _email(reader: _Reader, municipalities: Mapping[str, Municipality],
           base_dir: Path) -> EmailSettings | None:
    if "email" not in reader.names():
        return None
    table = reader.table("email")
    known = {"listen", "relay", "relay_tls", "relay_username", "relay_ca_file", "from_address",
             "default_address", "max_message_bytes", "auto_replies_per_day", "imap"}
    for name in table.names():
        if name not in known:
            raise ConfigError(f"{table.key(name)}: unknown key (the password comes from "
                              "ADVICELINE_EMAIL_RELAY_PASSWORD)" if "password" in name
                              else f"{table.key(name)}: unknown key")
    from_address = _address(table.string("from_address"), table.key("from_address"))
    if not from_address:
        raise ConfigError(f"{table.key('from_address')}: must not be empty")
    default_address = _address(table.string("default_address", from_address),
                               table.key("default_address")) or from_address
    municipal = {m.email.lower(): m.id for m in municipalities.values() if m.email}
    if default_address.lower() in municipal:
        raise ConfigError(f"{table.key('default_address')}: {default_address!r} is also "
                          f"{municipal[default_address.lower()]!r}'s address")
    relay_tls = table.string("relay_tls", "none")
    if relay_tls not in RELAY_TLS:
        raise ConfigError(f"{table.key('relay_tls')}: must be one of {', '.join(RELAY_TLS)}, "
                          f"got {relay_tls!r}")
    listen = table.string("listen", "")
    imap: ImapSettings | None = None
    if "imap" in table.names():
        section = table.table("imap")
        for name in section.names():
            if name not in {"host", "port", "tls", "username", "folder", "poll_seconds",
                            "done_folder", "ca_file"}:
                raise ConfigError(f"{section.key(name)}: unknown key" + (
                    " (the password comes from ADVICELINE_EMAIL_IMAP_PASSWORD)"
                    if "password" in name else ""))
        host = section.string("host", "")
        if host:
            tls = section.boolean("tls", True)
            poll = section.number("poll_seconds", ImapSettings.poll_seconds)
            if poll <= 0:
                raise ConfigError(f"{section.key('poll_seconds')}: must be above 0")
            imap = ImapSettings(
                host=host,
                port=_port(section.integer("port", 993 if tls else 143), section.key("port")),
                tls=tls, username=section.string("username", ""),
                folder=section.string("folder", "INBOX") or "INBOX", poll_seconds=poll,
                done_folder=section.string("done_folder", ""),
                ca_file=_path(section.string("ca_file", ""), base_dir))
    return EmailSettings(
        from_address=from_address,
        default_address=default_address,
        listen=_host_port(listen, table.key("listen")) if listen.strip() else None,
        relay=_host_port(table.string("relay", "127.0.0.1:25"), table.key("relay"), 25),
        relay_tls=relay_tls,
        relay_username=table.string("relay_username", ""),
        relay_ca_file=_path(table.string("relay_ca_file", ""), base_dir),
        max_message_bytes=table.integer("max_message_bytes", EmailSettings.max_message_bytes,
                                        minimum=1024),
        auto_replies_per_day=table.integer("auto_replies_per_day",
                                           EmailSettings.auto_replies_per_day, minimum=1),
        imap=imap,
    )


def _desk_hours(table: _Reader, time_zone: str, key: str) -> DeskHours:
    week = {day: table.str_list(day) for day in table.keys()  # noqa: SIM118
            if day not in ("public_holidays", "closures")}
    try:
        return DeskHours.from_mapping(week, time_zone,
                                      closed_on_public_holidays=not table.boolean("public_holidays",
                                                                               False),
                                      closures=table.str_list("closures"))
    except DeskHoursError as exc:
        raise ConfigError(f"{key}: {exc}") from exc


def _offer(table: _Reader, key: str, required: bool) -> dict[str, dict[str, str]]:
    offer: dict[str, dict[str, str]] = {}
    for language in ("nl", "en"):
        values = table.table(language)
        offer[language] = {name: values.string(name, "" if not required else None)
                           for name in PLACEHOLDERS if name not in SERVICE_PLACEHOLDERS}
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
    reader = _Reader(raw)
    demo = _users(reader, config.municipalities, allow_plain_passwords=True)
    users = config.users + demo
    _unique_usernames(users)
    rota = config.rota
    if "rota" in raw:   # a demo rota for the demo advisers
        rota = _rota(reader.table("rota"), config.time_zone)
    try:
        check_names(rota, [user.username for user in users], config.municipalities)
    except RotaError as exc:
        raise ConfigError(f"{path}: rota: {exc}") from exc
    return replace(config, users=users, demo=True, rota=rota)


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
    if role == COORDINATOR and not scope:
        raise ConfigError(f"{table.key('municipalities')}: a coordinator needs at least one "
                          f"municipality (role = \"{REGIONAL_COORDINATOR}\" sees the whole "
                          f"region)")
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
        profile=AdviserProfile(
            table.string("username"),
            max_live_chats=table.integer("max_live_chats", 3, minimum=1),
            languages=tuple(table.str_list("languages")) or ("nl",),
            topics=tuple(table.str_list("topics")),
        ) if role == ADVISER else None,
        email=_address(table.string("email", ""), table.key("email")) or None,
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


def _postcodes_elsewhere(path: Path | None, names: Mapping[str, str]) -> dict[str, str]:
    """PC4 -> municipality name for the rest of the country (read after _postcodes checked it)."""
    if path is None:
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["postcode"]: row["municipality"] for row in csv.DictReader(handle)
                if row["municipality"].casefold() not in names}


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

    def names(self) -> list[str]:
        """The keys present in this table (to refuse unknown ones)."""
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

    def date(self, name: str) -> date:
        value = self._get(name, _MISSING, date, "a date like 2026-12-08")
        if isinstance(value, datetime):
            raise ConfigError(f"{self.key(name)}: expected a date like 2026-12-08, got {value!r}")
        return value  # type: ignore[no-any-return]

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
