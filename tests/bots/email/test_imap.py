"""Polling a real mailbox (Dovecot over implicit TLS): mail is taken in and marked \\Seen (or
moved) only once stored, after an outage or a failed store everything unseen is caught up,
and a mail fetched twice never makes a second question."""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import socket
import ssl
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace

import pytest
from sqlalchemy import select

from adviceline.clock import FrozenClock
from adviceline.config import Config, ImapSettings, Secret
from adviceline.faq import Faq
from adviceline.storage.models import Message
from adviceline.web.keys import SESSIONS
from bots.email.imap import ImapPoller
from bots.email.inbound import Intake
from tests.bots.email.conftest import ALMELO, PARENT, REGION, MailApp, Relay, email_config, mail
from tests.conftest import answerable, eventually
from tests.dovecot import Mailbox
from tests.web.test_end_to_end import UNANSWERABLE

OTHER = "jeroen@example.nl"


def settings(box: Mailbox, **changes: object) -> ImapSettings:
    values: dict[str, object] = {"host": box.host, "port": box.port, "tls": True,
                                 "username": box.username, "password": Secret(box.password),
                                 "ca_file": box.ca_file, "poll_seconds": 3600.0}
    values.update(changes)
    return ImapSettings(**values)  # type: ignore[arg-type]


class Imap:
    """The mailbox as the municipality's mail server and its users see it (stdlib imaplib, in
    a thread: it blocks)."""

    def __init__(self, box: Mailbox) -> None:
        self.box = box

    def _run(self, *commands: tuple[str, tuple[object, ...]], folder: str = "INBOX"
             ) -> list[object]:
        context = ssl.create_default_context(cafile=str(self.box.ca_file))
        with imaplib.IMAP4_SSL(self.box.host, self.box.port, ssl_context=context) as client:
            client.login(self.box.username, self.box.password)
            client.select(folder)
            results = []
            for name, args in commands:
                status, data = getattr(client, name)(*args)
                assert status == "OK", (name, data)
                results.append(data)
            return results

    async def deliver(self, *raws: bytes) -> None:
        await asyncio.to_thread(self._run, *[("append", ("INBOX", "", None, raw))
                                             for raw in raws])

    async def unseen(self, folder: str = "INBOX") -> list[int]:
        [data] = await asyncio.to_thread(self._run, ("uid", ("search", None, "UNSEEN")),
                                         folder=folder)
        return [int(uid) for uid in data[0].split()]  # type: ignore[index]

    async def count(self, folder: str = "INBOX") -> int:
        [data] = await asyncio.to_thread(self._run, ("uid", ("search", None, "ALL")),
                                         folder=folder)
        return len(data[0].split())  # type: ignore[index]

    async def mark_unseen(self, uids: Sequence[int]) -> None:
        await asyncio.to_thread(self._run, *[("uid", ("store", str(uid), "-FLAGS", r"(\Seen)"))
                                             for uid in uids])

    async def create(self, folder: str) -> None:
        await asyncio.to_thread(self._run, ("create", (folder,)))


@pytest.fixture
async def imap_app(config: Config, clock: FrozenClock, faq: Faq, relay: Relay,
                   mailbox: Mailbox) -> AsyncIterator[MailApp]:
    """The app polling `mailbox` every 0.05 s and replying through `relay`; no SMTP listener."""
    from tests.bots.email.conftest import start
    configured = email_config(config, listen=None, relay=("127.0.0.1", relay.port),
                              imap=settings(mailbox, poll_seconds=0.05))
    async for running in start(configured, clock, faq):
        yield running


async def test_mail_in_the_mailbox_is_answered_in_its_thread_and_marked_seen(
        imap_app: MailApp, mailbox: Mailbox, relay: Relay, faq: Faq) -> None:
    box = Imap(mailbox)
    question = answerable(faq)[0].question
    await box.deliver(mail(question, message_id="<m1@example.nl>"),
                      mail(UNANSWERABLE, message_id="<m2@example.nl>", sender=OTHER, to=REGION))

    async def both_seen() -> bool | None:
        return True if await box.unseen() == [] else None
    await eventually(both_seen)
    first = await imap_app.port.conversation_for_address("email", PARENT)
    second = await imap_app.port.conversation_for_address("email", OTHER)
    assert first is not None and first.municipality == "almelo"   # by the To header
    assert second is not None and second.municipality is None     # the regional address
    answers = await relay.wait_for(2)
    by_thread = {answer["In-Reply-To"]: answer for answer in answers}
    assert set(by_thread) == {"<m1@example.nl>", "<m2@example.nl>"}
    assert by_thread["<m1@example.nl>"]["From"].addresses[0].addr_spec == ALMELO

    # The mail server delivers the first mail again: fetched, recognised, no second question.
    await box.deliver(mail(question, message_id="<m1@example.nl>"))
    await eventually(both_seen)
    parents = [m for m in await imap_app.port.messages_after(first.conversation_id, 0)
               if m.sender == "parent"]
    assert len(parents) == 1


class FailingOnce:
    """The intake with a database that fails at the first store (the outage of a moment)."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.failed = False

    async def take(self, raw: bytes, recipients: Sequence[str] = (),
                   envelope_sender: str | None = None) -> str:
        if not self.failed:
            self.failed = True
            raise ConnectionError("the database went away")
        return await self.intake.take(raw, recipients, envelope_sender)


async def test_after_an_outage_or_a_failed_store_everything_unseen_is_taken_in_once(
        sqlite_mail_app: MailApp, mailbox: Mailbox) -> None:
    box = Imap(mailbox)
    app = sqlite_mail_app
    raws = [mail(f"Vraag {n}: {UNANSWERABLE}", message_id=f"<o{n}@example.nl>")
            for n in range(3)]
    await box.deliver(*raws[:2])

    # The mailbox is unreachable: nothing is taken, nothing is marked.
    with refusing_port() as port:
        closed = ImapPoller(app.service.intake, settings(mailbox, port=port))
        with pytest.raises(OSError):
            await closed.poll()
    # Storing fails at the first mail: the round stops, both stay unseen.
    flaky = ImapPoller(FailingOnce(app.service.intake), settings(mailbox))  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        await flaky.poll()
    assert len(await box.unseen()) == 2 and await parent_texts(app) == []

    poller = ImapPoller(app.service.intake, settings(mailbox))
    assert await poller.poll() == 2
    assert await box.unseen() == []
    assert await poller.poll() == 0
    await box.deliver(raws[2])
    assert await poller.poll() == 1      # only what is new since the watermark
    assert [text[:7] for text in await parent_texts(app)] == ["Vraag 0", "Vraag 1", "Vraag 2"]

    # Someone marks them unread again; after a restart they are fetched again, and only
    # marked: the Message-IDs were stored before.
    await box.mark_unseen([1, 2, 3])
    restarted = ImapPoller(app.service.intake, settings(mailbox))
    assert await restarted.poll() == 3
    assert await box.unseen() == []
    assert len(await parent_texts(app)) == 3


async def test_a_stored_mail_is_moved_to_the_done_folder(sqlite_mail_app: MailApp,
                                                         mailbox: Mailbox) -> None:
    box = Imap(mailbox)
    await box.create("Verwerkt")
    await box.deliver(mail(UNANSWERABLE, message_id="<d1@example.nl>"))
    poller = ImapPoller(sqlite_mail_app.service.intake,
                        replace(settings(mailbox), done_folder="Verwerkt"))
    assert await poller.poll() == 1
    assert await box.count() == 0 and await box.count("Verwerkt") == 1
    assert len(await parent_texts(sqlite_mail_app)) == 1


async def parent_texts(app: MailApp) -> list[str]:
    """Every parent's message stored, in the order stored (each mail here opens a conversation)."""
    async with app.running.app[SESSIONS]() as session:
        rows = await session.scalars(select(Message.body).where(Message.sender == "parent")
                                     .order_by(Message.id))
        return [str(body) for body in rows]


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port that refuses connections: bound, never listening (so no one else takes it)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])
