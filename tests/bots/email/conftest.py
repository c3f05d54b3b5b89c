"""The real app with the e-mail channel on loopback ports the OS chooses."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

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
