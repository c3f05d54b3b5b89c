"""The outbox on a real database: queued with the message, delivered in order, retried with
backoff or after the channel's retry-after, failures shown to advisers, and exactly once across
several workers (processes) on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import random
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from adviceline.advisers import Adviser
from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.domain import ADVISER, SYSTEM, ChannelInbound, Invalid, NotFound
from adviceline.notify import Notifier
from adviceline.outbox import (
    Delivery,
    DeliveryWorker,
    Failed,
    OutboxSettings,
    Parcel,
    Retry,
    Sent,
    Skipped,
    backoff,
)
from adviceline.pushchannels import PushChannels
from adviceline.storage import repository as repo
from adviceline.storage.engine import create_engine, session_factory
from adviceline.storage.models import ChannelReceipt, Message, OutboxItem, User
from tests.adviceline.conftest import Core, ask
from tests.adviceline.test_pipeline import OUT_OF_SCOPE
from tests.conftest import answerable

CHANNEL = "test-push"


@dataclass
class Channel:
    """A push channel that records what it is given and answers as a test scripts it."""

    name: str = CHANNEL
    answers: list[Delivery] = field(default_factory=list)   # used first, then `default`
    default: Delivery | None = None
    seen: list[Parcel] = field(default_factory=list)
    delay: float = 0.0
    journal: list[tuple[str, str, int]] = field(default_factory=list)   # may be shared

    async def deliver(self, parcel: Parcel) -> Delivery:
        self.seen.append(parcel)
        key = (parcel.conversation.conversation_id, parcel.items[0].message.seq)
        self.journal.append(("start", *key))
        if self.delay:
            await asyncio.sleep(random.uniform(0, self.delay))
        self.journal.append(("end", *key))
        if self.answers:
            return self.answers.pop(0)
        if self.default is not None:
            return self.default
        return Sent(f"id-{parcel.items[0].message.seq}")

    @property
    def delivered_seqs(self) -> list[int]:
        return [parcel.items[0].message.seq for parcel in self.seen]


@pytest.fixture
def channels(core: Core, clock: FrozenClock) -> PushChannels:
    return PushChannels(sessions=core.sessions, clock=clock, notifier=Notifier(), faq=core.faq)


def worker(core: Core, clock: FrozenClock, channel: Channel, **settings: object) -> DeliveryWorker:
    return DeliveryWorker(sessions=core.sessions, channel=channel, clock=clock,
                          notifier=Notifier(), settings=OutboxSettings(**settings))  # type: ignore[arg-type]


async def parent_writes(core: Core, text: str, external_id: str, address: str = "ouder@example.nl",
                        conversation_id: str | None = None, choices: bool = True,
                        channel: str = CHANNEL) -> str:
    receipt = await core.pipeline.receive_from_channel(ChannelInbound(
        channel=channel, external_id=external_id, address=address, text=text,
        conversation_id=conversation_id, municipality="enschede", choices=choices,
        reference=f"<{external_id}@example.nl>", context={"subject": "vraag"}))
    await core.tasks.drain()
    return receipt.conversation_id


async def adviser_writes(core: Core, conversation_id: str, *texts: str) -> list[int]:
    seqs = []
    async with core.sessions.begin() as session:
        for text in texts:
            message = await repo.add_message(session, conversation_id=conversation_id,
                                             sender=ADVISER, body=text, at=core_now(core))
            seqs.append(message.seq)
    return seqs


def core_now(core: Core) -> object:
    return core.pipeline._clock.now()


async def items(core: Core, conversation_id: str | None = None) -> list[OutboxItem]:
    async with core.sessions() as session:
        query = select(OutboxItem).order_by(OutboxItem.id)
        if conversation_id is not None:
            query = query.where(OutboxItem.conversation_id == conversation_id)
        return list((await session.scalars(query)).all())


# Queued with the message -----------------------------------------------------------------------

async def test_a_reply_on_a_push_channel_is_queued_with_it_and_web_replies_are_not(
        core: Core) -> None:
    entry = answerable(core.faq)[0]
    conversation = await parent_writes(core, entry.question, "m1")
    [item] = await items(core, conversation)
    async with core.sessions() as session:
        message = await session.get(Message, item.message_id)
    assert message is not None and message.kind == "faq_answer"
    assert (item.status, item.channel, item.seq, item.attempts) == ("pending", CHANNEL,
                                                                    message.seq, 0)

    web = await core.pipeline.open_conversation("web", "enschede", "nl")
    await ask(core, web.conversation_id, entry.question)
    assert await items(core, web.conversation_id) == []


async def test_a_message_and_its_outbox_item_are_one_transaction(core: Core) -> None:
    conversation = await parent_writes(core, OUT_OF_SCOPE, "m1")
    before = len(await items(core))
    with pytest.raises(RuntimeError):
        async with core.sessions.begin() as session:
            await repo.add_message(session, conversation_id=conversation, sender=SYSTEM,
                                   body="x", at=core_now(core))
            raise RuntimeError("the transaction fails after the message was added")
    assert len(await items(core)) == before
    async with core.sessions() as session:
        bodies = (await session.scalars(select(Message.body).where(
            Message.conversation_id == conversation))).all()
    assert "x" not in bodies


# Receiving once per channel id -----------------------------------------------------------------

async def test_the_same_channel_id_is_stored_once_and_a_stranger_cannot_join(core: Core) -> None:
    first = await parent_writes(core, OUT_OF_SCOPE, "m1")
    again = await core.pipeline.receive_from_channel(ChannelInbound(
        channel=CHANNEL, external_id="m1", address="ouder@example.nl", text=OUT_OF_SCOPE))
    assert again.duplicate and again.conversation_id == first
    async with core.sessions() as session:
        parent_messages = (await session.scalars(select(Message).where(
            Message.conversation_id == first, Message.sender == "parent"))).all()
    assert len(parent_messages) == 1

    # The right conversation id from another address opens a conversation of its own.
    stranger = await parent_writes(core, "Ik wil ook iets vragen", "m2",
                                   address="iemand@example.nl", conversation_id=first)
    assert stranger != first
    same = await parent_writes(core, "Nog een vraag", "m3", conversation_id=first)
    assert same == first
    async with core.sessions() as session:
        receipts = (await session.scalars(select(ChannelReceipt).where(
            ChannelReceipt.conversation_id == first).order_by(ChannelReceipt.seq))).all()
    assert [r.external_id for r in receipts] == ["m1", "m3"]
    assert receipts[-1].reference == "<m3@example.nl>"


async def test_a_channel_message_is_checked_like_any_other(core: Core) -> None:
    for text in ("", "   ", "a\x00b", "x" * 5000):
        with pytest.raises(Invalid):
            await core.pipeline.receive_from_channel(ChannelInbound(
                channel=CHANNEL, external_id="bad", address="a@example.nl", text=text))
    with pytest.raises(Invalid):
        await core.pipeline.receive_from_channel(ChannelInbound(
            channel=CHANNEL, external_id="", address="a@example.nl", text="vraag"))
    assert await items(core) == []


async def test_without_choices_a_suggestion_goes_to_an_adviser_with_the_entries(
        core: Core) -> None:
    vague = next(q for q in ("ruzie", "mijn kind is boos", "hoe praat ik met mijn kind",
                             "mijn kind wil niet") if core.faq.decide(q).outcome == "suggest")
    conversation = await parent_writes(core, vague, "m1", choices=False)
    kinds = [m.kind for m in await core.pipeline.messages_after(conversation, 1)]
    assert kinds == ["suggestions", "queued"]
    async with core.sessions() as session:
        question = await repo.latest_question(session, conversation)
    assert question is not None and question.status == "waiting"


# Delivering --------------------------------------------------------------------------------------

async def test_the_worker_delivers_in_order_and_records_the_channel_id(
        core: Core, clock: FrozenClock) -> None:
    conversation = await parent_writes(core, OUT_OF_SCOPE, "m1")
    seqs = await adviser_writes(core, conversation, "een", "twee", "drie")
    channel = Channel(answers=[Sent("receipt"), Sent("a"), Skipped("not carried"),
                               Sent("c")])
    assert await worker(core, clock, channel).deliver_due() == 4
    delivered = await items(core, conversation)
    assert [(i.status, i.channel_message_id) for i in delivered] == [
        ("delivered", "receipt"), ("delivered", "a"), ("skipped", None), ("delivered", "c")]
    assert delivered[2].last_error == "not carried"
    assert [i.seq for i in delivered][1:] == seqs
    # Each parcel starts at the next item; later ones carry the thread so far.
    assert [p.items[0].message.seq for p in channel.seen] == [i.seq for i in delivered]
    assert channel.seen[0].thread.reference == "<m1@example.nl>"
    assert channel.seen[0].thread.context == {"subject": "vraag"}
    assert channel.seen[3].thread.sent == ("receipt", "a")
    assert channel.seen[1].items[0].message.text == "een"
    assert not channel.seen[1].items[0].automatic and channel.seen[0].items[0].automatic
    assert await worker(core, clock, channel).deliver_due() == 0   # nothing twice


async def test_one_delivery_can_carry_several_items(core: Core, clock: FrozenClock) -> None:
    conversation = await parent_writes(core, OUT_OF_SCOPE, "m1")
    await adviser_writes(core, conversation, "een", "twee")
    channel = Channel(answers=[Sent("both", consumed=2)])
    await worker(core, clock, channel).deliver_due()
    assert [(i.status, i.channel_message_id) for i in await items(core, conversation)] == [
        ("delivered", "both"), ("delivered", "both"), ("delivered", "id-4")]


async def test_a_channel_down_for_an_hour_gets_everything_after_it_returns_in_order_once(
        core: Core, clock: FrozenClock) -> None:
    conversations = [await parent_writes(core, OUT_OF_SCOPE, f"m{n}",
                                         address=f"ouder{n}@example.nl") for n in range(3)]
    for conversation in conversations:
        await adviser_writes(core, conversation, "een", "twee")
    channel = Channel(default=Retry("connection refused", whole_channel=True))
    delivery = worker(core, clock, channel)
    for _ in range(60):                          # an hour, a look every minute
        await delivery.deliver_due()
        clock.advance(minutes=1)
    attempts = len(channel.seen)
    assert 5 <= attempts <= 20                   # backoff, capped: tried, but not every minute
    assert {i.status for i in await items(core)} == {"pending"}

    channel.default = None                       # the relay is back
    clock.advance(minutes=5)
    settled = 0
    for _ in range(3):
        settled += await delivery.deliver_due()
    assert settled == 9
    delivered = channel.seen[attempts:]
    assert len(delivered) == 9
    for conversation in conversations:
        seqs = [p.items[0].message.seq for p in delivered
                if p.conversation.conversation_id == conversation]
        assert seqs == sorted(seqs) and len(seqs) == 3
    assert {i.status for i in await items(core)} == {"delivered"}


async def test_retry_after_is_honoured_and_backoff_grows(core: Core, clock: FrozenClock) -> None:
    conversation = await parent_writes(core, OUT_OF_SCOPE, "m1")
    channel = Channel(answers=[Retry("429 too many requests", after=timedelta(seconds=37))])
    delivery = worker(core, clock, channel)
    await delivery.deliver_due()
    [item] = await items(core, conversation)
    assert item.next_attempt_at == clock.now() + timedelta(seconds=37)
    assert (item.attempts, item.last_error) == (1, "429 too many requests")
    clock.advance(seconds=36)
    assert await delivery.deliver_due() == 0 and len(channel.seen) == 1
    clock.advance(seconds=1)
    assert await delivery.deliver_due() == 1

    settings = OutboxSettings()
    waits = [backoff(n, settings) for n in range(1, 12)]
    assert waits[0] == settings.first_retry and waits == sorted(waits)
    assert waits[-1] == settings.max_retry


async def test_a_permanent_failure_is_shown_to_advisers_and_can_be_retried(
        core: Core, clock: FrozenClock) -> None:
    conversation = await parent_writes(core, OUT_OF_SCOPE, "m1")
    channel = Channel(answers=[Failed("550 5.1.1 no such user")])
    await worker(core, clock, channel).deliver_due()
    adviser = await _adviser(core, "adviseur.enschede")
    other = await _adviser(core, "adviseur.hengelo")

    [queued] = await core.desk.queue(adviser)
    assert queued["undelivered"] is True
    shown = await core.desk.conversation(adviser, queued["id"])
    receipt = next(m for m in shown["messages"] if m["kind"] == "queued")
    assert receipt["delivery"]["status"] == "failed"
    assert receipt["delivery"]["reason"] == "550 5.1.1 no such user"
    assert next(m for m in shown["messages"] if m["sender"] == "parent")["delivery"] is None
    [failed] = await core.desk.undelivered(adviser)
    assert failed["question_id"] == queued["id"] and failed["reason"].startswith("550")
    assert await core.desk.undelivered(other) == []
    with pytest.raises(NotFound):
        await core.desk.retry_delivery(other, failed["id"])

    await core.desk.retry_delivery(adviser, failed["id"])
    assert await worker(core, clock, channel).deliver_due() == 1
    [item] = await items(core, conversation)
    assert item.status == "delivered"
    assert await core.desk.undelivered(adviser) == []
    with pytest.raises(NotFound):
        await core.desk.retry_delivery(adviser, failed["id"])


async def test_retries_end_as_a_failure_after_give_up_after(
        core: Core, clock: FrozenClock) -> None:
    conversation = await parent_writes(core, OUT_OF_SCOPE, "m1")
    channel = Channel(default=Retry("452 mailbox full"))
    delivery = worker(core, clock, channel, give_up_after=timedelta(hours=6))
    for _ in range(40):
        await delivery.deliver_due()
        clock.advance(minutes=10)
    [item] = await items(core, conversation)
    assert item.status == "failed"
    assert item.last_error is not None and item.last_error.startswith("gave up after")
    assert "452 mailbox full" in item.last_error


async def test_an_expired_lease_is_taken_over(core: Core, clock: FrozenClock) -> None:
    """A worker that died while sending: after its lease, another one delivers."""
    conversation = await parent_writes(core, OUT_OF_SCOPE, "m1")
    async with core.sessions.begin() as session:
        [batch] = await repo.claim_deliveries(session, CHANNEL, "dead-worker", clock.now(),
                                              clock.now() + timedelta(minutes=5), 10, 10)
    assert len(batch) == 1
    channel = Channel()
    delivery = worker(core, clock, channel)
    assert await delivery.deliver_due() == 0
    clock.advance(minutes=5, seconds=1)
    assert await delivery.deliver_due() == 1
    [item] = await items(core, conversation)
    assert item.status == "delivered"


async def test_a_conversation_whose_address_is_gone_is_skipped(
        core: Core, clock: FrozenClock) -> None:
    conversation = await parent_writes(core, OUT_OF_SCOPE, "m1")
    await adviser_writes(core, conversation, "een")
    async with core.sessions.begin() as session:
        found = await repo.conversation_by_id(session, conversation)
        assert found is not None
        found.channel_ref = None
    channel = Channel()
    assert await worker(core, clock, channel).deliver_due() == 2
    assert channel.seen == []
    assert {i.status for i in await items(core, conversation)} == {"skipped"}


async def test_a_channel_that_raises_is_retried(core: Core, clock: FrozenClock) -> None:
    conversation = await parent_writes(core, OUT_OF_SCOPE, "m1")

    class Broken(Channel):
        async def deliver(self, parcel: Parcel) -> Delivery:
            raise ValueError("a bug in the adapter")

    await worker(core, clock, Broken()).deliver_due()
    [item] = await items(core, conversation)
    assert (item.status, item.attempts) == ("pending", 1)
    assert item.last_error == "internal error: ValueError"


# What else push channels get from the core ------------------------------------------------------

async def test_quarantine_keeps_a_message_once_and_advisers_of_its_municipality_see_it(
        core: Core, channels: PushChannels) -> None:
    raw = b"From: x\r\n\r\nnot really a mail \xff"
    assert await channels.quarantine(channel="email", raw=raw, reason="cannot be parsed",
                                     external_id="q1", sender="x@example.nl",
                                     municipality="enschede")
    assert not await channels.quarantine(channel="email", raw=raw, reason="again",
                                         external_id="q1")
    adviser = await _adviser(core, "adviseur.enschede")
    [item] = await core.desk.quarantine(adviser)
    assert (item["reason"], item["sender"]) == ("cannot be parsed", "x@example.nl")
    assert await core.desk.quarantined(adviser, item["id"]) == ("email", raw)
    assert await core.desk.quarantine(await _adviser(core, "adviseur.hengelo")) == []
    await core.desk.dismiss_quarantined(adviser, item["id"])
    assert await core.desk.quarantine(adviser) == []


async def test_a_secret_is_made_once_and_shared(core: Core, channels: PushChannels) -> None:
    first = await channels.secret("email-thread")
    assert len(first) == 32
    assert await channels.secret("email-thread") == first
    assert await channels.secret("other") != first


async def test_a_bounce_turns_a_delivered_item_into_a_failure(
        core: Core, clock: FrozenClock, channels: PushChannels) -> None:
    conversation = await parent_writes(core, OUT_OF_SCOPE, "m1")
    await worker(core, clock, Channel(answers=[Sent("<abc@x>")])).deliver_due()
    assert await channels.bounced(CHANNEL, "<abc@x>", "550 user unknown") == 1
    [item] = await items(core, conversation)
    assert (item.status, item.last_error) == ("failed", "550 user unknown")
    assert await channels.conversation_for_address(CHANNEL, "ouder@example.nl") is not None
    assert await channels.conversation_for_address(CHANNEL, "ander@example.nl",
                                                   conversation) is None


async def test_an_address_continues_its_last_opened_conversation_even_in_the_same_instant(
        core: Core, channels: PushChannels) -> None:
    # The clock stands still: both conversations of an address have the same created_at.
    for i in range(12):
        address = f"ouder{i}@example.nl"
        await parent_writes(core, OUT_OF_SCOPE, f"first-{i}", address)
        second = await parent_writes(core, OUT_OF_SCOPE, f"second-{i}", address)
        found = await channels.conversation_for_address(CHANNEL, address)
        assert found is not None and found.conversation_id == second


async def _adviser(core: Core, username: str) -> Adviser:
    async with core.sessions() as session:
        user = await session.scalar(select(User).where(User.username == username))
    assert user is not None
    return Adviser.from_user(user)


# Several processes -------------------------------------------------------------------------------

@pytest.fixture
async def second_process(config: Config, core: Core) -> AsyncIterator[Core]:
    """The same database through an engine of its own, as another service process has."""
    engine = create_engine(config.database_url.reveal())
    yield Core(core.pipeline, core.desk, core.tasks, session_factory(engine), core.faq)
    await engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_several_processes_deliver_every_item_once_in_order(
        core: Core, second_process: Core, clock: FrozenClock) -> None:
    conversations = [await parent_writes(core, OUT_OF_SCOPE, f"m{n}",
                                         address=f"ouder{n}@example.nl") for n in range(12)]
    for conversation in conversations:
        await adviser_writes(core, conversation, *[f"bericht {n}" for n in range(5)])
    journal: list[tuple[str, str, int]] = []
    channels = [Channel(delay=0.01, journal=journal) for _ in range(3)]
    workers = [worker(core, clock, channels[0], conversations_per_round=3),
               worker(second_process, clock, channels[1], conversations_per_round=3),
               worker(second_process, clock, channels[2], conversations_per_round=3)]

    async def drain(delivery: DeliveryWorker) -> None:
        for _ in range(200):
            await delivery.deliver_due()
            if all(i.status == "delivered" for i in await items(core)):
                return
            await asyncio.sleep(0)

    await asyncio.gather(*(drain(w) for w in workers))
    parcels = [p for channel in channels for p in channel.seen]
    sent = [(p.conversation.conversation_id, p.items[0].message.seq) for p in parcels]
    assert len(sent) == len(set(sent)) == 12 * 6          # every item once
    assert all(len(channel.seen) > 0 for channel in channels[:2])   # both processes worked
    # In order across all workers: a conversation's next item starts only after the one
    # before it went out, whichever worker sent either.
    for conversation in conversations:
        events = [(event, seq) for event, c, seq in journal if c == conversation]
        seqs = sorted({seq for _event, seq in events})
        assert events == [(event, seq) for seq in seqs for event in ("start", "end")]
        assert [i.status for i in await items(core, conversation)] == ["delivered"] * 6


ROOT = str(Path(__file__).resolve().parents[2])
# A process that holds a lease and is killed in the middle of sending: nothing else sends the
# item while the lease lasts, another process sends it once afterwards.
HANGING_WORKER = """
import asyncio, sys
from adviceline.clock import SystemClock
from adviceline.notify import Notifier
from adviceline.outbox import DeliveryWorker
from adviceline.storage.engine import create_engine, session_factory

class Hanging:
    name = sys.argv[2]
    async def deliver(self, parcel):
        print("sending", flush=True)
        await asyncio.Event().wait()   # killed here, in the middle of sending

async def main():
    engine = create_engine(sys.argv[1])
    worker = DeliveryWorker(sessions=session_factory(engine), channel=Hanging(),
                            clock=SystemClock(), notifier=Notifier())
    print("owner", worker.owner, flush=True)
    await worker.deliver_due()

asyncio.run(main())
"""


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_the_lease_of_a_killed_process_is_taken_over_once(
        core: Core, second_process: Core, config: Config) -> None:
    conversation = await parent_writes(core, OUT_OF_SCOPE, "m1")
    dying = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HANGING_WORKER, config.database_url.reveal(), CHANNEL,
        stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": ROOT})
    try:
        assert dying.stdout is not None
        owner = (await dying.stdout.readline()).decode().split()[1]
        assert await dying.stdout.readline() == b"sending\n"
    finally:
        dying.kill()
        await dying.wait()
    [item] = await items(core, conversation)
    assert item.status == "pending" and item.lease_owner == owner
    lease_until = item.lease_until
    assert lease_until is not None

    channel = Channel()
    before = FrozenClock(lease_until - timedelta(seconds=1))
    assert await worker(second_process, before, channel).deliver_due() == 0   # still leased
    after = FrozenClock(lease_until + timedelta(seconds=1))
    taking_over = worker(second_process, after, channel)
    assert await taking_over.deliver_due() == 1
    assert await taking_over.deliver_due() == 0
    assert channel.delivered_seqs == [item.seq]   # sent once, by the process that took over
    [item] = await items(core, conversation)
    assert item.status == "delivered" and item.lease_owner is None and item.attempts == 1
