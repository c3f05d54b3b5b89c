"""Wake-ups across service processes that share one PostgreSQL: LISTEN/NOTIFY.

Each process holds one connection of its own (not from the pool) that LISTENs on one channel and
sends this process's publishes with pg_notify, after the change was committed (publish is only
called then). What arrives from another process wakes this process's listeners, who re-read the
database as usual. A lost connection is made again by itself; after a reconnect every listener
is woken once, since wake-ups may have been missed meanwhile. Nothing is lost if a wake-up is:
the listeners' fallback re-read ([service] live_fallback_seconds) still finds every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from adviceline.notify import Notifier

log = logging.getLogger(__name__)
CHANNEL = "adviceline_wakeups"
APPLICATION_NAME = "adviceline-wakeups"
# pg_notify refuses payloads from 8000 bytes; topics are batched below that.
MAX_PAYLOAD = 7000
KEEPALIVE_SECONDS = 30.0     # an idle connection is checked this often (a silent drop)
FIRST_RETRY_SECONDS = 0.2
MAX_RETRY_SECONDS = 10.0


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (postgresql+asyncpg://...) as a DSN asyncpg itself takes."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def payloads(origin: str, topics: list[str]) -> list[str]:
    """The topics as JSON payloads, each below pg_notify's limit."""
    result: list[str] = []
    batch: list[str] = []
    size = 0
    for topic in topics:
        if batch and size + len(topic) + 4 > MAX_PAYLOAD:
            result.append(json.dumps({"from": origin, "topics": batch}))
            batch, size = [], 0
        batch.append(topic)
        size += len(topic) + 4
    if batch:
        result.append(json.dumps({"from": origin, "topics": batch}))
    return result


class PostgresWakeups:
    """The relay of one process: `start()` in a cleanup_ctx, `stop()` at its end."""

    def __init__(self, notifier: Notifier, dsn: str) -> None:
        self._notifier = notifier
        self._dsn = dsn
        # Our own notifications come back to us too (we LISTEN on the channel we NOTIFY on).
        self._origin = uuid.uuid4().hex
        self._pending: dict[str, None] = {}   # topics to send, in order, each once
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()   # for tests and health checks
        self.connections = 0               # how many times a connection was made
        self._connection_made = asyncio.Event()

    def send(self, topics: tuple[str, ...]) -> None:
        """The notifier's relay: queue the topics for the sender (publish must not block)."""
        for topic in topics:
            self._pending[topic] = None
        self._kick.set()

    def start(self) -> None:
        self._notifier.relay = self.send
        self._task = asyncio.create_task(self._run(), name="pg-wakeups")

    async def stop(self) -> None:
        self._notifier.relay = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def connections_made(self, count: int) -> None:
        """Return once `count` connections were made and one is up (tests, health checks)."""
        while self.connections < count or not self.connected.is_set():
            self._connection_made.clear()
            await self._connection_made.wait()

    async def _run(self) -> None:
        delay = FIRST_RETRY_SECONDS
        while True:
            try:
                connection = await asyncpg.connect(
                    self._dsn, server_settings={"application_name": APPLICATION_NAME})
            except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                log.warning("no connection for cross-process wake-ups; trying again",
                            extra={"error": type(exc).__name__, "retry_seconds": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)
                continue
            try:
                await self._serve(connection)
            except (TimeoutError, OSError, asyncpg.PostgresError,
                    asyncpg.InterfaceError) as exc:
                log.warning("cross-process wake-ups lost their connection; reconnecting",
                            extra={"error": type(exc).__name__})
                delay = FIRST_RETRY_SECONDS
            finally:
                self.connected.clear()
                with contextlib.suppress(Exception):
                    await asyncio.shield(connection.close(timeout=2))

    async def _serve(self, connection: Any) -> None:
        """Listen and send on one connection until it is lost."""
        lost = asyncio.Event()

        def terminated(_connection: Any) -> None:
            lost.set()
            self._kick.set()

        connection.add_termination_listener(terminated)
        await connection.add_listener(CHANNEL, self._received)
        self.connections += 1
        if self.connections > 1:
            # While we were away, other processes' wake-ups went nowhere.
            self._notifier.wake_all()
        self.connected.set()
        self._connection_made.set()
        while not lost.is_set():
            try:
                async with asyncio.timeout(KEEPALIVE_SECONDS):
                    await self._kick.wait()
            except TimeoutError:
                await connection.execute("SELECT 1", timeout=10)
                continue
            self._kick.clear()
            if lost.is_set():
                break
            topics, self._pending = list(self._pending), {}
            try:
                for payload in payloads(self._origin, topics):
                    await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload,
                                             timeout=10)
            except BaseException:
                # Not sent: keep them for the next connection (a late wake-up is harmless).
                for topic in topics:
                    self._pending.setdefault(topic, None)
                raise
        raise ConnectionResetError("the wake-up connection was closed")

    def _received(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
            origin, topics = message["from"], message["topics"]
        except (ValueError, KeyError, TypeError):
            log.warning("an unreadable cross-process wake-up was ignored")
            return
        if origin != self._origin and isinstance(topics, list):
            self._notifier.publish_here(*(t for t in topics if isinstance(t, str)))


@contextlib.asynccontextmanager
async def cross_process_wakeups(notifier: Notifier,
                                database_url: str) -> AsyncIterator[PostgresWakeups | None]:
    """The relay on PostgreSQL; None (nothing to do) on SQLite, which serves one process."""
    if make_url(database_url).get_backend_name() != "postgresql":
        yield None
        return
    wakeups = PostgresWakeups(notifier, asyncpg_dsn(database_url))
    wakeups.start()
    try:
        yield wakeups
    finally:
        await wakeups.stop()
