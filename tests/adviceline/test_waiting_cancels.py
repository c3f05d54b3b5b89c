"""A loop that waits for a wake-up must stop when cancelled, also when the wake-up comes at the
same moment: on Python 3.11 asyncio.wait_for swallowed such a cancellation, and a delivery worker
then ran on after the service stopped (a shutdown that never finished)."""

from __future__ import annotations

import asyncio

import pytest

from adviceline.notify import Notifier


async def test_a_cancellation_that_meets_a_wake_up_still_cancels() -> None:
    notifier = Notifier()
    wake = notifier.listen("queue")
    waiting = asyncio.create_task(Notifier.wait(wake, 30.0))
    await asyncio.sleep(0)          # the task now waits for the wake-up
    notifier.publish("queue")       # the wake-up and ...
    waiting.cancel()                # ... the cancellation arrive together
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_wait_without_a_wake_up_ends_at_its_timeout() -> None:
    notifier = Notifier()
    wake = notifier.listen("queue")
    await Notifier.wait(wake, 0.01)
    assert wake.cancelled()
