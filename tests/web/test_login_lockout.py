"""The login lockout under attack, on SQLite and PostgreSQL: parallel guesses are counted as they
are made, a lockout holds only the source that guessed, and an adviser's own browser (device
cookie) keeps working while strangers guess."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import aiohttp
import pytest

from adviceline.config import Config
from tests.conftest import RunningApp

USERNAME, PASSWORD = "adviseur.hengelo", "demo-hengelo"


@pytest.fixture
def config(config: Config) -> Config:
    # As behind the reverse proxy, so a test can speak from several addresses.
    return replace(config, trust_forwarded_for=True)


async def attempt(running: RunningApp, password: str, address: str,
                  browser: aiohttp.ClientSession | None = None) -> int:
    response = await (browser or running.http).post(
        running.url("/login"), allow_redirects=False,
        data={"username": USERNAME, "password": password},
        headers={"X-Forwarded-For": address})
    return response.status


async def test_parallel_guesses_are_counted_as_they_are_made(running: RunningApp) -> None:
    statuses = await asyncio.gather(*(attempt(running, f"guess-{i}", "203.0.113.5")
                                      for i in range(30)))
    assert statuses.count(401) == 5
    assert statuses.count(429) == 25
    # The right password from that source is refused too while the lockout lasts.
    assert await attempt(running, PASSWORD, "203.0.113.5") == 429


async def test_guesses_lock_out_only_their_own_source(running: RunningApp, clock) -> None:
    assert [await attempt(running, "guess", "203.0.113.5") for _ in range(6)] == \
        [401] * 5 + [429]
    # The adviser, somewhere else, is not locked out by someone else's guesses.
    assert await attempt(running, PASSWORD, "198.51.100.7") == 303
    clock.advance(minutes=16)
    assert await attempt(running, "guess", "203.0.113.5") == 401


async def test_a_known_browser_logs_in_while_guesses_come_from_everywhere(
        running: RunningApp) -> None:
    adviser = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        assert await attempt(running, PASSWORD, "198.51.100.7", adviser) == 303
        # Guesses spread over many addresses, the adviser's own among them.
        addresses = [f"203.0.113.{i}" for i in range(1, 30)] + ["198.51.100.7"] * 5
        statuses = [await attempt(running, "guess", address) for address in addresses]
        assert statuses.count(401) == 20 and statuses[-1] == 429
        # A new browser cannot log in now; the adviser's own browser can.
        assert await attempt(running, PASSWORD, "192.0.2.44") == 429
        assert await attempt(running, PASSWORD, "198.51.100.7", adviser) == 303
    finally:
        await adviser.close()
