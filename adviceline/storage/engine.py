"""The database engine for SQLite (WAL, the embedded default) or PostgreSQL, and migrations.

Sessions come from `Sessions`: `sessions()` for a unit of work that only reads, and
`sessions.begin()` for one that writes (committed when the block ends). On SQLite the difference
matters: a reader starts a plain (deferred) transaction and reads its snapshot without waiting for
anyone, while a writer takes the single write lock up front (BEGIN IMMEDIATE), so it waits its turn
instead of failing half-way with "database is locked". Writers of one process also queue for
that lock in the process, first come first served (see Sessions).
"""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.ext.asyncio.session import _AsyncSessionContextManager

from adviceline.storage.sqlite_driver import OneTripCursor, one_trip_dbapi

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Several service processes may start at once against one PostgreSQL; one migrates at a time.
_MIGRATION_LOCK_ID = 0x616476696365
# An execution option that marks a connection as a writer's (see Sessions and _configure_sqlite).
WRITER = "adviceline_writer"
# An execution option for transactions of short, indexed statements on the hot path: on SQLite
# they run on the event loop's thread, not the driver's (see sqlite_driver).
SHORT = "adviceline_short"
SQLITE_SYNCHRONOUS = ("full", "normal")
# What `PRAGMA journal_mode=WAL` may answer: WAL, or "memory" for an in-memory database (one
# connection, no other process to wait for).
_SQLITE_JOURNAL_MODES = ("wal", "memory")


class SQLiteWithoutWal(RuntimeError):
    """The SQLite database cannot use write-ahead logging, which the service relies on."""


def create_engine(url: str, *, sqlite_synchronous: str = "full") -> AsyncEngine:
    # hide_parameters: a failing statement's parameters (a parent's message) must never reach an
    # exception text, and so never a log.
    if url.startswith("sqlite"):
        if sqlite_synchronous not in SQLITE_SYNCHRONOUS:
            raise ValueError(f"sqlite_synchronous must be one of {SQLITE_SYNCHRONOUS}")
        # One trip to aiosqlite's thread per statement (see sqlite_driver), not four.
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True,
                                     module=one_trip_dbapi())
        _configure_sqlite(engine, sqlite_synchronous)
        return engine
    return create_async_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True,
        # The server's own log must not carry a failing statement's parameters either.
        connect_args={"server_settings": {"log_parameter_max_length_on_error": "0"}})


def _configure_sqlite(engine: AsyncEngine, synchronous: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # SQLite keeps its old journal without a word where WAL is impossible (a filesystem or
        # VFS without shared memory or locking, such as some network mounts). Then readers wait
        # for writers, and the short statements run on the event loop's thread could wait in
        # SQLite's busy handler with the whole service stalled: refuse to start instead.
        mode = str(cursor.fetchone()[0]).lower()
        if mode not in _SQLITE_JOURNAL_MODES:
            cursor.close()
            raise SQLiteWithoutWal(
                f"SQLite could not switch this database to WAL (journal_mode stays {mode!r}); "
                "put the database file on a local filesystem, or use PostgreSQL")
        # FULL: a commit (and so an acknowledgement) survives a power cut; NORMAL may lose the
        # last commits then (never corrupts). README "SQLite durability" has the measured cost.
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Erased and purged message text is overwritten on disk, not just unlinked.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        # A deferred transaction that reads and then writes fails at once with "database is
        # locked" when another writer got in between; a writer takes the write lock up front and
        # waits instead. Readers need no lock: WAL gives them a snapshot.
        writer = connection.get_execution_options().get(WRITER, False)
        if writer:
            # In the driver's thread even when short: another process may hold the lock.
            connection.exec_driver_sql("BEGIN IMMEDIATE", execution_options={SHORT: False})
        else:
            connection.exec_driver_sql("BEGIN")

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def before_cursor_execute(_connection: Connection, cursor: Any, _statement: str,
                              _parameters: Any, context: Any, _executemany: bool) -> None:
        # Only the one-trip cursor runs on this thread; a server-side cursor (a stream,
        # yield_per) has no such attribute and stays on aiosqlite's own road.
        if isinstance(cursor, OneTripCursor) and context is not None and \
                context.execution_options.get(SHORT, False):
            cursor.short = True


class Sessions(async_sessionmaker[AsyncSession]):
    """`sessions()` opens a session for reading; `sessions.begin()` one for writing.

    Never write in a session from `sessions()`: on SQLite its transaction holds no write lock.

    On SQLite, writers wait for each other on an asyncio.Lock before they take a connection and
    BEGIN IMMEDIATE. Without it every waiting writer holds a pooled connection and polls SQLite's
    lock in its busy handler's sleep steps: unfair (a writer can miss the lock again and again,
    until its 30 s run out: "database is locked") and slow (waits of hundreds of milliseconds
    while the lock is held for a few), and a hundred waiting writers empty the pool for readers.
    SQLite has one writer at a time anyway; the queue only makes the waiting orderly.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, expire_on_commit=False)
        self._writers = async_sessionmaker(engine.execution_options(**{WRITER: True}),
                                           expire_on_commit=False)
        self._short_writers = async_sessionmaker(
            engine.execution_options(**{WRITER: True, SHORT: True}), expire_on_commit=False)
        self._short_readers = async_sessionmaker(engine.execution_options(**{SHORT: True}),
                                                 expire_on_commit=False)
        self._write_queue = _WriteQueue() if engine.dialect.name == "sqlite" else None

    @property
    def one_writer(self) -> bool:
        """Whether writers of this process take turns (SQLite): then batching writes pays."""
        return self._write_queue is not None

    def begin(self, *, urgent: bool = False,
              short: bool = False) -> _AsyncSessionContextManager[AsyncSession]:
        """A writer's session. `urgent`: someone waits for this commit (an acknowledgement); on
        SQLite it takes turns with the other writers instead of queuing behind all of them.
        `short`: only short, indexed statements (the hot path); on SQLite they run on the event
        loop's thread, so the write lock is not held across turns of a busy loop."""
        writers = self._short_writers if short else self._writers
        if self._write_queue is None:
            return writers.begin()
        return _QueuedWriter(writers(), self._write_queue, urgent)

    def short(self) -> AsyncSession:
        """A session for reading with short, indexed statements (the hot path); on SQLite they
        run on the event loop's thread instead of waiting for turns of it."""
        return self._short_readers()


class _WriteQueue:
    """The process's SQLite write lock: first come, first served, except that urgent writers
    (acknowledgements) and the others take turns while both wait, so an ack waits for at most
    one background write, and background work still gets every other turn."""

    def __init__(self) -> None:
        self.holder: asyncio.Task[Any] | None = None
        self._busy = False
        self._waiting: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}
        self._last_urgent = False

    async def acquire(self, urgent: bool) -> None:
        if not self._busy and not self._waiting[True] and not self._waiting[False]:
            self._busy = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[urgent].append(turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self.release()   # granted as we were cancelled: pass the turn on
            elif turn in self._waiting[urgent]:
                self._waiting[urgent].remove(turn)
            raise

    def release(self) -> None:
        self.holder = None
        urgent, other = self._waiting[True], self._waiting[False]
        while urgent or other:
            take_urgent = bool(urgent) and (not other or not self._last_urgent)
            turn = (urgent if take_urgent else other).popleft()
            if not turn.done():
                self._last_urgent = take_urgent
                turn.set_result(None)   # the lock passes on; _busy stays True
                return
        self._busy = False


class _QueuedWriter(_AsyncSessionContextManager[AsyncSession]):
    """A writer's session that holds the process's write lock from its start to its end."""

    def __init__(self, session: AsyncSession, queue: _WriteQueue, urgent: bool) -> None:
        super().__init__(session)
        self._queue = queue
        self._urgent = urgent

    async def __aenter__(self) -> AsyncSession:
        task = asyncio.current_task()
        if task is not None and self._queue.holder is task:
            # It would wait for itself forever (SQLite itself would refuse after 30 s).
            raise RuntimeError("a write transaction was begun inside another one")
        await self._queue.acquire(self._urgent)
        self._queue.holder = task
        try:
            return await super().__aenter__()
        except BaseException:
            self._queue.release()
            raise

    async def __aexit__(self, type_: type[BaseException] | None, value: BaseException | None,
                        traceback: TracebackType | None) -> None:
        try:
            await super().__aexit__(type_, value, traceback)
        finally:
            self._queue.release()


def session_factory(engine: AsyncEngine) -> Sessions:
    return Sessions(engine)


def alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to call from several processes at once."""

    def upgrade(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"),
                               {"id": _MIGRATION_LOCK_ID})
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.execution_options(**{WRITER: True}).begin() as connection:
        await connection.run_sync(upgrade)
