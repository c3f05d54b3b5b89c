"""Erasing conversations: the parent's right to erasure, an adviser acting on a parent's request,
and the retention period after which a finished conversation is erased by itself.

What remains of an erased conversation is anonymous: its questions with their events (when, which
municipality and channel, the topic) and the FAQ's decisions (entry, score), never a word of text
and nothing that leads back to the parent (no token, device, subscription, address or receipt).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.clock import Clock
from adviceline.domain import NotFound
from adviceline.notify import QUEUE, Notifier, conversation_topic
from adviceline.storage import repository as repo
from adviceline.storage.models import Conversation

log = logging.getLogger(__name__)
PARENT, ADVISER, RETENTION = "parent", "adviser", "retention"
BATCH = 100


async def erase_conversation(session: AsyncSession, conversation: Conversation, by: str,
                             now: datetime) -> bool:
    """Erase a conversation locked by the caller (repo.conversation_for_update); False when it
    was erased before. A question still in the advisers' queue leaves it, withdrawn."""
    if conversation.erased_at is not None:
        return False
    await repo.erase_conversation_content(session, conversation.id)
    question = await repo.open_question(session, conversation.id)
    if question is not None:
        question.status, question.closed_at = "closed", now
        await repo.record_event(session, question, "withdrawn", now)
    # A hash nobody holds the token for: the parent's token no longer opens anything.
    conversation.token_hash = secrets.token_hex(32)
    conversation.resume_code_hash = None
    conversation.channel_ref = None
    conversation.source_hash = None
    conversation.erased_at, conversation.erased_by = now, by
    return True


class Erasure:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 notifier: Notifier, retention_days: int) -> None:
        self._sessions = sessions
        self._clock = clock
        self._notifier = notifier
        self.retention = timedelta(days=retention_days)

    async def erase_for_parent(self, conversation_id: str) -> None:
        """The parent deleted their conversation (with its token)."""
        async with self._sessions.begin() as session:
            conversation = await repo.conversation_for_update(session, conversation_id)
            if conversation is None or not await erase_conversation(
                    session, conversation, PARENT, self._clock.now()):
                raise NotFound("Dit gesprek bestaat niet. / This conversation does not exist.")
        log.info("conversation erased", extra={"by": PARENT})
        self._notifier.publish(conversation_topic(conversation_id), QUEUE)

    async def purge_expired(self) -> int:
        """Erase every conversation past the retention period (and quarantined messages older
        than it); returns how many conversations were erased."""
        now = self._clock.now()
        cutoff = now - self.retention
        erased = 0
        while True:
            async with self._sessions() as session:
                due = await repo.conversations_past_retention(session, cutoff, BATCH)
            before = erased
            for conversation_id in due:
                # One short transaction each: SQLite's single writer is not held for long.
                async with self._sessions.begin() as session:
                    conversation = await repo.conversation_for_update(session, conversation_id)
                    if conversation is not None and await erase_conversation(
                            session, conversation, RETENTION, now):
                        erased += 1
                self._notifier.publish(conversation_topic(conversation_id))
            if len(due) < BATCH or erased == before:
                break
        async with self._sessions.begin() as session:
            dropped = await repo.delete_quarantined_before(session, cutoff)
        if erased or dropped:
            log.info("retention period passed: erased",
                     extra={"conversations": erased, "quarantined": dropped})
            self._notifier.publish(QUEUE)
        return erased
