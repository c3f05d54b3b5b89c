"""Two service processes' worth of apps on one PostgreSQL: a parent on one, an adviser on the
other, and the reply still reaches the parent's websocket (by the listeners' polling)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.faq import Faq
from adviceline.web.app import create_app
from tests.conftest import RunningApp
from tests.web.chat_client import ParentSocket, open_conversation
from tests.web.test_end_to_end import UNANSWERABLE, _csrf


@pytest.fixture
async def second(config: Config, clock: FrozenClock, faq: Faq) -> AsyncIterator[RunningApp]:
    server = TestServer(create_app(config, clock=clock, faq=faq), host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield RunningApp(server, http)
    await server.close()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_adviser_on_another_process_reaches_the_parent(
        running: RunningApp, second: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""), "enschede")
    parent = await ParentSocket.connect(running.http, running.ws_url("/api/v1/conversation/ws"),
                                        token)
    seq = await parent.ask(UNANSWERABLE)
    await parent.socket.send_json({"type": "adviser"})
    await parent.wait_for(lambda c: c.first_after(seq, "queued"))

    adviser = await second.login("adviseur.enschede", "demo-enschede")
    try:
        csrf = await _csrf(adviser, second.url("/console"))
        queue = (await (await adviser.get(second.url("/console/api/queue"))).json())["questions"]
        [question] = queue
        for action, body in (("claim", None), ("reply", {"text": "Hallo vanaf proces B"})):
            response = await adviser.post(
                second.url(f"/console/api/questions/{question['id']}/{action}"), json=body,
                headers={"X-CSRF-Token": csrf})
            assert response.status in (200, 201), await response.text()
    finally:
        await adviser.close()
    reply = await parent.wait_for(
        lambda c: next((m for m in c.after(seq) if m["sender"] == "adviser"), None))
    assert reply["text"] == "Hallo vanaf proces B"
    await parent.close()
