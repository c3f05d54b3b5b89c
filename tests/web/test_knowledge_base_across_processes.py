"""A knowledge-base reload reaches every service process on one PostgreSQL: the coordinator's
button reloads the process it was pressed on, which tells the others by LISTEN/NOTIFY."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.faq import Faq
from adviceline.web.app import create_app
from adviceline.web.keys import FAQ, WAKEUPS
from tests.adviceline.test_knowledge_base_reload import add_topic
from tests.adviceline.test_knowledge_base_reload import faq as faq  # the fixture, a copy to change
from tests.conftest import RunningApp, eventually

pytestmark = [pytest.mark.postgres,
              pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]


@pytest.fixture
def config(config: Config, faq: Faq) -> Config:
    """The configuration of the knowledge base copy the `faq` fixture reads."""
    return replace(config, entries_dir=faq._config.entries_dir,
                   topics_file=faq._config.topics_file)


@pytest.fixture
async def second(config: Config, clock: FrozenClock, faq: Faq) -> AsyncIterator[RunningApp]:
    server = TestServer(create_app(config, clock=clock, faq=faq), host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield RunningApp(server, http)
    await server.close()


async def test_a_reload_on_one_process_reaches_the_other(running: RunningApp,
                                                         second: RunningApp) -> None:
    await second.app[WAKEUPS].connections_made(1)
    await running.app[WAKEUPS].connections_made(1)
    topic = add_topic(running.app[FAQ])
    assert topic not in running.app[FAQ].topics() and topic not in second.app[FAQ].topics()
    coordinator = await running.login("coordinator", "demo-coordinator")
    try:
        html = await (await coordinator.get(running.url("/coordinator"))).text()
        csrf = html.split('name="csrf-token" content="')[1].split('"')[0]
        response = await coordinator.post(
            running.url("/coordinator/api/knowledge-base/reload"), headers={"X-CSRF-Token": csrf})
        assert response.status == 200
    finally:
        await coordinator.close()
    assert topic in running.app[FAQ].topics()

    async def followed() -> bool | None:
        return topic in second.app[FAQ].topics() or None

    assert await eventually(followed, timeout=60)
