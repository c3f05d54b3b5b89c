"""`serve --demo` fills an empty database with two weeks of history for the coordinator page."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestServer

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.faq import Faq
from adviceline.stats import answer_stats
from adviceline.web.app import create_app
from adviceline.web.keys import SESSIONS
from tests.conftest import AMSTERDAM


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_demo_history_through_the_real_pipeline(config: Config, clock: FrozenClock,
                                                       faq: Faq) -> None:
    app = create_app(replace(config, demo=True), clock=clock, faq=faq)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        today = clock.now().astimezone(AMSTERDAM).date()
        stats = await answer_stats(app[SESSIONS], today - timedelta(days=14), today, None,
                                   AMSTERDAM)
    finally:
        await server.close()
    assert stats.received >= 28
    assert stats.answered_by_faq > 0 and stats.answered_by_adviser > 0
    assert stats.median_first_response_minutes is not None
    # A second start on the same database adds nothing.
    app = create_app(replace(config, demo=True), clock=clock, faq=faq)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        again = await answer_stats(app[SESSIONS], today - timedelta(days=14), today, None,
                                   AMSTERDAM)
    finally:
        await server.close()
    assert again.received == stats.received
