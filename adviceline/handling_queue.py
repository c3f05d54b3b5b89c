"""Stored parent messages waiting for their handling, handled in groups (SQLite, one writer).

A chat message on SQLite is handled in the transaction that stores it (GroupCommit's
`after_store`, Pipeline._handle_stored); this queue takes the others: messages from the push
channels, the rest of a flood's group beyond what is handled with its acks, and a group stored
again without its handling after that part failed.

Every message that is waiting when a group starts, or arrives while it runs, is handled in the
same transaction: one commit and one fsync for many, instead of one each; each message still in
a savepoint of its own, so one that fails does not undo the others (see Pipeline.handle_group).
A group stops taking messages after a short turn, so acknowledgements, which queue for the same
write lock, never wait long. The queue is only a shortcut: a message is stored before it gets
here, and one that is never handled from here (a crash, a flood) is taken by the retry loop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from adviceline.tasks import BackgroundTasks

# How long one group may hold the write lock before it commits and lets others (acks) write.
TURN_SECONDS = 0.015
# Messages waiting here at most; beyond it the retry loop takes them from the database.
MAX_WAITING = 2000

Waiting = deque[tuple[str, int]]


class HandlingQueue:
    def __init__(self, handle_group: Callable[[Waiting, float], Awaitable[int]],
                 tasks: BackgroundTasks, backlog: asyncio.Event,
                 max_waiting: int = MAX_WAITING, turn_seconds: float = TURN_SECONDS) -> None:
        """`handle_group(waiting, turn)` takes messages from the left of `waiting` (at least
        one) and handles them in one transaction, for at most about `turn` seconds."""
        self._handle_group = handle_group
        self._tasks = tasks
        self._backlog = backlog
        self._max_waiting = max_waiting
        self._turn = turn_seconds
        self._waiting: Waiting = deque()
        self._worker: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, conversation_id: str, seq: int) -> None:
        """Handle this stored message soon; when too much waits, leave it to the retry loop."""
        if len(self._waiting) >= self._max_waiting:
            self._backlog.set()
            return
        self._waiting.append((conversation_id, seq))
        if self._worker is None or self._worker.done():
            worker = self._tasks.spawn(self._work(), name="handle-messages")
            if worker is None:
                # No task to handle them: they are stored, the retry loop takes them.
                self._waiting.clear()
                self._backlog.set()
                return
            self._worker = worker

    async def _work(self) -> None:
        while self._waiting:
            await self._handle_group(self._waiting, self._turn)
