"""Our SMTP listener fed by smtplib: 250 only once stored, the recipient picks the
municipality, exactly once per Message-ID, threads by signed token only, and one message per
DATA whatever the sender tries."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from adviceline.clock import FrozenClock
from adviceline.web.keys import ENGINE
from bots.email import tokens
from bots.email.inbound import SECRET
from tests.bots.email.conftest import ALMELO, PARENT, REGION, MailApp, mail
from tests.web.test_end_to_end import UNANSWERABLE

QUESTION = UNANSWERABLE


async def test_a_mail_is_stored_once_for_its_municipality(mail_app: MailApp) -> None:
    code, reply = await mail_app.send(mail(QUESTION + "\n\n-- \nSanne, 06-12345678"))
    assert code == 250 and "stored" in reply
    conversation = await mail_app.port.conversation_for_address("email", PARENT)
    assert conversation is not None and conversation.municipality == "almelo"
    [first, *_] = await mail_app.messages()
    assert first.sender == "parent" and first.text == QUESTION   # no signature kept

    code, reply = await mail_app.send(mail(QUESTION + "\n\n-- \nSanne, 06-12345678"))
    assert code == 250 and "duplicate" in reply
    assert [m.seq for m in await mail_app.messages() if m.sender == "parent"] == [first.seq]


async def test_a_reply_with_our_token_continues_the_conversation_and_nothing_else_does(
        mail_app: MailApp, clock: FrozenClock) -> None:
    await mail_app.send(mail(QUESTION))
    conversation = await mail_app.port.conversation_for_address("email", PARENT)
    assert conversation is not None
    key = await mail_app.port.channel_secret(SECRET)
    ours = tokens.message_id(key, tokens.ThreadToken(conversation.conversation_id, 2),
                             "cjg-twente.example")
    reply = mail("Hij is drie jaar en het speelt sinds de zomer.", message_id="<r1@example.nl>",
                 subject="Re: Vraag", extra=f"In-Reply-To: {ours}\r\nReferences: {ours}\r\n")
    assert (await mail_app.send(reply))[0] == 250
    same = await mail_app.port.conversation_for_address("email", PARENT)
    assert same is not None and same.conversation_id == conversation.conversation_id
    assert [m.text for m in await mail_app.messages() if m.sender == "parent"][-1] \
        .startswith("Hij is drie jaar")

    # Someone else with the same token, a forged token, or the subject alone: new conversations.
    other = "iemand.anders@example.nl"
    stolen = mail("Ik heb ook een vraag over slapen.", message_id="<r2@example.nl>",
                  sender=other, extra=f"In-Reply-To: {ours}\r\n")
    assert (await mail_app.send(stolen, mail_from=other))[0] == 250
    theirs = await mail_app.port.conversation_for_address("email", other)
    assert theirs is not None and theirs.conversation_id != conversation.conversation_id
    mac = ours.split("@")[0].split(".")[-1]
    forged = ours.replace(mac, "a" * len(mac))
    for number, extra in enumerate([f"In-Reply-To: {forged}\r\n",
                                    f"References: {ours[:30]}>\r\n", ""]):
        clock.advance(minutes=1)
        await mail_app.send(mail(f"Nog een vraag {number}: hoe gaat het verder?",
                                 message_id=f"<f{number}@example.nl>", subject="Re: Vraag",
                                 extra=extra))
        latest = await mail_app.port.conversation_for_address("email", PARENT)
        assert latest is not None and latest.conversation_id != conversation.conversation_id
        [opening, *_] = await mail_app.port.messages_after(latest.conversation_id, 0)
        assert opening.text.startswith(f"Nog een vraag {number}")   # it opened this one
        conversation = latest


async def test_the_default_address_goes_to_the_regional_pool_and_strangers_are_refused(
        sqlite_mail_app: MailApp) -> None:
    assert (await sqlite_mail_app.send(mail(QUESTION, to=REGION), [REGION]))[0] == 250
    conversation = await sqlite_mail_app.port.conversation_for_address("email", PARENT)
    assert conversation is not None and conversation.municipality is None
    code, _reply = await sqlite_mail_app.send(mail("x", message_id="<n@x>"),
                                             ["iemand@elders.example"])
    assert code == 550


async def test_oversize_is_refused_with_552_and_a_failed_store_with_451(
        sqlite_mail_app: MailApp) -> None:
    code, _ = await sqlite_mail_app.send(mail("Een lange vraag.\n" * 400))
    assert code == 552
    engine = sqlite_mail_app.running.app[ENGINE]
    async with engine.begin() as connection:
        await connection.execute(text("ALTER TABLE channel_receipts RENAME TO receipts_away"))
        await connection.execute(text("ALTER TABLE quarantine RENAME TO quarantine_away"))
    try:
        code, _ = await sqlite_mail_app.send(mail(QUESTION))
        assert code == 451
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE receipts_away RENAME TO channel_receipts"))
            await connection.execute(text("ALTER TABLE quarantine_away RENAME TO quarantine"))
    assert await sqlite_mail_app.messages() == []
    assert (await sqlite_mail_app.send(mail(QUESTION)))[0] == 250   # the sender's retry
    assert next(m.text for m in await sqlite_mail_app.messages()) == QUESTION


async def test_unreadable_and_automatic_mail_is_quarantined_and_blocks_nothing(
        sqlite_mail_app: MailApp) -> None:
    broken = b"To: " + ALMELO.encode() + b"\r\nSubject: ?\r\n\r\nzonder afzender\r\n"
    code, reply = await sqlite_mail_app.send(broken)
    assert code == 250 and "quarantined" in reply
    away = mail("Ik ben afwezig tot maandag.", message_id="<ooo@example.nl>",
                subject="Automatisch antwoord: Vraag", extra="Auto-Submitted: auto-replied\r\n")
    assert "quarantined" in (await sqlite_mail_app.send(away))[1]
    assert await sqlite_mail_app.messages() == []        # no conversation, no reply
    assert (await sqlite_mail_app.send(mail(QUESTION)))[0] == 250
    assert len(await sqlite_mail_app.messages()) >= 1


async def _raw_session(address: tuple[str, int], lines: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(*address)
    writer.write(lines)
    await writer.drain()
    received = b""
    try:
        while b"221" not in received:
            chunk = await asyncio.wait_for(reader.read(4096), 10)
            if not chunk:
                break
            received += chunk
    finally:
        writer.close()
    return received


async def test_one_message_per_data_whatever_the_sender_tries(sqlite_mail_app: MailApp) -> None:
    address = sqlite_mail_app.service.smtp_address
    assert address is not None
    evil = "smokkel@example.nl"
    body = (f"From: {PARENT}\r\nTo: {ALMELO}\r\nMessage-ID: <s1@example.nl>\r\n\r\n"
            f"{QUESTION}\x00\r\n"
            # A bare-LF "end of data" followed by a second message, all in one DATA:
            f"\n.\nMAIL FROM:<{evil}>\nRCPT TO:<{ALMELO}>\nDATA\nFrom: {evil}\n"
            f"Message-ID: <s2@example.nl>\n\nTweede bericht\n.\n"
            f"\r.\r\nMAIL FROM:<{evil}>\r\n").encode()
    session = (f"EHLO test\r\nMAIL FROM:<{PARENT}>\r\nRCPT TO:<{ALMELO}>\r\nDATA\r\n"
               .encode() + body + b"\r\n.\r\nQUIT\r\n")
    transcript = await _raw_session(address, session)
    await asyncio.sleep(0)
    assert transcript.count(b"250 2.0.0 OK") == 1
    assert await sqlite_mail_app.port.conversation_for_address("email", evil) is None
    parents = [m for m in await sqlite_mail_app.messages() if m.sender == "parent"]
    assert len(parents) == 1 and "\x00" not in parents[0].text
