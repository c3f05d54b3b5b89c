"""Wake-ups for live views (a parent's chat, the advisers' queue) inside one process.

A wake-up carries no data: listeners re-read the database, which stays the only source of truth.
Listeners also re-read on a short timeout, so several processes sharing PostgreSQL stay live.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

QUEUE = "queue"
ANY = "*"   # listeners on this wake at every publish, whatever the topic


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class Notifier:
    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Future[None]]] = defaultdict(set)

    def listen(self, topic: str) -> asyncio.Future[None]:
        """A future that completes at the next publish on `topic`. Take it before reading."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._listeners[topic].add(future)
        future.add_done_callback(lambda done: self._forget(topic, done))
        return future

    def _forget(self, topic: str, future: asyncio.Future[None]) -> None:
        # A topic without listeners is dropped: the map holds only what is watched right now,
        # not every conversation ever watched.
        listeners = self._listeners.get(topic)
        if listeners is not None:
            listeners.discard(future)
            if not listeners:
                del self._listeners[topic]

    def watched(self) -> int:
        """How many topics have listeners now (for tests and health checks)."""
        return len(self._listeners)

    def publish(self, *topics: str) -> None:
        for topic in (*topics, ANY):
            for future in self._listeners.pop(topic, set()):
                if not future.done():
                    future.set_result(None)

    @staticmethod
    async def wait(future: asyncio.Future[None], timeout: float) -> None:
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives as the future completes.
            async with asyncio.timeout(timeout):
                await asyncio.shield(future)
        except TimeoutError:
            future.cancel()
