"""The outbox: messages for parents on push channels (e-mail, Telegram) go out from here.

Every message for the parent that the pipeline or an adviser stores on a conversation with a
channel address is queued in the `outbox` table in the same transaction (see
`repository.add_message`). One `DeliveryWorker` per channel and process claims what is due,
hands it to the channel (`PushChannel.deliver`) and records what happened: delivered with the
channel's own message id, retried later with backoff (or after the channel's retry-after),
skipped (a kind the channel does not carry), or failed for good, which advisers see on the
question. A conversation's items go out in seq order and each is leased by one worker at a time
(FOR UPDATE SKIP LOCKED on PostgreSQL), so several processes deliver every item once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.clock import Clock
from adviceline.domain import ADVISER, ConversationView, OutboundMessage
from adviceline.notify import ANY, QUEUE, Notifier, conversation_topic
from adviceline.pipeline import outbound
from adviceline.storage import repository as repo
from adviceline.storage.models import OutboxItem
from adviceline.tasks import finish_round

log = logging.getLogger(__name__)


# What a channel is given and what it answers ---------------------------------------------------

@dataclass(frozen=True)
class Pending:
    """One message waiting to go out, as the channel sees it."""

    outbox_id: int
    message: OutboundMessage
    question_id: str | None
    attempts: int

    @property
    def automatic(self) -> bool:
        """Written by the service (FAQ, receipts, crisis lines), not by an adviser."""
        return self.message.sender != ADVISER


@dataclass(frozen=True)
class Thread:
    """Where the conversation stands on the channel, so a reply lands in the parent's thread."""

    reference: str | None                # the channel's id of the parent's last message
    context: dict[str, Any] | None       # what the channel stored with it (e.g. a subject)
    reference_seq: int                   # that message's seq (0: none)
    sent: tuple[str, ...]                # the channel's ids of our messages since, oldest first


@dataclass(frozen=True)
class Parcel:
    """A conversation's pending messages, oldest first; the channel may carry several in one."""

    conversation: ConversationView
    address: str
    items: tuple[Pending, ...]
    thread: Thread


@dataclass(frozen=True)
class Sent:
    """The first `consumed` items went out as one message with this channel id."""

    channel_message_id: str | None
    consumed: int = 1


@dataclass(frozen=True)
class Skipped:
    """The channel does not carry the first `consumed` items (e.g. 'an adviser is reading')."""

    reason: str
    consumed: int = 1


@dataclass(frozen=True)
class Retry:
    """Try the first item again later: after `after` when the channel said so (a retry-after),
    otherwise with backoff. `whole_channel`: the channel itself is down or throttled, so the
    worker pauses instead of trying other conversations now."""

    reason: str
    after: timedelta | None = None
    whole_channel: bool = False


@dataclass(frozen=True)
class Failed:
    """The first `consumed` items can never be delivered (an address that does not exist)."""

    reason: str
    consumed: int = 1


Delivery = Sent | Skipped | Retry | Failed


class PushChannel(Protocol):
    """What a channel adapter implements to have its conversations' messages pushed."""

    @property
    def name(self) -> str: ...

    async def deliver(self, parcel: Parcel) -> Delivery: ...


@dataclass(frozen=True)
class StaffMessage:
    """One mail for a staff member, as the mailer sees it."""

    mail_id: int
    to: str
    subject: str
    body: str


class StaffMailer(Protocol):
    """What the e-mail channel implements to send staff mail (on-call calls, plain text); the
    staff mail outbox (`adviceline.staffmail`) hands it one mail at a time."""

    async def send_staff(self, message: StaffMessage) -> Sent | Retry | Failed: ...


@dataclass(frozen=True)
class OutboxSettings:
    poll_seconds: float = 2.0                         # how often other processes' work is seen
    lease: timedelta = timedelta(minutes=5)           # longer than any one send can take
    first_retry: timedelta = timedelta(seconds=10)    # doubled per attempt ...
    max_retry: timedelta = timedelta(minutes=5)       # ... up to this, so a return is seen soon
    give_up_after: timedelta = timedelta(days=2)      # then failed, for an adviser to see
    conversations_per_round: int = 20
    items_per_conversation: int = 20


def backoff(attempts: int, settings: OutboxSettings) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1, 2, ...)."""
    wait: timedelta = settings.first_retry * (2 ** min(max(attempts - 1, 0), 30))
    return min(wait, settings.max_retry)


# The worker --------------------------------------------------------------------------------------

class DeliveryWorker:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], channel: PushChannel,
                 clock: Clock, notifier: Notifier,
                 settings: OutboxSettings | None = None) -> None:
        self._sessions = sessions
        self._channel = channel
        self._clock = clock
        self._notifier = notifier
        self._settings = settings or OutboxSettings()
        self.owner = str(uuid.uuid4())
        self._paused_until: datetime | None = None

    async def run(self) -> None:
        """Deliver what is due, then wait for a change (or poll_seconds, for other processes)."""
        while True:
            wake = self._notifier.listen(ANY)
            try:
                await finish_round(self.deliver_due())
            except Exception:
                log.exception("delivering the outbox failed; will try again",
                              extra={"channel": self._channel.name})
            await self._notifier.wait(wake, self._settings.poll_seconds)

    async def deliver_due(self) -> int:
        """One round: claim due conversations and deliver them; the number of items settled."""
        now = self._clock.now()
        if self._paused_until is not None and now < self._paused_until:
            return 0
        self._paused_until = None
        async with self._sessions.begin() as session:
            batches = await repo.claim_deliveries(
                session, self._channel.name, self.owner, now, now + self._settings.lease,
                self._settings.conversations_per_round, self._settings.items_per_conversation)
            parcels = [await self._parcel(session, batch) for batch in batches]
        settled = 0
        for index, (batch, parcel) in enumerate(zip(batches, parcels, strict=True)):
            done, channel_down = await self._deliver(batch, parcel)
            settled += done
            if channel_down:
                rest = [item.id for later in batches[index + 1:] for item in later]
                async with self._sessions.begin() as session:
                    await repo.release_deliveries(session, rest, self.owner)
                break
        return settled

    async def _parcel(self, session: AsyncSession, batch: list[OutboxItem]) -> Parcel | None:
        conversation = await repo.conversation_by_id(session, batch[0].conversation_id)
        if conversation is None or conversation.channel_ref is None:
            return None
        rows = await repo.messages_after(session, conversation.id, batch[0].seq - 1,
                                         limit=batch[-1].seq - batch[0].seq + 1)
        by_seq = {message.seq: (message, author) for message, author in rows}
        items = []
        for item in batch:
            message, author = by_seq[item.seq]
            items.append(Pending(item.id, outbound(message, author), message.question_id,
                                 item.attempts))
        last = await repo.latest_channel_receipt(session, conversation.id)
        reference_seq = last.seq if last is not None else 0
        sent = await repo.delivered_channel_ids(session, conversation.id, conversation.channel,
                                                reference_seq)
        view = ConversationView(conversation.id, conversation.channel, conversation.municipality,
                                conversation.language, conversation.last_seq)
        return Parcel(view, conversation.channel_ref, tuple(items),
                      Thread(last.reference if last else None, last.context if last else None,
                             reference_seq, tuple(sent)))

    async def _deliver(self, batch: list[OutboxItem], parcel: Parcel | None) -> tuple[int, bool]:
        """Hand the batch to the channel until it is settled or must wait; (settled, paused)."""
        remaining = list(batch)
        settled = 0
        if parcel is None:   # the conversation lost its address (the parent left the channel)
            await self._settle(remaining, "skipped", None, "no channel address")
            return len(remaining), False
        items = list(parcel.items)
        while remaining:
            now = self._clock.now()
            parcel = Parcel(parcel.conversation, parcel.address, tuple(items), parcel.thread)
            try:
                result = await self._channel.deliver(parcel)
            except Exception as exc:
                log.exception("a channel failed to deliver",
                              extra={"channel": self._channel.name})
                result = Retry(f"internal error: {type(exc).__name__}")
            if isinstance(result, Retry):
                head = remaining[0]
                if now - head.created_at >= self._settings.give_up_after:
                    result = Failed(f"gave up after {head.attempts + 1} attempts: {result.reason}")
                else:
                    await self._retry(remaining, result, now)
                    return settled, result.whole_channel
            consumed = max(1, min(result.consumed, len(remaining)))
            done, remaining = remaining[:consumed], remaining[consumed:]
            items = items[consumed:]
            if isinstance(result, Sent):
                await self._settle(done, "delivered", result.channel_message_id, None)
                # Later items reply to this one: the thread grows as the channel sees it.
                if result.channel_message_id:
                    parcel = Parcel(parcel.conversation, parcel.address, tuple(items),
                                    Thread(parcel.thread.reference, parcel.thread.context,
                                           parcel.thread.reference_seq,
                                           (*parcel.thread.sent, result.channel_message_id)))
            elif isinstance(result, Skipped):
                await self._settle(done, "skipped", None, result.reason)
            else:
                await self._settle(done, "failed", None, result.reason)
                log.warning("delivery failed for good", extra={"channel": self._channel.name})
                self._notifier.publish(
                    QUEUE, conversation_topic(parcel.conversation.conversation_id))
            settled += len(done)
        return settled, False

    async def _settle(self, items: Sequence[OutboxItem], status: str, channel_id: str | None,
                      error: str | None) -> None:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            for item in items:
                if not await repo.delivery_done(session, item.id, self.owner, status=status,
                                                at=now, channel_message_id=channel_id,
                                                error=error[:300] if error else None):
                    log.warning("an outbox lease ran out while delivering",
                                extra={"channel": self._channel.name})

    async def _retry(self, remaining: Sequence[OutboxItem], result: Retry, now: datetime) -> None:
        head = remaining[0]
        wait = result.after if result.after is not None else \
            backoff(head.attempts + 1, self._settings)
        async with self._sessions.begin() as session:
            await repo.delivery_retry(session, head.id, self.owner, at=now + wait,
                                      error=result.reason[:300])
            await repo.release_deliveries(session, [item.id for item in remaining[1:]],
                                          self.owner)
        if result.whole_channel:
            self._paused_until = now + wait
        log.info("delivery will be retried", extra={"channel": self._channel.name,
                                                    "attempts": head.attempts + 1,
                                                    "wait_seconds": wait.total_seconds()})

