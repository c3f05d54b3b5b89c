"""Parent messages stored in groups: one transaction, so one commit and one fsync, for every
message that arrived while the previous group was being written (SQLite, one writer).

A message is acknowledged only after the commit of its group, as before; what changes is that a
hundred parents writing at once wait for one commit instead of a hundred in a row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from adviceline.clock import Clock
from adviceline.storage import repository as repo
from adviceline.storage.engine import Sessions


@dataclass
class _Pending:
    conversation_id: str
    body: str
    client_id: str | None
    stored: asyncio.Future[int | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupCommit:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._pending: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, conversation_id: str, body: str, client_id: str | None) -> int | None:
        """The message's seq once its group is committed; None: no such (live) conversation.
        A client id the conversation already has raises IntegrityError, as a single insert."""
        pending = _Pending(conversation_id, body, client_id)
        self._pending.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="group-commit")
        # Shielded: a parent who goes away does not cancel the group's write; the message is
        # stored all the same and a resend with its client id is acknowledged as a duplicate.
        return await asyncio.shield(pending.stored)

    async def _write(self) -> None:
        while self._pending:
            group: list[_Pending] = []
            seqs: list[int | None] = []
            try:
                async with self._sessions.begin(urgent=True, short=True) as session:
                    # Taken once the write lock is ours: whatever arrived meanwhile comes along.
                    group, self._pending = self._pending, []
                    # Three statements for the whole group, not two per message, all with the
                    # write lock held (short: they run on the loop's thread, see
                    # sqlite_driver).
                    seqs = await repo.append_parent_messages(
                        session, [(pending.conversation_id, pending.body, pending.client_id)
                                  for pending in group], self._clock.now())
            except IntegrityError:
                # A resend of a stored message: each on its own, so only that one fails.
                await asyncio.gather(*(self._alone(pending) for pending in group))
                continue
            except Exception as exc:
                # Not stored (the database failing): every waiting parent hears so and resends.
                for pending in group or self._take_all():
                    if not pending.stored.done():
                        pending.stored.set_exception(exc)
                continue
            except BaseException:
                for pending in group or self._take_all():
                    pending.stored.cancel()
                raise
            for pending, seq in zip(group, seqs, strict=True):
                if not pending.stored.done():
                    pending.stored.set_result(seq)

    def _take_all(self) -> list[_Pending]:
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
            pending.stored.set_result(seq)
