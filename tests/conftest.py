"""Shared fixtures: real SQLite files, a real PostgreSQL (when configured), a real app server."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adviceline.cli import DEMO_USERS_FILE
from adviceline.clock import FrozenClock
from adviceline.config import Config, RateLimitSettings, Secret, load_config, load_demo_users
from adviceline.faq import Faq
from adviceline.web.app import create_app
from knowledge_base import Entry
from tests import dovecot as dovecot_server

T = TypeVar("T")
POSTGRES_ENV = "ADVICELINE_TEST_POSTGRES_URL"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# A Tuesday morning: every municipal desk in the default configuration is staffed.
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=AMSTERDAM)


@pytest.fixture(scope="session")
def base_config() -> Config:
    return load_demo_users(DEMO_USERS_FILE, load_config(environ={}))


@pytest.fixture(scope="session")
def faq(base_config: Config) -> Faq:
    """The shipped knowledge base, loaded once for the whole run (building its index costs
    seconds of CPU). Every app and core shares it; a module may override `faq` (test_safety
    runs on a scripted crisis detector)."""
    return Faq(base_config)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[dovecot_server.Dovecot]:
    """A real IMAP server (Dovecot, unprivileged, implicit TLS) for the whole session; each test
    takes a fresh mailbox from it. Skips without Dovecot, fails under ADVICELINE_REQUIRE_DOVECOT
    (CI installs it)."""
    if not dovecot_server.available():
        message = (f"IMAP tests need Dovecot at {dovecot_server.DOVECOT} "
                   "(apt-get install dovecot-imapd)")
        if os.environ.get("ADVICELINE_REQUIRE_DOVECOT"):
            pytest.fail(f"ADVICELINE_REQUIRE_DOVECOT is set but {message}")
        pytest.skip(message)
    server = dovecot_server.Dovecot()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def mailbox(dovecot: dovecot_server.Dovecot) -> dovecot_server.Mailbox:
    return dovecot.mailbox()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TUESDAY_MORNING)


async def _postgres_database(admin_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"adviceline_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}", name


async def _drop_postgres_database(admin_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new database on the configured PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'adviceline.db'}"
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        if os.environ.get("ADVICELINE_REQUIRE_POSTGRES"):
            pytest.fail(f"ADVICELINE_REQUIRE_POSTGRES is set but {POSTGRES_ENV} is not")
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}, e.g. "
                    "postgresql+asyncpg://postgres@127.0.0.1:5432/test (.ci/run sets it)")
    url, name = await _postgres_database(admin_url)
    try:
        yield url
    finally:
        await _drop_postgres_database(admin_url, name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'adviceline.db'}"


@pytest.fixture
def config(base_config: Config, database_url: str) -> Config:
    # Rate limits off: tests speak from one address and their clock stands still, so buckets
    # would never refill; tests/web/test_rate_limits.py turns them on.
    return replace(base_config, database_url=Secret(database_url), secure_cookies=False,
                   demo=False, rate_limits=RateLimitSettings(enabled=False))


class RunningApp:
    """The real app on a loopback port, with an HTTP client session of its own."""

    def __init__(self, server: TestServer, http: aiohttp.ClientSession) -> None:
        self.server = server
        self.http = http
        self.app = server.app

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def ws_url(self, path: str) -> str:
        return self.url(path).replace("http://", "ws://")

    async def login(self, username: str, password: str) -> aiohttp.ClientSession:
        """A separate browser-like session logged in as this user; returns it with its csrf."""
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        response = await session.post(self.url("/login"), data={"username": username,
                                                                "password": password},
                                      allow_redirects=False)
        assert response.status == 303, await response.text()
        return session


@pytest.fixture
async def running(config: Config, clock: FrozenClock, faq: Faq) -> AsyncIterator[RunningApp]:
    app = create_app(config, clock=clock, faq=faq)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield RunningApp(server, http)
    await server.close()


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 10.0) -> T:
    """Poll what only the database (or another process) shows, with a deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await probe()
        if found is not None:
            return found
        assert asyncio.get_running_loop().time() < deadline, "gave up waiting"
        await asyncio.sleep(0.02)


def answerable(faq: Faq, topic: str | None = None) -> list[Entry]:
    """Entries (of a topic) whose own question the FAQ answers outright, for end-to-end tests."""
    return [entry for entry in faq.kb.entries.values()
            if (topic is None or entry.topic == topic)
            and faq.decide(entry.question).outcome == "answer"
            and faq.decide(entry.question).entry == entry.id]


def without_logging_noise(err: str) -> str:
    """stderr without Python's "--- Logging error ---" reports: a handler another test left on
    a stream pytest has closed since writes them when a library logs; they are not the
    command's output."""
    kept: list[str] = []
    skipping = False
    for line in err.splitlines():
        if line.startswith("--- Logging error ---"):
            skipping = True
        elif skipping and line.startswith("Arguments:"):
            skipping = False
        elif not skipping:
            kept.append(line)
    return "\n".join(kept)
