"""Background work the service started and must finish (or cancel) before it shuts down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
ROUND_GRACE_SECONDS = 5.0


async def finish_round(coroutine: Coroutine[Any, Any, T], grace: float = ROUND_GRACE_SECONDS) -> T:
    """Run one round of a background loop so that stopping the loop lets the round end first.

    Cancelling a task in the middle of a database statement leaves its connection half-way: on
    SQLite a write transaction can keep the single write lock on a connection nobody releases
    (every later writer then fails with "database is locked"), and SQLAlchemy's clean-up may
    raise its own error instead of CancelledError, which a loop's `except Exception` would
    swallow, so the loop never stops. A round is short: when the loop's task is cancelled, it
    waits for the round (at most `grace` seconds, then cancels it) and stops."""
    round_ = asyncio.create_task(coroutine)
    try:
        return await asyncio.shield(round_)
    except asyncio.CancelledError:
        if not round_.done():
            _done, pending = await asyncio.wait({round_}, timeout=grace)
            for task in pending:
                task.cancel()
        round_.add_done_callback(_retrieve)
        raise


def _retrieve(task: asyncio.Task[Any]) -> None:
    """A round that failed after its loop was stopped: log it (asyncio would only warn)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("a background round failed while the service stopped",
                  exc_info=task.exception())


class BackgroundTasks:
    """At most `limit` at once: under a flood, work beyond it is refused (spawn returns None)
    and the caller leaves it for a loop that picks up stored work."""

    def __init__(self, limit: int = 200) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.limit = limit

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any] | None:
        if len(self._tasks) >= self.limit:
            coroutine.close()
            log.warning("background work postponed: too much running",
                        extra={"task": name, "running": len(self._tasks)})
            return None
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", extra={"task": task.get_name()},
                      exc_info=task.exception())

    async def drain(self, timeout: float = 10.0) -> None:
        """Let running work finish (stored work is never lost: unfinished handling is redone)."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
