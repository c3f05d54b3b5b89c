"""Parent messages stored in groups: one transaction, so one commit and one fsync, for every
message that arrived while the previous group was being written (SQLite, one writer).

A message is acknowledged only after the commit of its group, as before; what changes is that a
hundred parents writing at once wait for one commit instead of a hundred in a row. The owner may
do more in the same transaction (`after_store`: the pipeline handles the group's messages there),
so one commit carries a message and its handling; when that part fails, the group is stored
again without it, so it never costs a message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adviceline.clock import Clock
from adviceline.storage import repository as repo
from adviceline.storage.engine import Sessions

log = logging.getLogger(__name__)

# Work done on a group's stored messages, (conversation id, seq) each, in the transaction that
# stores them; returns what to do once that transaction is committed.
AfterStore = Callable[[AsyncSession, list[tuple[str, int]]], Awaitable[Callable[[], None]]]
# `after_store` runs for at most this many messages of a group: its acks wait for all of them,
# with the write lock held. Under a flood the rest of the group is stored and acknowledged
# without it (and `Stored.with_after_store` says so): acks never wait for more than about this
# many handlings, while what is left is handled later from the database, as any stored message.
AFTER_STORE_MOST = 100


@dataclass(frozen=True)
class Stored:
    """A stored message's seq (None: no such live conversation), and whether `after_store` ran
    for it in the same commit."""
    seq: int | None
    with_after_store: bool


@dataclass
class _Pending:
    conversation_id: str
    body: str
    client_id: str | None
    stored: asyncio.Future[Stored] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommit:
    def __init__(self, sessions: Sessions, clock: Clock,
                 after_store: AfterStore | None = None) -> None:
        self._sessions = sessions
        self._clock = clock
        self._after_store = after_store
        self._pending: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, conversation_id: str, body: str, client_id: str | None) -> Stored:
        """The message's seq once its group is committed. A client id the conversation already
        has raises IntegrityError, as a single insert."""
        pending = _Pending(conversation_id, body, client_id)
        self._pending.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="group-commit")
        # Shielded: a parent who goes away does not cancel the group's write; the message is
        # stored all the same and a resend with its client id is acknowledged as a duplicate.
        return await asyncio.shield(pending.stored)

    async def _write(self) -> None:
        while self._pending:
            unfinished = await self._write_group(None, self._after_store)
            if unfinished:
                # Stored, but the work after it (or the commit) failed: store them without it.
                await self._write_group(unfinished, None)

    async def _write_group(self, given: list[_Pending] | None,
                           after_store: AfterStore | None) -> list[_Pending]:
        """Store `given`, or the waiting messages, in one transaction with `after_store`.
        Returns the group when it was stored but `after_store` or the commit then failed:
        nothing of it is kept, and its parents still wait."""
        group: list[_Pending] = []
        seqs: list[int | None] = []
        done: Callable[[], None] | None = None
        try:
            async with self._sessions.begin(urgent=True, short=True) as session:
                # Taken once the write lock is ours: whatever arrived meanwhile comes along.
                group = given if given is not None else self._take()
                # Three statements for the whole group, not two per message, all with the
                # write lock held (short: they run on the loop's thread, see
                # sqlite_driver).
                seqs = await repo.append_parent_messages(
                    session, [(pending.conversation_id, pending.body, pending.client_id)
                              for pending in group], self._clock.now())
                if after_store is not None:
                    done = await after_store(session, [
                        (pending.conversation_id, seq)
                        for pending, seq in zip(group, seqs, strict=True)
                        if seq is not None][:AFTER_STORE_MOST])
        except Exception as exc:
            if seqs and after_store is not None:
                log.warning("the work after storing a group failed; storing it without",
                            extra={"error": type(exc).__name__, "messages": len(group)})
                return group
            if isinstance(exc, IntegrityError):
                # A resend of a stored message: each on its own, so only that one fails.
                await asyncio.gather(*(self._alone(pending) for pending in group))
                return []
            # Not stored (the database failing): every waiting parent hears so and resends.
            for pending in group or self._take():
                if not pending.stored.done():
                    pending.stored.set_exception(exc)
            return []
        except BaseException:
            for pending in group or self._take():
                pending.stored.cancel()
            raise
        if done is not None:
            done()
        along = 0   # how many of the group's stored messages after_store has had so far
        for pending, seq in zip(group, seqs, strict=True):
            with_after_store = after_store is not None and seq is not None and \
                along < AFTER_STORE_MOST
            along += with_after_store
            if not pending.stored.done():
                pending.stored.set_result(Stored(seq, with_after_store))
        return []

    def _take(self) -> list[_Pending]:
        group, self._pending = self._pending, []
        return group

    async def _alone(self, pending: _Pending) -> None:
        try:
            async with self._sessions.begin(urgent=True, short=True) as session:
                seq = await repo.append_parent_message(
                    session, conversation_id=pending.conversation_id, body=pending.body,
                    client_id=pending.client_id, at=self._clock.now())
        except Exception as exc:
            if not pending.stored.done():
                pending.stored.set_exception(exc)
            return
        if not pending.stored.done():
            pending.stored.set_result(Stored(seq, False))
