"""Background work the service started and must finish (or cancel) before it shuts down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


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
