"""SQLite's writers of one process take turns: first come, first served, except that an urgent
writer (an acknowledgement waits for it) waits for at most one background writer."""

from __future__ import annotations

import asyncio

import pytest

from adviceline.storage.engine import _WriteQueue


async def _writer(queue: _WriteQueue, name: str, urgent: bool, order: list[str],
                  started: asyncio.Event | None = None) -> None:
    await queue.acquire(urgent)
    order.append(name)
    if started is not None:
        started.set()
    await asyncio.sleep(0)
    queue.release()


async def test_urgent_writers_take_every_other_turn() -> None:
    queue, order = _WriteQueue(), []
    await queue.acquire(False)   # a writer holds the lock while the others arrive
    tasks = [asyncio.create_task(_writer(queue, name, name.startswith("ack"), order))
             for name in ("bg1", "bg2", "bg3", "ack1", "ack2")]
    await asyncio.sleep(0)       # every one of them is waiting now
    queue.release()
    await asyncio.gather(*tasks)
    assert order == ["ack1", "bg1", "ack2", "bg2", "bg3"]


async def test_a_writer_cancelled_while_waiting_leaves_the_queue_working() -> None:
    queue, order = _WriteQueue(), []
    await queue.acquire(False)
    gone = asyncio.create_task(_writer(queue, "gone", True, order))
    later = asyncio.create_task(_writer(queue, "later", False, order))
    await asyncio.sleep(0)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    queue.release()
    await later
    assert order == ["later"]
    await queue.acquire(True)    # free again: taken at once
    queue.release()
