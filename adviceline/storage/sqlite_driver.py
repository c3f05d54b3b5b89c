"""SQLite through aiosqlite with one trip to the driver's thread per statement instead of four.

aiosqlite runs every call on a thread of its own, and SQLAlchemy's adapter makes four calls per
statement (open a cursor, execute, fetch the rows, close the cursor), each a hand-over between
threads and a turn of the event loop. Under load a turn of the loop is long, and a transaction
of fifteen statements waited for sixty of them while holding the write lock. Here the cursor
lives for one statement inside the driver's thread: one hand-over runs all four steps.

A statement whose transaction is marked short (`engine.SHORT`: the hot path's indexed reads
and writes, under the write lock or in a WAL snapshot, so it never waits for a lock) runs on
the event loop's own thread instead: it costs a fraction of a millisecond there, while a trip to
the driver's thread waits for a turn of the event loop, which under load is several
milliseconds, and a transaction holding the write lock made every writer wait for each of its
turns. BEGIN IMMEDIATE (it may wait for another process's write lock) and COMMIT (fsync)
always go to the driver's thread; ROLLBACK only when a statement of its connection is still
running there (see OneTripConnection.rollback).

Built on SQLAlchemy's aiosqlite adapter (its cursor's `_execute_async`, the connection's
`_cursor_cls`) and aiosqlite's `Connection._execute`; tests/adviceline/test_storage.py checks
that the engine uses it, and every SQLite test runs through it.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, int, int | None, list[Any] | None]


def _run(connection: aiosqlite.Connection, operation: str, parameters: Any,
         many: bool) -> _Outcome:
    """In aiosqlite's thread: the whole statement, with its rows."""
    cursor: sqlite3.Cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class _Trips:
    """Statements handed to the driver's thread, and those it has finished: each counter is
    written by one thread only, so a difference means one is still running there."""
    __slots__ = ("done", "sent")

    def __init__(self) -> None:
        self.sent = 0
        self.done = 0


def _run_counted(trips: _Trips, connection: aiosqlite.Connection, operation: str,
                 parameters: Any, many: bool) -> _Outcome:
    try:
        return _run(connection, operation, parameters, many)
    finally:
        trips.done += 1


class _NoCursor:
    """Where the adapter keeps the driver's cursor: there is none between statements."""

    def close(self) -> None:
        pass


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount", "short")
    _awaitable_cursor_close = False

    def _make_new_cursor(self, connection: Any) -> Any:
        # Set per statement (engine.py, before_cursor_execute): run it on this thread.
        self.short = False
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        return _NoCursor()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid   # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            connection: Any = self._connection   # aiosqlite.Connection
            trips: _Trips = cast(OneTripConnection, self._adapt_connection).trips
            # Never beside a statement still running in the driver's thread (see rollback).
            if self.short and trips.sent == trips.done:
                outcome = _run(connection, operation, parameters, many)
            else:
                trips.sent += 1
                outcome = await connection._execute(_run_counted, trips, connection, operation,
                                                    parameters, many)
            description, rowcount, lastrowid, rows = outcome
            self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
            self._rows = collections.deque(rows or ())

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(operation, seq_of_parameters, many=True)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("trips",)
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.trips = _Trips()

    def rollback(self) -> None:
        # On this thread: in WAL mode a rollback only forgets the transaction's pages (no I/O),
        # and every read session ends with one; a trip to the driver's thread would keep its
        # pooled connection out for a turn of the loop (and a writer waiting for it). Unless a
        # statement is still running there (its caller was cancelled: a long read, a BEGIN
        # IMMEDIATE waiting for another process): then this waits behind it in that thread,
        # not on the loop.
        if self.trips.sent != self.trips.done:
            super().rollback()
            return
        driver = self._connection._connection
        if driver is None:
            return
        try:
            driver.rollback()
        except Exception as error:
            self._handle_exception(error)


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect is given (create_engine's `module`)."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        # Short statements use the connection from the event loop's thread too (one at a time:
        # the adapter's mutex, and the driver's thread is idle meanwhile).
        kw["check_same_thread"] = False
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True   # as SQLAlchemy's own adapter does
        return OneTripConnection(self, await_(connection))


def one_trip_dbapi() -> OneTripDbapi:
    return OneTripDbapi(aiosqlite, sqlite3)
