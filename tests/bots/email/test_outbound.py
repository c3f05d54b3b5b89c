"""Replies by mail through a real relay (aiosmtpd on a loopback port): in the parent's thread
with our signed token, the FAQ answer, the receipt and the adviser's answer; a relay that is
down for a while loses nothing and sends nothing twice; a refused address is shown to advisers.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from adviceline.clock import FrozenClock
from adviceline.config import Config, Secret
from adviceline.faq import Faq
from adviceline.notify import QUEUE
from adviceline.storage.models import OutboxItem
from adviceline.web.keys import FAQ, NOTIFIER, SESSIONS
from bots.email import tokens
from bots.email.compose import plain
from bots.email.inbound import SECRET
from tests.bots.email.conftest import (
    ALMELO,
    PARENT,
    MailApp,
    Relay,
    email_config,
    mail,
    start,
)
from tests.conftest import RunningApp, answerable, eventually
from tests.dovecot import tls_certificate
from tests.web.test_end_to_end import UNANSWERABLE, _csrf


async def outbox(app: MailApp) -> list[OutboxItem]:
    async with app.running.app[SESSIONS]() as session:
        return list((await session.scalars(select(OutboxItem).order_by(OutboxItem.seq))).all())


def settled(app: MailApp) -> Callable[[], Awaitable[list[OutboxItem] | None]]:
    """The outbox once the worker has recorded every item (a mail reaches the relay a moment
    before the worker records it as delivered)."""
    async def probe() -> list[OutboxItem] | None:
        items = await outbox(app)
        return items if items and all(item.status != "pending" for item in items) else None
    return probe


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


async def adviser_answers(running: RunningApp, question_id: str, *replies: str) -> None:
    adviser = await running.login("adviseur.regio", "demo-regio")
    try:
        csrf = await _csrf(adviser, running.url("/console"))
        response = await adviser.post(running.url(f"/console/api/questions/{question_id}/claim"),
                                      headers={"X-CSRF-Token": csrf})
        assert response.status == 200, await response.text()
        for text in replies:
            response = await adviser.post(
                running.url(f"/console/api/questions/{question_id}/reply"), json={"text": text},
                headers={"X-CSRF-Token": csrf})
            assert response.status == 201, await response.text()
    finally:
        await adviser.close()


async def waiting_question(running: RunningApp) -> str:
    adviser = await running.login("adviseur.regio", "demo-regio")
    try:
        queue = await (await adviser.get(running.url("/console/api/queue"))).json()
    finally:
        await adviser.close()
    [question] = queue["questions"]
    return str(question["id"])


async def test_faq_answer_receipt_and_adviser_reply_arrive_in_the_parents_thread(
        relay_app: MailApp, relay: Relay, clock: FrozenClock) -> None:
    entry = answerable(relay_app.running.app[FAQ])[0]
    code, _ = await relay_app.send(mail(entry.question, subject="Vraag over slapen"))
    assert code == 250
    [answer] = await relay.wait_for(1)
    conversation = await relay_app.port.conversation_for_address("email", PARENT)
    assert conversation is not None

    # A reply from the municipality's address, in the thread, automatic, with our token.
    assert relay.envelopes[0] == (ALMELO, [PARENT])
    assert answer["From"].addresses[0].addr_spec == ALMELO
    assert answer["To"].addresses[0].addr_spec == PARENT
    assert answer["Subject"] == "Re: Vraag over slapen"
    assert answer["In-Reply-To"] == "<q1@example.nl>"
    assert answer["References"] == "<q1@example.nl>"
    assert answer["Auto-Submitted"] == "auto-replied"
    key = await relay_app.port.channel_secret(SECRET)
    token = tokens.read(key, answer["Message-ID"])
    assert token is not None and token.conversation_id == conversation.conversation_id
    body = text_of(answer)
    found = relay_app.port.faq_entry(entry.id, "nl", "almelo")
    assert found is not None
    assert plain([found[1]]).strip() in body and found[0] in body
    dutch, english = body.index("Heeft dit antwoord je geholpen?"), body.index("Did this answer")
    assert dutch < english
    assert "112" in body.split("\n\n")[-2]   # the emergency line ends every automatic reply
    assert "**" not in body and "<p>" in html_of(answer)
    [item] = await eventually(settled(relay_app))
    assert item.status == "delivered" and item.channel_message_id == answer["Message-ID"]

    # "nee" in reply: the question goes to an adviser and the receipt follows in the thread.
    clock.advance(minutes=1)
    ours = answer["Message-ID"]
    code, reply = await relay_app.send(mail("Nee", message_id="<r1@example.nl>",
                                            subject="Re: Vraag over slapen",
                                            extra=f"In-Reply-To: {ours}\r\nReferences: "
                                                  f"<q1@example.nl> {ours}\r\n"))
    assert code == 250 and "feedback" in reply
    [_, receipt] = await relay.wait_for(2)
    assert receipt["Auto-Submitted"] == "auto-replied"
    assert ours in receipt["References"].split()
    assert receipt["Subject"] == "Re: Vraag over slapen"
    assert "Almelo" in text_of(receipt)

    # The adviser's answer: a person's mail (no Auto-Submitted), signed with their name.
    clock.advance(minutes=5)
    question_id = await waiting_question(relay_app.running)
    await adviser_answers(relay_app.running, question_id, "Probeer een vast slaapritueel.")
    [*_, personal] = await relay.wait_for(3)
    assert personal["Auto-Submitted"] is None
    assert "Probeer een vast slaapritueel." in text_of(personal)
    assert "Carin (regionale pool)" in text_of(personal)
    assert {ours, receipt["Message-ID"]} <= set(personal["References"].split())
    kinds = [(item.status, item.last_error) for item in await eventually(settled(relay_app))]
    # FAQ answer, receipt, "an adviser is reading" (not mailed), the adviser's answer.
    assert kinds == [("delivered", None), ("delivered", None),
                     ("skipped", "not sent by mail"), ("delivered", None)]

    # The parent answers the adviser's mail: the same conversation continues.
    code, _ = await relay_app.send(mail(
        "Dank je, dat gaan we proberen. Hoe lang duurt het voordat het went?",
        message_id="<r2@example.nl>", subject="Re: Vraag over slapen",
        extra=f"In-Reply-To: {personal['Message-ID']}\r\n"))
    assert code == 250
    same = await relay_app.port.conversation_for_address("email", PARENT)
    assert same is not None and same.conversation_id == conversation.conversation_id


async def test_a_relay_down_for_a_while_gets_everything_once_and_in_order_after_it_returns(
        relay_app: MailApp, relay: Relay, clock: FrozenClock) -> None:
    await relay.stop()
    code, _ = await relay_app.send(mail(UNANSWERABLE))   # mail is taken in meanwhile
    assert code == 250

    async def tried() -> OutboxItem | None:
        items = await outbox(relay_app)
        return items[0] if items and items[0].attempts == 1 else None
    first = await eventually(tried)
    assert first.status == "pending" and "unreachable" in (first.last_error or "")

    clock.advance(minutes=1)
    question_id = await waiting_question(relay_app.running)
    replies = ["Eerste antwoord.", "Tweede antwoord.", "Derde antwoord."]
    await adviser_answers(relay_app.running, question_id, *replies)
    assert relay.mails == []

    await relay.start()    # back, on the same port
    clock.advance(minutes=6)   # past the outbox's longest backoff
    relay_app.running.app[NOTIFIER].publish(QUEUE)
    mails = await relay.wait_for(4)
    assert "Almelo" in text_of(mails[0])
    assert [next(r for r in replies if r in text_of(m)) for m in mails[1:]] == replies
    assert len({m["Message-ID"] for m in mails}) == 4

    # Once the worker has recorded it all, nothing is left and another round sends nothing.
    statuses = [(item.status, item.channel_message_id)
                for item in await eventually(settled(relay_app))]
    clock.advance(minutes=10)
    assert await relay_app.service.worker.deliver_due() == 0
    assert len(relay.mails) == 4
    assert [status for status, _ in statuses] == ["delivered", "skipped", "delivered",
                                                  "delivered", "delivered"]
    assert [mid for status, mid in statuses if status == "delivered"] == \
        [m["Message-ID"] for m in mails]


async def test_an_address_the_mail_server_refuses_fails_and_advisers_see_why(
        relay_app: MailApp, relay: Relay) -> None:
    relay.refuse.add(PARENT)
    assert (await relay_app.send(mail(UNANSWERABLE)))[0] == 250

    async def settled() -> OutboxItem | None:
        items = await outbox(relay_app)
        return items[0] if items and items[0].status != "pending" else None
    item = await eventually(settled)
    assert item.status == "failed" and "no such user" in (item.last_error or "")
    assert relay.mails == []

    running = relay_app.running
    adviser = await running.login("adviseur.regio", "demo-regio")
    try:
        [question] = (await (await adviser.get(running.url("/console/api/queue"))).json())[
            "questions"]
        assert question["undelivered"] is True
        shown = await (await adviser.get(
            running.url(f"/console/api/questions/{question['id']}"))).json()
        [receipt] = [m for m in shown["messages"] if m["kind"] == "queued"]
        assert receipt["delivery"]["status"] == "failed"
        assert "550" in receipt["delivery"]["reason"]
    finally:
        await adviser.close()


async def test_automatic_replies_are_capped_per_address_a_day_but_never_the_emergency_lines(
        base_config: Config, sqlite_url: str, clock: FrozenClock, faq: Faq,
        relay: Relay) -> None:
    config = replace(base_config, database_url=Secret(sqlite_url), demo=False)
    configured = email_config(config, relay=("127.0.0.1", relay.port), auto_replies_per_day=2)
    async for app in start(configured, clock, faq):
        for number in range(3):
            clock.advance(minutes=1)
            assert (await app.send(mail(f"Vraag {number}: {UNANSWERABLE}",
                                        message_id=f"<c{number}@example.nl>")))[0] == 250
        items = await eventually(settled(app))
        assert [(item.status, item.last_error) for item in items] == [
            ("delivered", None), ("delivered", None),
            ("skipped", "more than 2 automatic replies to this address in 24 hours")]
        assert len(relay.mails) == 2

        clock.advance(minutes=1)
        assert (await app.send(mail("mijn man slaat me en de kinderen zijn bang",
                                    message_id="<c9@example.nl>")))[0] == 250
        [*_, emergency] = await relay.wait_for(3)
        assert "112" in text_of(emergency) and "0800-2000" in text_of(emergency)


async def test_a_suggestion_is_no_dead_end_one_receipt_lists_the_entries_that_may_help(
        base_config: Config, sqlite_url: str, clock: FrozenClock, faq: Faq,
        relay: Relay) -> None:
    vague = next(q for q in ("ruzie", "mijn kind is boos", "hoe praat ik met mijn kind",
                             "mijn kind wil niet") if faq.decide(q).outcome == "suggest")
    config = replace(base_config, database_url=Secret(sqlite_url), demo=False)
    async for app in start(email_config(config, relay=("127.0.0.1", relay.port)), clock, faq):
        assert (await app.send(mail(vague)))[0] == 250
        [receipt] = await relay.wait_for(1)
        items = await eventually(settled(app))
        # The suggestions and the receipt were stored together: one mail carries both.
        assert [item.status for item in items] == ["delivered", "delivered"]
        assert {item.channel_message_id for item in items} == {receipt["Message-ID"]}
        body = text_of(receipt)
        assert body.index("Misschien helpt een van deze") < body.index("may already help")
        candidates = faq.decide(vague).candidates[:config.matcher.max_suggestions]
        for candidate in candidates:
            found = app.port.faq_entry(candidate.entry, "nl", "almelo")
            assert found is not None and found[0] in body
        assert "Almelo" in body and receipt["Auto-Submitted"] == "auto-replied"


@pytest.mark.parametrize("relay_tls", ["starttls", "tls"])
async def test_replies_go_out_over_tls_with_the_relay_login(
        base_config: Config, sqlite_url: str, clock: FrozenClock, faq: Faq, tmp_path: Path,
        relay_tls: str) -> None:
    """relay_tls = "starttls" | "tls" with relay_username and the password from the
    environment's Secret: the relay (requiring TLS before AUTH) gets the mail over TLS, logged
    in, with its certificate checked against relay_ca_file."""
    cert_file, key_file = tls_certificate(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    secure = Relay(tls=server_tls, implicit_tls=relay_tls == "tls",
                   login=("cjg-relay", "geheim wachtwoord"))
    await secure.start()
    config = replace(base_config, database_url=Secret(sqlite_url), secure_cookies=False,
                     demo=False)
    config = email_config(config, relay=("localhost", secure.port), relay_tls=relay_tls,
                          relay_username="cjg-relay", relay_password=Secret("geheim wachtwoord"),
                          relay_ca_file=cert_file)
    try:
        async for app in start(config, clock, faq):
            entry = answerable(app.running.app[FAQ])[0]
            code, _ = await app.send(mail(entry.question))
            assert code == 250
            [answer] = await secure.wait_for(1)
            assert answer["In-Reply-To"] == "<q1@example.nl>"
            assert secure.sessions == [(True, "cjg-relay")]
            [item] = await eventually(settled(app))
            assert item.status == "delivered"
    finally:
        await secure.stop(hold=False)
