"""The real app with the e-mail channel on loopback ports the OS chooses."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from adviceline.channels import ParentPort
from adviceline.clock import FrozenClock
from adviceline.config import Config, EmailSettings
from adviceline.domain import OutboundMessage
from adviceline.faq import Faq
from adviceline.web.app import create_app
from adviceline.web.keys import PARENT_PORT, TASKS
from bots.email.keys import SERVICE
from bots.email.service import EmailService
from tests.conftest import RunningApp

ALMELO = "opvoedvragen@almelo.example"
REGION = "opvoedvragen@cjg-twente.example"
PARENT = "sanne.devries@example.nl"


def email_config(config: Config, **settings: Any) -> Config:
    municipalities = dict(config.municipalities)
    municipalities["almelo"] = replace(municipalities["almelo"], email=ALMELO)
    values: dict[str, Any] = {"from_address": REGION, "default_address": REGION,
                              "listen": ("127.0.0.1", 0), "relay": ("127.0.0.1", 9)}
    values.update(settings)
    return replace(config, municipalities=municipalities, email=EmailSettings(**values))


def mail(text: str, *, message_id: str | None = "<q1@example.nl>", to: str = ALMELO,
         sender: str = PARENT, subject: str = "Vraag", extra: str = "") -> bytes:
    headers = f"From: Sanne <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
    if message_id:
        headers += f"Message-ID: {message_id}\r\n"
    headers += extra + "Content-Type: text/plain; charset=utf-8\r\n"
    return (headers + "\r\n" + text.replace("\n", "\r\n") + "\r\n").encode("utf-8")


def _send(address: tuple[str, int], raw: bytes, recipients: Sequence[str],
          mail_from: str) -> tuple[int, str]:
    with smtplib.SMTP(*address, timeout=10) as client:
        client.ehlo()
        client.mail(mail_from)
        for recipient in recipients:
            code, message = client.rcpt(recipient)
            if code >= 400:
                return code, message.decode()
        code, message = client.data(raw)
        return code, message.decode()


@dataclass
class MailApp:
    running: RunningApp
    service: EmailService

    @property
    def port(self) -> ParentPort:
        return self.running.app[PARENT_PORT]

    async def send(self, raw: bytes, recipients: Sequence[str] = (ALMELO,),
                   mail_from: str = PARENT) -> tuple[int, str]:
        """Send by smtplib (in a thread: it blocks) to our listener; (code, text) of DATA."""
        address = self.service.smtp_address
        assert address is not None
        result = await asyncio.to_thread(_send, address, raw, recipients, mail_from)
        await self.running.app[TASKS].drain()
        return result

    async def messages(self, address: str = PARENT) -> list[OutboundMessage]:
        found = await self.port.conversation_for_address("email", address)
        if found is None:
            return []
        return await self.port.messages_after(found.conversation_id, 0)


async def start(config: Config, clock: FrozenClock, faq: Faq) -> AsyncIterator[MailApp]:
    app = create_app(config, clock=clock, faq=faq)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield MailApp(RunningApp(server, http), app[SERVICE])
    await server.close()


@pytest.fixture
async def mail_app(config: Config, clock: FrozenClock, faq: Faq) -> AsyncIterator[MailApp]:
    """On SQLite and on PostgreSQL."""
    async for running in start(email_config(config), clock, faq):
        yield running


@pytest.fixture
async def sqlite_mail_app(base_config: Config, sqlite_url: str, clock: FrozenClock,
                          faq: Faq) -> AsyncIterator[MailApp]:
    from adviceline.config import Secret
    config = replace(base_config, database_url=Secret(sqlite_url), secure_cookies=False,
                     demo=False)
    async for running in start(email_config(config, max_message_bytes=4096), clock, faq):
        yield running


class Relay:
    """A real SMTP server (aiosmtpd) in the test's loop as our outgoing relay: it keeps what it
    is sent, refuses the addresses in `refuse` with 550, and can be stopped and started again
    on the same port (the relay is down, then back)."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, implicit_tls: bool = False,
                 login: tuple[str, str] | None = None) -> None:
        """`tls`: offer STARTTLS (and require it), or with `implicit_tls` speak TLS from the
        first byte; `login`: require AUTH with this username and password (over TLS only)."""
        self.mails: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.sessions: list[tuple[bool, str | None]] = []   # (over TLS, logged in as) per mail
        self.refuse: set[str] = set()
        self.port = 0
        self._tls, self._implicit, self._login = tls, implicit_tls, login
        self._server: asyncio.Server | None = None
        self._held: socket.socket | None = None

    def _protocol(self, loop: asyncio.AbstractEventLoop) -> SMTP:
        starttls: dict[str, Any] = {}
        if self._tls is not None and not self._implicit:
            starttls = {"tls_context": self._tls, "require_starttls": True}
        if self._login is None:
            return SMTP(self, loop=loop, **starttls)
        # Over implicit TLS aiosmtpd cannot tell the connection is encrypted: TLS is there from
        # the first byte, so it need not require it for AUTH.
        return SMTP(self, loop=loop, authenticator=self._authenticate,
                    auth_require_tls=not self._implicit, **starttls)

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      data: Any) -> AuthResult:
        given = (data.login.decode(), data.password.decode()) \
            if isinstance(data, LoginPassword) else None
        if given is None or given != self._login:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=data)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: self._protocol(loop), "127.0.0.1", self.port, reuse_address=True,
            ssl=self._tls if self._implicit else None)
        self.port = int(self._server.sockets[0].getsockname()[1])
        if self._held is not None:
            self._held.close()
            self._held = None

    async def stop(self, hold: bool = True) -> None:
        """Down: connections are refused. The port stays bound (not listening: the kernel
        refuses connections to it) so no other process takes it before `start` again."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if hold and self._held is None:
            self._held = socket.socket()
            self._held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._held.bind(("127.0.0.1", self.port))
        elif not hold and self._held is not None:
            self._held.close()
            self._held = None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        login = session.auth_data.login.decode() \
            if isinstance(session.auth_data, LoginPassword) else None
        encrypted = session.ssl is not None or (
            server.transport is not None
            and server.transport.get_extra_info("ssl_object") is not None)
        self.sessions.append((encrypted, login))
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        self.mails.append(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
        return "250 2.0.0 OK"

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The first `count` mails, once that many arrived (polled with a deadline)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.mails) < count:
            assert asyncio.get_running_loop().time() < deadline, \
                f"{len(self.mails)} of {count} mails arrived"
            await asyncio.sleep(0.01)
        return self.mails[:count]


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    server = Relay()
    await server.start()
    yield server
    await server.stop(hold=False)


@pytest.fixture
async def relay_app(config: Config, clock: FrozenClock, faq: Faq,
                    relay: Relay) -> AsyncIterator[MailApp]:
    """The app with its outgoing relay on `relay`; on SQLite and on PostgreSQL."""
    async for running in start(email_config(config, relay=("127.0.0.1", relay.port)), clock,
                               faq):
        yield running
