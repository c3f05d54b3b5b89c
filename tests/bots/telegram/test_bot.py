"""The Telegram bot end to end: python-telegram-bot for real, the app on a loopback port, the
Bot API a local stand-in (tests/bots/telegram/fakeapi.py). Updates in by webhook and by long
polling, each stored before it is acknowledged and acted on once; replies out through the
outbox, through 429s, 5xx, dropped connections and slow answers."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.domain import ADVISER
from adviceline.faq import Faq
from adviceline.notify import QUEUE
from adviceline.storage import repository as repo
from adviceline.storage.models import ChannelUpdate, Conversation, OutboxItem
from adviceline.web.keys import FAQ, NOTIFIER, SESSIONS
from bots.telegram import BOT
from tests.bots.telegram.conftest import SECRET, WEBHOOK_URL, serve
from tests.bots.telegram.fakeapi import FakeBotApi, Fault, buttons, message, tap
from tests.conftest import RunningApp, answerable, eventually

HEADER = "X-Telegram-Bot-Api-Secret-Token"
CRISIS = "mijn man slaat me en de kinderen zijn bang"


async def post(running: RunningApp, update: Any, secret: str | None = SECRET,
               raw: bytes | None = None) -> int:
    headers = {HEADER: secret} if secret is not None else {}
    body = raw if raw is not None else None
    async with running.http.post(running.url("/telegram/webhook"), headers=headers,
                                 json=None if raw is not None else update, data=body) as reply:
        return reply.status


async def stored_updates(running: RunningApp) -> dict[int, ChannelUpdate]:
    async with running.app[SESSIONS]() as session:
        rows = (await session.scalars(select(ChannelUpdate))).all()
    return {row.update_id: row for row in rows}


def visible(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


async def test_polling_a_parent_asks_and_every_update_counts_once(
        config: Config, clock: FrozenClock, fake: FakeBotApi, faq: Faq) -> None:
    chat = 4242
    pushed: list[int] = []
    confirmed_before_stored: list[int] = []
    async with serve(config, clock, fake, faq, mode="polling") as running:
        async def offset_only_past_stored(offset: int | None) -> None:
            if offset is None:
                return
            stored = await stored_updates(running)
            confirmed_before_stored.extend(u for u in pushed if u < offset and u not in stored)
        fake.on_get_updates = offset_only_past_stored

        async def send(update: dict[str, Any], replies: int) -> list[dict[str, Any]]:
            pushed.append(update["update_id"])
            await fake.push(update)
            await fake.wait_for(lambda: len(fake.sent(chat)) >= replies)
            return fake.sent(chat)

        [greeting] = await send(message(chat, "/start"), 1)
        assert "anoniem" in greeting["text"] and "gemeente" in greeting["text"]
        assert greeting["parse_mode"] == "HTML"
        assert ("Enschede", "m:enschede") in buttons(greeting)

        chosen = await send(tap(chat, "m:enschede", message_id=greeting["_message_id"]), 2)
        assert "Enschede" in chosen[1]["text"]

        entry = answerable(running.app[FAQ])[0]
        question = message(chat, entry.question)
        replies = await send(question, 3)
        answer = replies[2]
        assert answer["text"].startswith("<b>")
        assert "Heeft dit je geholpen?" in answer["text"]
        [(yes, yes_data), (no, no_data)] = buttons(answer)
        assert (yes, no) == ("Ja", "Nee") and yes_data.startswith("f:") and no_data.endswith(":n")

        # Telegram hands the question over again (our offset confirmation got lost): nothing new.
        await fake.push(question)
        await fake.wait_for(lambda: fake.offsets[-1] == question["update_id"] + 1)
        help_reply = await send(message(chat, "/help"), 4)
        assert "/stop" in help_reply[3]["text"] and len(fake.sent(chat)) == 4

        # "Did this help?" No: the question goes to an adviser, with the expected time.
        replies = await send(tap(chat, no_data, message_id=answer["_message_id"],
                                 text=visible(answer["text"])), 5)
        assert "adviseur" in replies[4]["text"]
        # The used buttons go: the municipality's, then "did this help?".
        await fake.wait_for(lambda: len(fake.called("editMessageText")) == 2)
        first, edit = fake.called("editMessageText")
        assert int(first["message_id"]) == greeting["_message_id"]
        assert int(edit["message_id"]) == answer["_message_id"] and not buttons(edit)
        assert fake.called("answerCallbackQuery")

    assert not confirmed_before_stored
    assert len([o for o in fake.offsets if o is not None]) >= 3


async def test_webhook_answers_only_after_storing_and_a_redelivery_makes_no_second_message(
        config: Config, clock: FrozenClock, fake: FakeBotApi, faq: Faq) -> None:
    chat = 777
    async with serve(config, clock, fake, faq) as running:
        await fake.wait_for(lambda: fake.webhook is not None)
        assert fake.webhook is not None
        assert (fake.webhook["url"], fake.webhook["secret_token"]) == (WEBHOOK_URL, SECRET)
        assert running.app[FAQ].decide(CRISIS).outcome == "crisis"

        update = message(chat, CRISIS)
        assert await post(running, update, secret="wrong-secret-0123456789") == 403
        assert await post(running, update, secret=None) == 403
        assert await post(running, None, raw=b"{not json") == 400
        assert await post(running, {"message": {}}) == 400
        assert await post(running, {"update_id": -1}) == 400
        assert await stored_updates(running) == {}

        assert await post(running, update) == 200
        assert update["update_id"] in await stored_updates(running)   # stored before the 200
        assert await post(running, update) == 200                     # Telegram retries

        # First contact without /start: welcome, then the crisis reply and what happens next.
        await fake.wait_for(lambda: len(fake.sent(chat)) >= 3)
        greeting, crisis, queued = fake.sent(chat)[:3]
        assert "anoniem" in greeting["text"]
        assert "<b>112</b>" in crisis["text"] and "Veilig Thuis: 0800-2000" in crisis["text"]
        assert "adviseur" in queued["text"]
        assert await post(running, message(chat, "/help")) == 200
        await fake.wait_for(lambda: len(fake.sent(chat)) >= 4)
        assert "/gemeente" in fake.sent(chat)[3]["text"]
        assert sum("0800-2000" in m["text"] for m in fake.sent(chat)) == 1

        async def all_handled() -> bool | None:   # marked just after the reply is stored
            rows = (await stored_updates(running)).values()
            return True if all(r.handled_at and r.payload is None for r in rows) else None
        assert await eventually(all_handled)


async def test_what_the_line_cannot_read_gets_a_kind_reply_in_the_parents_language(
        config: Config, clock: FrozenClock, fake: FakeBotApi, faq: Faq) -> None:
    chat, english = 31, 32
    photo = [{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}]
    sticker = {"file_id": "s", "file_unique_id": "s", "width": 9, "height": 9,
               "is_animated": False, "is_video": False, "type": "regular"}
    voice = {"file_id": "v", "file_unique_id": "v", "duration": 3}
    async with serve(config, clock, fake, faq) as running:
        for update in (message(chat, photo=photo), message(chat, sticker=sticker),
                       message(chat, voice=voice), message(chat, "Mijn kind", edited=True),
                       message(english, "/start", language="en"),
                       message(english, photo=photo, language="en")):
            assert await post(running, update) == 200
        await fake.wait_for(lambda: len(fake.sent(chat)) == 4 and len(fake.sent(english)) == 2)

        # A week on, the ids of handled updates are let go (Telegram redelivers within a day).
        async def handled() -> bool | None:
            rows = (await stored_updates(running)).values()
            return True if len(rows) == 6 and all(r.handled_at for r in rows) else None
        assert await eventually(handled)
        clock.advance(days=8)
        newer = message(chat, "/help")
        assert await post(running, newer) == 200
        await fake.wait_for(lambda: len(fake.sent(chat)) == 5)

        async def only_newer() -> bool | None:
            return True if set(await stored_updates(running)) == {newer["update_id"]} else None
        assert await eventually(only_newer)
    texts = [m["text"] for m in fake.sent(chat)][:4]
    assert "een foto" in texts[0] and "een sticker" in texts[1]
    assert "een spraakbericht" in texts[2] and "aangepast" in texts[3]
    assert "Welcome" in fake.sent(english)[0]["text"]
    assert "only read text" in fake.sent(english)[1]["text"]


async def test_outbound_waits_out_429_5xx_and_dropped_connections_and_loses_nothing(
        config: Config, clock: FrozenClock, fake: FakeBotApi, faq: Faq) -> None:
    chat = 55
    async with serve(config, clock, fake, faq) as running:
        notifier = running.app[NOTIFIER]
        fake.fail("sendMessage", Fault("429", 30))
        assert await post(running, message(chat, "/help")) == 200
        await fake.wait_for(lambda: fake.attempts.count("sendMessage") == 1)

        async def retry_recorded() -> OutboxItem | None:
            async with running.app[SESSIONS]() as session:
                [item] = (await session.scalars(select(OutboxItem))).all()
            return item if item.attempts == 1 else None
        item = await eventually(retry_recorded)
        assert item.status == "pending"
        assert item.next_attempt_at == clock.now() + timedelta(seconds=30)   # retry_after
        assert fake.sent(chat) == []

        clock.advance(seconds=31)
        notifier.publish(QUEUE)
        await fake.wait_for(lambda: len(fake.sent(chat)) == 1)

        for fault in (Fault("500"), Fault("drop"), Fault("502")):
            fake.fail("sendMessage", fault)
            before = fake.attempts.count("sendMessage")
            assert await post(running, message(chat, "/help")) == 200
            await fake.wait_for(lambda b=before: fake.attempts.count("sendMessage") == b + 1)
            clock.advance(minutes=6)   # past the outbox's longest backoff
            notifier.publish(QUEUE)
            await fake.wait_for(lambda b=before: fake.attempts.count("sendMessage") == b + 2)

        fake.fail("sendMessage", Fault("slow", 0.3))
        assert await post(running, message(chat, "/help")) == 200
        await fake.wait_for(lambda: len(fake.sent(chat)) == 5)
    assert all("/stop" in m["text"] for m in fake.sent(chat))


async def test_a_long_adviser_reply_is_split_at_the_limit_and_escaped(
        config: Config, clock: FrozenClock, fake: FakeBotApi, faq: Faq) -> None:
    chat = 66
    async with serve(config, clock, fake, faq) as running:
        assert await post(running, message(chat, "/start")) == 200
        await fake.wait_for(lambda: len(fake.sent(chat)) == 1)
        paragraph = "Tip <b>niet</b> & \"zo\": kijk op [site](https://x.nl) 😀 " * 30
        body = "\n\n".join([paragraph] * 5)
        async with running.app[SESSIONS].begin() as session:
            conversation = await repo.latest_conversation_at_address(session, "telegram",
                                                                     str(chat))
            assert conversation is not None
            await repo.add_message(session, conversation_id=conversation.id, sender=ADVISER,
                                   body=body, at=clock.now())
        running.app[NOTIFIER].publish(QUEUE)
        await fake.wait_for(lambda: len(fake.sent(chat)) >= 3)
    parts = fake.sent(chat)[1:]
    assert len(parts) == 3
    for part in parts:
        shown = visible(part["text"])
        assert len(shown.encode("utf-16-le")) // 2 <= 4096
        assert "<b>niet</b>" not in part["text"] and "&lt;b&gt;niet&lt;/b&gt;" in part["text"]
    joined = "".join(visible(part["text"]) for part in parts)
    assert joined.count("Tip <b>niet</b>") == 150


async def test_stop_ends_the_conversation_and_forgets_the_chat(
        config: Config, clock: FrozenClock, fake: FakeBotApi, faq: Faq) -> None:
    chat = 88
    async with serve(config, clock, fake, faq) as running:
        assert await post(running, message(chat, "7511")) == 200   # a postcode of Enschede
        await fake.wait_for(lambda: len(fake.sent(chat)) == 1)
        assert "Enschede" in fake.sent(chat)[0]["text"]
        assert await post(running, message(chat, "/stop")) == 200
        await fake.wait_for(lambda: len(fake.sent(chat)) == 2)
        assert "vergeten" in fake.sent(chat)[1]["text"]
        async with running.app[SESSIONS].begin() as session:
            [conversation] = (await session.scalars(select(Conversation))).all()
            assert conversation.channel_ref is None and conversation.municipality == "enschede"
            await repo.add_message(session, conversation_id=conversation.id, sender=ADVISER,
                                   body="Nog een tip", at=clock.now())

        async def statuses() -> list[str] | None:
            async with running.app[SESSIONS]() as session:
                found = list((await session.scalars(select(OutboxItem.status)
                                                    .order_by(OutboxItem.id))).all())
            return found if "pending" not in found else None
        # What was said before /stop went out; the adviser's later reply has nowhere to go.
        assert await eventually(statuses) == ["delivered"]
        # A postcode elsewhere names the municipality to go to instead.
        assert await post(running, message(chat, "1012")) == 200
        await fake.wait_for(lambda: len(fake.sent(chat)) == 3)
    assert "Amsterdam" in fake.sent(chat)[2]["text"]
    assert not any("Nog een tip" in m["text"] for m in fake.sent(chat))


async def test_suggestions_are_buttons_and_an_update_handled_again_makes_no_second_message(
        config: Config, clock: FrozenClock, fake: FakeBotApi, faq: Faq) -> None:
    chat = 99
    async with serve(config, clock, fake, faq) as running:
        vague = next(q for q in ("ruzie", "mijn kind is boos", "hoe praat ik met mijn kind",
                                 "mijn kind wil niet") if faq.decide(q).outcome == "suggest")
        assert await post(running, message(chat, "7511")) == 200
        await fake.wait_for(lambda: len(fake.sent(chat)) == 1)
        question = message(chat, vague)
        assert await post(running, question) == 200
        await fake.wait_for(lambda: len(fake.sent(chat)) == 2)
        offer = fake.sent(chat)[1]
        choices = buttons(offer)
        assert choices[-1][1].startswith("a:") and all(d.startswith("c:") for _, d in choices[:-1])

        # A crash after the question was stored but before the update was marked handled: at
        # the next start the update is handled again, and nothing is stored or sent twice.
        async with running.app[SESSIONS].begin() as session:
            row = await session.get(ChannelUpdate, ("telegram", "123456789",
                                                    question["update_id"]))
            assert row is not None
            row.handled_at, row.payload = None, question
        assert await running.app[BOT].process_pending() == 1
        running.app[NOTIFIER].publish(QUEUE)

        label, data = choices[0]
        assert await post(running, tap(chat, data, message_id=offer["_message_id"],
                                       text=visible(offer["text"]))) == 200
        await fake.wait_for(lambda: len(fake.sent(chat)) == 3)
        answer = fake.sent(chat)[2]
        assert visible(answer["text"]).startswith(label.rstrip("…"))
        assert buttons(answer)[0][1].startswith("f:")
        # The same tap again (Telegram retried it): acted on once, the buttons are gone.
        assert await post(running, tap(chat, data, message_id=offer["_message_id"])) == 200
        assert await post(running, message(chat, "/help")) == 200
        await fake.wait_for(lambda: len(fake.sent(chat)) == 4)
        assert "/stop" in fake.sent(chat)[3]["text"]
        assert sum(m["text"] == offer["text"] for m in fake.sent(chat)) == 1
