"""A login over plain HTTP from a LAN address cannot keep its Secure cookie: the page says so
instead of looping back to the login form without a word."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.faq import Faq
from adviceline.web.app import create_app

LAN = {"Host": "192.168.1.20:8080"}
FORM = {"username": "adviseur.enschede", "password": "demo-enschede"}
Serve = Callable[..., AbstractAsyncContextManager[tuple[TestServer, aiohttp.ClientSession]]]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def serve(config: Config, clock: FrozenClock, faq: Faq) -> Serve:
    @asynccontextmanager
    async def serving(**changes: object) -> AsyncIterator[tuple[TestServer, aiohttp.ClientSession]]:
        # Secure cookies as shipped (the shared test configuration turns them off).
        app = create_app(replace(config, secure_cookies=True, **changes), clock=clock, faq=faq)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as http:
                yield server, http
        finally:
            await server.close()
    return serving


async def test_the_login_page_warns_on_plain_http_from_a_lan_address(serve: Serve) -> None:
    async with serve() as (server, http):
        page = await (await http.get(server.make_url("/login"), headers=LAN)).text()
        assert 'id="plain-http"' in page and "https" in page
        refused = await http.post(server.make_url("/login"), headers=LAN, data=FORM,
                                  allow_redirects=False)
        assert refused.status == 400 and "Set-Cookie" not in refused.headers
        assert 'id="plain-http"' in await refused.text()
        # On the machine's own loopback address browsers keep a Secure cookie: a normal login.
        page = await (await http.get(server.make_url("/login"))).text()
        assert 'id="plain-http"' not in page
        answer = await http.post(server.make_url("/login"), data=FORM, allow_redirects=False)
        assert answer.status == 303 and "Secure" in answer.headers["Set-Cookie"]


async def test_a_trusted_tls_proxy_counts_as_https(serve: Serve) -> None:
    async with serve(trust_forwarded_for=True) as (server, http):
        headers = {**LAN, "X-Forwarded-Proto": "https", "X-Forwarded-For": "192.168.1.7"}
        page = await (await http.get(server.make_url("/login"), headers=headers)).text()
        assert 'id="plain-http"' not in page
        answer = await http.post(server.make_url("/login"), headers=headers, data=FORM,
                                 allow_redirects=False)
        assert answer.status == 303 and "Set-Cookie" in answer.headers
        # Without the proxy's word it is plain HTTP again.
        page = await (await http.get(server.make_url("/login"), headers=LAN)).text()
        assert 'id="plain-http"' in page


async def test_an_untrusted_forwarded_proto_is_ignored(serve: Serve) -> None:
    async with serve() as (server, http):
        headers = {**LAN, "X-Forwarded-Proto": "https"}
        page = await (await http.get(server.make_url("/login"), headers=headers)).text()
        assert 'id="plain-http"' in page
