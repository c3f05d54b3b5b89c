"""Stopping a background loop (shut-down) lets the round in progress end first: a round cut off
half-way through a database statement could keep SQLite's write lock on a connection nobody
releases, or turn the cancellation into another error that the loop swallows and runs on."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import text

from adviceline.storage.engine import create_engine, session_factory
from adviceline.tasks import finish_round


async def _loop_forever(round_: object) -> None:
    """The shape of every background loop in the service: rounds, errors logged, a pause."""
    while True:
        with contextlib.suppress(Exception):
            await finish_round(round_())  # type: ignore[operator]
        await asyncio.sleep(3600)


async def test_a_stopped_loop_lets_the_round_in_progress_commit(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE marks (n INTEGER)"))
    inside, release = asyncio.Event(), asyncio.Event()

    async def round_() -> None:
        async with sessions.begin() as session:
            await session.execute(text("INSERT INTO marks VALUES (1)"))
            inside.set()
            await release.wait()

    loop = asyncio.create_task(_loop_forever(round_))
    await inside.wait()
    loop.cancel()
    await asyncio.sleep(0.05)
    assert not loop.done()   # waiting for the round, which holds the write lock
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await loop
    # The round committed, and the write lock is free: another writer gets it at once.
    async with asyncio.timeout(2):
        async with sessions.begin() as session:
            await session.execute(text("INSERT INTO marks VALUES (2)"))
    async with sessions() as session:
        assert (await session.execute(text("SELECT n FROM marks ORDER BY n"))).scalars().all() \
            == [1, 2]
    await engine.dispose()


async def test_a_cancellation_that_becomes_another_error_still_stops_the_loop() -> None:
    started = asyncio.Event()

    async def round_() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            # What SQLAlchemy's clean-up does when a statement is cut off: its own error.
            raise RuntimeError("clean-up failed") from None

    async def loop_forever() -> None:
        while True:
            with contextlib.suppress(Exception):
                await finish_round(round_(), grace=0.05)
            await asyncio.sleep(3600)

    loop = asyncio.create_task(loop_forever())
    await started.wait()
    loop.cancel()
    await asyncio.wait({loop}, timeout=2)
    assert loop.done() and loop.cancelled()
