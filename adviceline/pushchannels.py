"""What the core keeps for push channels (e-mail, Telegram) besides the pipeline.

A conversation found by the parent's channel address, a quarantine for what a channel received
but could not take in, a secret every process shares (to sign thread tokens), bounces, and the
delivery worker of a channel. Adapters reach all of it through `ParentPort`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.clock import Clock
from adviceline.config import Config
from adviceline.domain import (
    SYSTEM,
    ChannelNotice,
    ConversationView,
    Invalid,
    StoredUpdate,
    storable,
)
from adviceline.faq import Faq
from adviceline.notify import QUEUE, Notifier, conversation_topic
from adviceline.outbox import DeliveryWorker, OutboxSettings, PushChannel, StaffMailer
from adviceline.pipeline import hash_token
from adviceline.settings import shared_secret
from adviceline.staffmail import StaffMailWorker
from adviceline.storage import repository as repo
from adviceline.storage.models import ChannelUpdate, Conversation, QuarantinedMessage

log = logging.getLogger(__name__)
MAX_QUARANTINE_BYTES = 25 * 1024 * 1024
# Telegram redelivers an update for at most 24 hours; a handled update's id is kept a week.
UPDATE_IDS_KEPT = timedelta(days=7)


def _view(conversation: Conversation) -> ConversationView:
    return ConversationView(conversation.id, conversation.channel, conversation.municipality,
                            conversation.language, conversation.last_seq)


class PushChannels:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 notifier: Notifier, faq: Faq, outbox: OutboxSettings | None = None,
                 config: Config | None = None) -> None:
        self._sessions = sessions
        self._config = config
        self._clock = clock
        self._notifier = notifier
        self._faq = faq
        self._outbox = outbox or OutboxSettings()

    def worker(self, channel: PushChannel) -> DeliveryWorker:
        return DeliveryWorker(sessions=self._sessions, channel=channel, clock=self._clock,
                              notifier=self._notifier, settings=self._outbox)

    def staff_worker(self, mailer: StaffMailer) -> StaffMailWorker:
        return StaffMailWorker(sessions=self._sessions, mailer=mailer, clock=self._clock,
                               notifier=self._notifier, settings=self._outbox)

    async def conversation_for_address(self, channel: str, address: str,
                                       conversation_id: str | None = None) \
            -> ConversationView | None:
        """The conversation with this channel address: the given one if it is that address's,
        otherwise (without an id) the address's latest one."""
        async with self._sessions() as session:
            if conversation_id is not None:
                found = await repo.conversation_by_id(session, conversation_id)
                if found is None or found.channel != channel or found.channel_ref != address:
                    return None
            else:
                found = await repo.latest_conversation_at_address(session, channel, address)
        return _view(found) if found is not None else None

    async def secret(self, name: str) -> bytes:
        """A random 32-byte key made at the first start and shared by every process."""
        return await shared_secret(self._sessions, name)

    async def quarantine(self, *, channel: str, raw: bytes, reason: str,
                         external_id: str | None = None, sender: str | None = None,
                         municipality: str | None = None) -> bool:
        """Keep what could not be taken in, whole, for advisers; False if it was kept before."""
        external_id = external_id or hashlib.sha256(raw).hexdigest()
        if sender is not None and not storable(sender):
            sender = None
        try:
            async with self._sessions.begin() as session:
                if await repo.quarantined(session, channel, external_id[:128]) is not None:
                    return False
                await repo.add_quarantined(session, QuarantinedMessage(
                    channel=channel, external_id=external_id[:128],
                    reason=reason[:300], raw=raw[:MAX_QUARANTINE_BYTES],
                    sender=sender[:320] if sender else None, municipality=municipality,
                    received_at=self._clock.now()))
        except IntegrityError:
            return False   # the same message raced in twice; the other one kept it
        log.info("message quarantined", extra={"channel": channel})
        self._notifier.publish(QUEUE)
        return True

    async def bounced(self, channel: str, channel_message_id: str, reason: str) -> int:
        """What we sent with this channel id came back undeliverable: failed, for advisers."""
        async with self._sessions.begin() as session:
            count = await repo.mark_bounced(session, channel, channel_message_id, reason)
        if count:
            self._notifier.publish(QUEUE)
        return count

    async def automatic_replies_today(self, channel: str, address: str) -> int:
        """How many automatic messages went to this address in the last 24 hours (RFC 3834:
        a channel keeps this to a few, so two robots never answer each other for long)."""
        async with self._sessions() as session:
            return await repo.automatic_deliveries_since(
                session, channel, address, self._clock.now() - timedelta(days=1))

    def entry(self, entry_id: str, language: str,
              municipality: str | None) -> tuple[str, str] | None:
        """(question, answer) of a knowledge-base entry for this parent, if it still exists."""
        try:
            return (self._faq.question_title(entry_id, language),
                    self._faq.answer(entry_id, language, municipality))
        except KeyError:
            return None

    # What a channel says itself, and what it handed over before acknowledging it ----------------

    async def tell(self, notice: ChannelNotice) -> ConversationView:
        """Store the channel's own message for the parent once per external id; the outbox
        pushes it like any reply. Opens a conversation for the address if it has none."""
        if not storable(notice.text) or not notice.text.strip():
            raise Invalid("a notice needs text the database can hold")
        if notice.municipality is not None and self._config is not None and \
                notice.municipality not in self._config.municipalities:
            raise Invalid(f"unknown municipality {notice.municipality!r}")
        try:
            view = await self._tell(notice)
        except IntegrityError:   # the same notice raced in twice; the other one stored it
            view = await self._tell(notice)
        self._notifier.publish(conversation_topic(view.conversation_id))
        return view

    async def _tell(self, notice: ChannelNotice) -> ConversationView:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            seen = await repo.channel_receipt(session, notice.channel, notice.external_id)
            found = await repo.conversation_by_id(session, seen.conversation_id) \
                if seen is not None else None
            if found is not None:
                return _view(found)
            conversation = await repo.latest_conversation_at_address(
                session, notice.channel, notice.address)
            if conversation is None:
                conversation = Conversation(
                    id=str(uuid.uuid4()), token_hash=hash_token(secrets.token_urlsafe(32)),
                    channel=notice.channel, channel_ref=notice.address,
                    municipality=notice.municipality, language=notice.language, choices=True,
                    last_seq=0, created_at=now)
                session.add(conversation)
                await session.flush()
                log.info("conversation opened", extra={"channel": notice.channel,
                                                       "municipality": notice.municipality})
            elif notice.municipality is not None:
                conversation.municipality = notice.municipality
            message = await repo.add_message(
                session, conversation_id=conversation.id, sender=SYSTEM, kind="notice",
                body=notice.text, actions=notice.actions, at=now)
            await repo.add_channel_receipt(
                session, channel=notice.channel, external_id=notice.external_id,
                conversation_id=conversation.id, seq=message.seq, reference=None, context=None,
                at=now)
            await session.flush()
            return _view(conversation)

    async def forget_address(self, channel: str, address: str) -> int:
        """The parent left the channel: their conversations keep no address (nothing more is
        pushed to it; what was still queued is skipped). The number of conversations."""
        async with self._sessions.begin() as session:
            conversations = await repo.conversations_at_address(session, channel, address)
            for conversation in conversations:
                conversation.channel_ref = None
        if conversations:
            log.info("channel address forgotten", extra={"channel": channel})
            self._notifier.publish(QUEUE)
        return len(conversations)

    async def accept_update(self, channel: str, account: str, update_id: int,
                            payload: dict[str, Any]) -> bool:
        """Store what the channel handed over; True when it is new. Once this returns, the
        channel may acknowledge it (answer the webhook, move the polling offset past it)."""
        try:
            async with self._sessions.begin() as session:
                if await repo.channel_update(session, channel, account, update_id) is not None:
                    return False
                await repo.add_channel_update(session, ChannelUpdate(
                    channel=channel, account=account, update_id=update_id, payload=payload,
                    attempts=0, received_at=self._clock.now(), handled_at=None))
        except IntegrityError:
            return False   # delivered twice at once (two processes); the other one stored it
        return True

    async def pending_updates(self, channel: str, account: str,
                              limit: int = 50) -> list[StoredUpdate]:
        async with self._sessions() as session:
            rows = await repo.unhandled_channel_updates(session, channel, account, limit)
        return [StoredUpdate(row.update_id, row.payload or {}, row.attempts, row.received_at)
                for row in rows]

    async def update_handled(self, channel: str, account: str, update_id: int,
                             failed: bool = False) -> int:
        """Handled: only the id stays. failed: tried once more; the number of attempts."""
        async with self._sessions.begin() as session:
            row = await repo.channel_update(session, channel, account, update_id)
            if row is None:
                return 0
            if failed:
                row.attempts += 1
            else:
                row.payload = None
                row.handled_at = self._clock.now()
                await repo.forget_handled_channel_updates(
                    session, channel, account, self._clock.now() - UPDATE_IDS_KEPT)
            return row.attempts
