"""Two service processes' worth of apps on one PostgreSQL: a parent on one, an adviser on the
other, and the reply reaches the parent's websocket by LISTEN/NOTIFY, not by the fallback
re-read (set to an hour here, far beyond the tests' deadlines)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.engine import make_url

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.faq import Faq
from adviceline.pg_wakeups import APPLICATION_NAME, asyncpg_dsn
from adviceline.web.app import create_app
from adviceline.web.keys import WAKEUPS
from tests.conftest import POSTGRES_ENV, RunningApp
from tests.web.chat_client import DEADLINE, ParentSocket, open_conversation
from tests.web.test_end_to_end import UNANSWERABLE, _csrf

pytestmark = [pytest.mark.postgres,
              pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]
FALLBACK_SECONDS = 3600.0


@pytest.fixture
def config(config: Config) -> Config:
    return replace(config, live_fallback_seconds=FALLBACK_SECONDS)


@pytest.fixture
async def second(config: Config, clock: FrozenClock, faq: Faq) -> AsyncIterator[RunningApp]:
    server = TestServer(create_app(config, clock=clock, faq=faq), host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield RunningApp(server, http)
    await server.close()


async def _waiting_parent(running: RunningApp) -> tuple[ParentSocket, int]:
    """A parent on `running` whose question waits in the advisers' queue."""
    token = await open_conversation(running.http, running.url(""), "enschede")
    parent = await ParentSocket.connect(running.http, running.ws_url("/api/v1/conversation/ws"),
                                        token)
    seq = await parent.ask(UNANSWERABLE)
    await parent.socket.send_json({"type": "adviser"})
    await parent.wait_for(lambda c: c.first_after(seq, "queued"))
    return parent, seq


async def _reply_from(second: RunningApp, text: str) -> None:
    adviser = await second.login("adviseur.enschede", "demo-enschede")
    try:
        csrf = await _csrf(adviser, second.url("/console"))
        queue = (await (await adviser.get(second.url("/console/api/queue"))).json())["questions"]
        [question] = queue
        for action, body in (("claim", None), ("reply", {"text": text})):
            response = await adviser.post(
                second.url(f"/console/api/questions/{question['id']}/{action}"), json=body,
                headers={"X-CSRF-Token": csrf})
            assert response.status in (200, 201), await response.text()
    finally:
        await adviser.close()


async def _adviser_reply(parent: ParentSocket, seq: int) -> str:
    reply = await parent.wait_for(
        lambda c: next((m for m in c.after(seq) if m["sender"] == "adviser"), None))
    return str(reply["text"])


async def test_adviser_on_another_process_reaches_the_parent(
        running: RunningApp, second: RunningApp) -> None:
    assert DEADLINE < FALLBACK_SECONDS / 100   # only a wake-up can deliver in time
    parent, seq = await _waiting_parent(running)
    await _reply_from(second, "Hallo vanaf proces B")
    assert await _adviser_reply(parent, seq) == "Hallo vanaf proces B"
    await parent.close()


async def test_wakeups_reconnect_after_the_connection_is_lost(
        running: RunningApp, second: RunningApp, config: Config) -> None:
    parent, seq = await _waiting_parent(running)
    relays = [running.app[WAKEUPS], second.app[WAKEUPS]]
    async with asyncio.timeout(DEADLINE):
        for relay in relays:
            await relay.connections_made(1)
    admin = await asyncpg.connect(asyncpg_dsn(os.environ[POSTGRES_ENV]))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1 AND datname = $2", APPLICATION_NAME,
            make_url(config.database_url.reveal()).database)
    finally:
        await admin.close()
    assert killed == 2
    async with asyncio.timeout(DEADLINE):
        for relay in relays:
            await relay.connections_made(2)
    await _reply_from(second, "Nog steeds verbonden")
    assert await _adviser_reply(parent, seq) == "Nog steeds verbonden"
    await parent.close()
