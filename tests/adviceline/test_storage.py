"""The storage layer itself: readers and writers on SQLite, durability settings, migrations."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adviceline.storage.engine import (
    Sessions,
    SQLiteWithoutWal,
    create_engine,
    migrate,
    session_factory,
)
from adviceline.storage.sqlite_driver import OneTripCursor
from adviceline.storage.startup import DatabaseUnavailable, check_database


@pytest.fixture
async def sqlite_sessions(sqlite_url: str) -> AsyncIterator[Sessions]:
    """Sessions on a migrated SQLite database of the test's own."""
    engine = create_engine(sqlite_url)
    await migrate(engine)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def test_sqlite_readers_do_not_wait_for_a_writer(sqlite_sessions: Sessions) -> None:
    sessions = sqlite_sessions
    async with sessions.begin() as writer:
        await writer.execute(text("UPDATE users SET active = active"))
        # The writer holds SQLite's write lock; a reader still gets its snapshot at once.
        async with sessions() as reader:
            count = await asyncio.wait_for(
                reader.scalar(text("SELECT count(*) FROM conversations")), 5)
        assert count == 0


async def test_sqlite_commits_are_durable_by_default(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            synchronous = await connection.scalar(text("PRAGMA synchronous"))
            secure_delete = await connection.scalar(text("PRAGMA secure_delete"))
        assert synchronous == 2   # FULL: an acknowledged message survives a power cut
        assert secure_delete == 1
    finally:
        await engine.dispose()
    with pytest.raises(ValueError, match="sqlite_synchronous"):
        create_engine(sqlite_url, sqlite_synchronous="off")


async def test_sqlite_refuses_a_database_that_cannot_use_wal(tmp_path: Path) -> None:
    # The unix-dotfile VFS has no shared memory: SQLite silently keeps its rollback journal.
    url = f"sqlite+aiosqlite:///file:{tmp_path / 'no-wal.db'}?vfs=unix-dotfile&uri=true"
    engine = create_engine(url)
    try:
        with pytest.raises(SQLiteWithoutWal, match="WAL"):
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    # At start-up (`adviceline serve`, `doctor`) it is one clear line, not a traceback.
    with pytest.raises(DatabaseUnavailable, match="could not switch this database to WAL"):
        await check_database(url)
    # The same file through the default VFS is fine, and is now in WAL mode.
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'no-wal.db'}")
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
    finally:
        await engine.dispose()


async def test_the_migration_closes_a_second_open_question_left_by_the_old_race(
        database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine, "0002")
        now = datetime(2026, 11, 24, 9, tzinfo=UTC).replace(tzinfo=None)
        async with engine.begin() as connection:
            await connection.execute(text(
                "INSERT INTO conversations (id, token_hash, channel, language, last_seq, "
                "created_at) VALUES ('c', 'h', 'web', 'nl', 2, :now)"), {"now": now})
            for question, seq in (("q1", 1), ("q2", 2)):
                await connection.execute(text(
                    "INSERT INTO questions (id, conversation_id, channel, status, priority, "
                    "created_at) VALUES (:q, 'c', 'web', 'waiting', 0, :now)"),
                    {"q": question, "now": now})
                await connection.execute(text(
                    "INSERT INTO messages (conversation_id, seq, sender, kind, body, "
                    "question_id, handled, created_at) VALUES ('c', :seq, 'parent', 'text', "
                    "'x', :q, true, :now)"), {"q": question, "seq": seq, "now": now})
        await migrate(engine)
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT id, status, opened_seq FROM questions ORDER BY id"))).all()
            closed_events = await connection.scalar(text(
                "SELECT count(*) FROM question_events WHERE question_id = 'q2' "
                "AND kind = 'closed'"))
        assert [tuple(row) for row in rows] == [("q1", "waiting", 1), ("q2", "closed", 2)]
        assert closed_events == 1
    finally:
        await engine.dispose()


async def test_sqlite_statements_take_one_trip_and_keep_the_dbapi_behaviour(
        sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.driver_connection, aiosqlite.Connection)
            assert isinstance(raw.dbapi_connection.cursor(), OneTripCursor)
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
            inserted = await connection.execute(text("INSERT INTO t (v) VALUES ('a')"))
            assert inserted.lastrowid == 1 and inserted.rowcount == 1
            many = await connection.execute(text("INSERT INTO t (v) VALUES (:v)"),
                                            [{"v": "b"}, {"v": "c"}])
            assert many.rowcount == 2
            updated = await connection.execute(text("UPDATE t SET v = v || '!' WHERE id > 1"))
            assert updated.rowcount == 2
            returned = await connection.execute(
                text("UPDATE t SET v = 'z' WHERE id = 1 RETURNING id, v"))
            assert returned.all() == [(1, "z")]
            rows = await connection.execute(text("SELECT v FROM t ORDER BY id"))
            assert rows.scalars().all() == ["z", "b!", "c!"]
            with pytest.raises(IntegrityError):
                await connection.execute(text("INSERT INTO t (v) VALUES ('z')"))
    finally:
        await engine.dispose()


async def test_sqlite_short_statements_run_on_the_event_loops_thread(
        sqlite_sessions: Sessions) -> None:
    sessions = sqlite_sessions
    loop_thread = threading.get_ident()

    async def statement_thread(session: AsyncSession) -> int:
        raw = await (await session.connection()).get_raw_connection()
        await raw.driver_connection.create_function("thread_id", 0, threading.get_ident)
        return int(await session.scalar(text("SELECT thread_id()")))

    async with sessions.begin(short=True) as writer:
        assert await statement_thread(writer) == loop_thread
        await writer.execute(text("UPDATE users SET active = active"))
    async with sessions.short() as reader:
        assert await statement_thread(reader) == loop_thread
    # Everything else, BEGIN IMMEDIATE and COMMIT included, in the driver's thread.
    async with sessions.begin() as writer:
        assert await statement_thread(writer) != loop_thread
    async with sessions() as reader:
        assert await statement_thread(reader) != loop_thread
    # A short writer's rollback (on the loop's thread) leaves nothing behind.
    with pytest.raises(RuntimeError):
        async with sessions.begin(short=True) as writer:
            await writer.execute(text(
                "INSERT INTO service_settings (name, value) VALUES ('k', 'v')"))
            raise RuntimeError
    async with sessions.short() as reader:
        assert await reader.scalar(text(
            "SELECT count(*) FROM service_settings WHERE name = 'k'")) == 0


async def test_sqlite_a_short_session_can_stream(sqlite_sessions: Sessions) -> None:
    # A server-side cursor is not the one-trip cursor: a short session's stream runs through
    # aiosqlite as before instead of failing on the short mark.
    async with sqlite_sessions.short() as reader:
        result = await reader.stream(text("SELECT 1 UNION ALL SELECT 2"))
        assert [row[0] for row in await result.all()] == [1, 2]


async def test_sqlite_a_rollback_waits_in_the_drivers_thread_for_a_statement_still_there(
        sqlite_url: str) -> None:
    # A rollback usually runs on the loop's thread; with a statement of the connection still
    # running in the driver's thread (its caller was cancelled) it must queue behind it there,
    # not block the event loop on SQLite's connection mutex.
    engine = create_engine(sqlite_url)
    started, release = threading.Event(), threading.Event()

    def hold() -> int:
        started.set()
        release.wait(10)
        return 1

    safety_net = threading.Timer(5, release.set)   # only if the loop were blocked (the bug)
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.create_function("hold", 0, hold)
            statement = asyncio.create_task(connection.exec_driver_sql("SELECT hold()"))
            assert await asyncio.to_thread(started.wait, 5)   # the statement is in the thread
            safety_net.start()
            rollback = asyncio.create_task(
                connection.run_sync(lambda sync: sync.connection.dbapi_connection.rollback()))
            for _ in range(3):
                await asyncio.sleep(0)
            assert not rollback.done()   # waiting in the driver's thread; the loop runs on
            release.set()
            await statement
            await rollback
    finally:
        release.set()
        safety_net.cancel()
        await engine.dispose()
