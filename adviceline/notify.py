"""Wake-ups for live views (a parent's chat, the advisers' queue) inside one process.

A wake-up carries no data: listeners re-read the database, which stays the only source of truth.
Listeners also re-read on a short timeout, so several processes sharing PostgreSQL stay live.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

QUEUE = "queue"


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class Notifier:
    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Future[None]]] = defaultdict(set)

    def listen(self, topic: str) -> asyncio.Future[None]:
        """A future that completes at the next publish on `topic`. Take it before reading."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._listeners[topic].add(future)
        future.add_done_callback(lambda done: self._listeners.get(topic, set()).discard(done))
        return future

    def publish(self, *topics: str) -> None:
        for topic in topics:
            for future in self._listeners.pop(topic, set()):
                if not future.done():
                    future.set_result(None)

    @staticmethod
    async def wait(future: asyncio.Future[None], timeout: float) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            future.cancel()
