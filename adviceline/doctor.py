"""`adviceline doctor`: check what a deployment depends on and say what is wrong, one line each.

Configuration, the database and its migrations, the knowledge base, and, when configured, the
outgoing mail relay (connect, STARTTLS or TLS, login), the IMAP mailbox (login, folder) and the
Telegram bot's token (getMe). It only reads: nothing is migrated, sent or changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from adviceline.config import (
    Config,
    ConfigError,
    EmailSettings,
    ImapSettings,
    TelegramSettings,
    load_config,
)
from adviceline.storage.startup import DatabaseUnavailable, check_database, head_revision

TIMEOUT = 10.0


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


async def examine(config_file: Path | None, database_url: str | None = None) -> list[Finding]:
    try:
        config = load_config(config_file)
    except ConfigError as error:
        return [Finding("configuration", False, str(error))]
    if database_url:
        config = config.with_overrides(database_url=database_url)
    findings = [Finding("configuration", True,
                        f"{config.source or 'built-in defaults'}: {config.region_name}, "
                        f"{len(config.municipalities)} municipalities, {len(config.users)} "
                        "configured staff accounts")]
    findings += await _database(config)
    findings.append(await asyncio.to_thread(_knowledge_base, config))
    if config.telegram.enabled:
        findings.append(await _telegram(config.telegram))
    if config.email is not None:
        findings.append(await _in_thread("e-mail relay", _smtp, config.email))
        if config.email.imap is not None:
            findings.append(await _in_thread("e-mail mailbox (IMAP)", _imap, config.email.imap))
    return findings


async def _database(config: Config) -> list[Finding]:
    from adviceline.storage.startup import describe

    url = config.database_url.reveal()
    try:
        revision = await check_database(url, timeout=TIMEOUT)
    except DatabaseUnavailable as error:
        return [Finding("database", False, str(error))]
    head = head_revision()
    if revision == head:
        migrations = Finding("migrations", True, f"schema at {revision}, the newest")
    elif revision is None:
        migrations = Finding("migrations", True, "an empty database: the first start (or "
                                                 "`adviceline db upgrade`) creates the schema")
    else:
        migrations = Finding("migrations", True, f"schema at {revision}; the next start (or "
                                                 f"`adviceline db upgrade`) brings it to {head}")
    return [Finding("database", True, describe(url)), migrations]


def _knowledge_base(config: Config) -> Finding:
    from knowledge_base.check import check_knowledge_base

    try:
        problems = check_knowledge_base(config.entries_dir, config.topics_file, config.matcher)
    except Exception as error:   # an unreadable entry file names itself in the message
        return Finding("knowledge base", False, f"cannot be read: {error}")
    if problems:
        first = problems[0]
        return Finding("knowledge base", False, f"{len(problems)} problem(s), the first: "
                                                f"{first.path}: {first.message} (`adviceline kb "
                                                "check` lists them all)")
    return Finding("knowledge base", True, f"{config.entries_dir}: `kb check` finds nothing")


async def _telegram(telegram: TelegramSettings) -> Finding:
    """getMe with the configured token; the token itself never appears in the line."""
    import aiohttp

    base = telegram.base_url or "https://api.telegram.org/bot"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http, \
                http.post(f"{base}{telegram.token.reveal()}/getMe") as response:
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        reason = _reason(error.__cause__ if isinstance(error.__cause__, OSError) else error)
        return Finding("Telegram bot", False, f"the Bot API at {base.rstrip('/')}: {reason}")
    if not isinstance(body, dict) or not body.get("ok"):
        said = body.get("description", "") if isinstance(body, dict) else ""
        hint = " (the token was refused: check ADVICELINE_TELEGRAM_TOKEN)" \
            if response.status in (401, 404) else ""
        return Finding("Telegram bot", False, f"getMe answered {response.status} {said}{hint}")
    bot = body.get("result") or {}
    return Finding("Telegram bot", True, f"@{bot.get('username')} (id {bot.get('id')}) answers "
                                         f"getMe; {telegram.mode} mode")


async def _in_thread(name: str, check: Callable[..., str], settings: object) -> Finding:
    try:
        return Finding(name, True, await asyncio.to_thread(check, settings))
    except (OSError, smtplib.SMTPException, imaplib.IMAP4.error, ssl.SSLError) as error:
        return Finding(name, False, _reason(error))


def _reason(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is the server running, are host and port right?)"
    if isinstance(error, TimeoutError):
        return f"no answer within {TIMEOUT:.0f} s (firewall, wrong host?)"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "the relay refused the login (relay_username, ADVICELINE_EMAIL_RELAY_PASSWORD)"
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return f"TLS failed: {error}"
    return f"{type(error).__name__}: {error}"


def _tls(ca_file: Path | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def _smtp(email: EmailSettings) -> str:
    host, port = email.relay
    context = _tls(email.relay_ca_file)
    client = (smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
              if email.relay_tls == "tls" else smtplib.SMTP(host, port, timeout=TIMEOUT))
    try:
        client.ehlo()
        if email.relay_tls == "starttls":
            client.starttls(context=context)
            client.ehlo()
        said = "answered"
        if email.relay_username:
            client.login(email.relay_username, email.relay_password.reveal())
            said = "accepted the login"
    finally:
        try:
            client.quit()
        except smtplib.SMTPException:
            client.close()
    return f"{host}:{port} ({email.relay_tls}) {said}"


def _imap(imap: ImapSettings) -> str:
    client = (imaplib.IMAP4_SSL(imap.host, imap.port, ssl_context=_tls(imap.ca_file),
                                timeout=TIMEOUT)
              if imap.tls else imaplib.IMAP4(imap.host, imap.port, timeout=TIMEOUT))
    try:
        client.login(imap.username, imap.password.reveal())
        status, _ = client.select(imap.folder, readonly=True)
        if status != "OK":
            raise imaplib.IMAP4.error(f"the folder {imap.folder!r} cannot be opened")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return f"{imap.username}@{imap.host}:{imap.port}, folder {imap.folder!r} opens"
