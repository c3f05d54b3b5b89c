"""Wake-ups for live views (a parent's chat, the advisers' queue).

A wake-up carries no data: listeners re-read the database, which stays the only source of truth.
Inside one process a publish wakes the listeners at once; a relay (adviceline.pg_wakeups, on
PostgreSQL) carries it to the other processes. Listeners re-read after a long fallback too, in
case a wake-up was lost (a relay connection down for a moment).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

QUEUE = "queue"
STAFF_MAIL = "staff_mail"   # an on-call e-mail was queued
ANY = "*"   # listeners on this wake at every publish, whatever the topic
# Another process reloaded the knowledge base: reload ours (published to other processes only).
KNOWLEDGE_BASE = "knowledge-base"


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class Notifier:
    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Future[None]]] = defaultdict(set)
        # Called with every publish's topics (not those that came from the relay itself).
        self.relay: Callable[[tuple[str, ...]], None] | None = None

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
        """Wake this process's listeners on `topics`, and, through the relay, other processes'.
        Call it after the change is committed: a listener re-reads as soon as it wakes."""
        self.publish_here(*topics)
        if self.relay is not None and topics:
            self.relay(topics)

    def publish_elsewhere(self, *topics: str) -> None:
        """Wake only other processes' listeners (for what this process has done already)."""
        if self.relay is not None and topics:
            self.relay(topics)

    def publish_here(self, *topics: str) -> None:
        """Wake only this process's listeners (what the relay does with another's publish)."""
        for topic in (*topics, ANY):
            for future in self._listeners.pop(topic, set()):
                if not future.done():
                    future.set_result(None)

    def wake_all(self) -> None:
        """Wake every listener: wake-ups may have been missed (the relay reconnected)."""
        self.publish_here(*list(self._listeners))

    @staticmethod
    async def wait(future: asyncio.Future[None], timeout: float) -> None:
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives as the future completes.
            async with asyncio.timeout(timeout):
                await asyncio.shield(future)
        except TimeoutError:
            future.cancel()
