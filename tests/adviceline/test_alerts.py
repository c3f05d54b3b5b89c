"""Operator alerts: a crisis question nobody takes is logged once it waits past the limit."""

from __future__ import annotations

import asyncio

from adviceline.alerts import CrisisWatch
from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.storage.engine import create_engine, session_factory
from adviceline.web.keys import CRISIS_WATCH
from tests.adviceline.test_logs import captured
from tests.conftest import RunningApp
from tests.web.chat_client import ParentSocket, open_conversation

CRISIS = "mijn man slaat me en de kinderen zijn bang"


async def test_a_crisis_nobody_takes_is_logged_once_past_the_limit(
        running: RunningApp, clock: FrozenClock, config: Config) -> None:
    token = await open_conversation(running.http, running.url(""))
    parent = await ParentSocket.connect(running.http,
                                        running.ws_url("/api/v1/conversation/ws"), token)
    seq = await parent.ask(CRISIS)
    await parent.wait_for(lambda c: c.first_after(seq, "crisis"))
    await parent.close()
    watch = running.app[CRISIS_WATCH]
    limit = config.alert_crisis_waiting_minutes

    clock.advance(minutes=limit - 1)
    assert await watch.check() == []
    clock.advance(minutes=2)
    with captured("adviceline.alerts") as log:
        found = await watch.check()
        again = await watch.check()   # said once, not every minute
    assert len(found) == 1 and found[0].minutes >= limit and found[0].municipality == "enschede"
    assert again == []
    written = log.getvalue()
    assert "crisis question waiting" in written and found[0].question_id in written
    assert "slaat" not in written


async def test_two_processes_alert_once_between_them(
        running: RunningApp, clock: FrozenClock, config: Config) -> None:
    """Each process checks the queue every minute; the alert is logged by one of them only
    (and not again after a restart: the watches here have no memory of their own yet)."""
    token = await open_conversation(running.http, running.url(""))
    parent = await ParentSocket.connect(running.http,
                                        running.ws_url("/api/v1/conversation/ws"), token)
    seq = await parent.ask(CRISIS)
    await parent.wait_for(lambda c: c.first_after(seq, "crisis"))
    await parent.close()
    clock.advance(minutes=config.alert_crisis_waiting_minutes + 1)
    engines = [create_engine(config.database_url.reveal()) for _ in range(2)]
    try:
        watches = [CrisisWatch(session_factory(engine), clock,
                               config.alert_crisis_waiting_minutes) for engine in engines]
        with captured("adviceline.alerts") as log:
            found = await asyncio.gather(*(watch.check() for watch in watches))
            restarted = await CrisisWatch(session_factory(engines[0]), clock,
                                          config.alert_crisis_waiting_minutes).check()
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(len(each) for each in found) == [0, 1] and restarted == []
    assert log.getvalue().count("crisis question waiting") == 1
