"""Operator alerts: a crisis question nobody takes is logged once it waits past the limit."""

from __future__ import annotations

from adviceline.clock import FrozenClock
from adviceline.config import Config
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
