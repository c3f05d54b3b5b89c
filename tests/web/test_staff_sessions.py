"""Staff sessions end: after session_idle_minutes without anything the adviser does, after
session_hours at the latest, when the browser closes, and when the password changes. Every
response, redirects and 401s included, carries the security headers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from adviceline.clock import FrozenClock
from adviceline.config import Config, Secret
from adviceline.notify import QUEUE
from adviceline.users import sync_users
from adviceline.web.auth import BACKGROUND_HEADER
from adviceline.web.errors import SECURITY_HEADERS
from adviceline.web.keys import NOTIFIER, SESSIONS
from tests.conftest import RunningApp

QUEUE_API = "/console/api/queue"


@pytest.fixture
def config(config: Config) -> Config:
    return replace(config, session_hours=1, session_idle_minutes=30)


async def status(running: RunningApp, staff: aiohttp.ClientSession,
                 background: bool = False) -> int:
    headers = {BACKGROUND_HEADER: "1"} if background else {}
    return (await staff.get(running.url(QUEUE_API), headers=headers)).status


async def test_a_login_ends_after_idling_and_after_session_hours_at_the_latest(
        running: RunningApp, clock: FrozenClock) -> None:
    busy = await running.login("adviseur.enschede", "demo-enschede")
    idle = await running.login("adviseur.hengelo", "demo-hengelo")
    try:
        clock.advance(minutes=20)
        assert await status(running, busy) == 200            # the adviser did something
        assert await status(running, idle, background=True) == 200
        clock.advance(minutes=11)                             # 31 minutes without the adviser
        assert await status(running, idle, background=True) == 401
        assert await status(running, idle) == 401            # and it stays ended
        assert await status(running, busy, background=True) == 200   # 11 minutes idle
        clock.advance(minutes=18)
        assert await status(running, busy) == 200             # t=49: up to the 60 minutes
        clock.advance(minutes=10)
        assert await status(running, busy) == 200             # t=59
        clock.advance(minutes=2)
        assert await status(running, busy) == 401             # session_hours=1 is the end
    finally:
        await busy.close()
        await idle.close()


async def test_the_session_cookie_has_no_max_age(running: RunningApp) -> None:
    response = await running.http.post(running.url("/login"), allow_redirects=False, data={
        "username": "adviseur.enschede", "password": "demo-enschede"})
    assert response.status == 303
    cookie = response.cookies["adviceline_session"]
    assert not cookie["max-age"] and not cookie["expires"]


async def test_a_new_password_ends_every_login_of_that_user(running: RunningApp,
                                                            config: Config) -> None:
    laptop = await running.login("adviseur.enschede", "demo-enschede")
    phone = await running.login("adviseur.enschede", "demo-enschede")
    colleague = await running.login("adviseur.hengelo", "demo-hengelo")
    try:
        socket = await laptop.ws_connect(running.ws_url("/console/ws"))
        assert (await socket.receive_json(timeout=10))["type"] == "changed"
        # What a restart with a changed [[user]] password does.
        await sync_users(running.app[SESSIONS], [
            replace(user, password=Secret("een-nieuw-wachtwoord"))
            if user.username == "adviseur.enschede" else user for user in config.users])
        running.app[NOTIFIER].publish(QUEUE)
        closing = await socket.receive(timeout=10)
        assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4401
        assert await status(running, laptop) == 401
        assert await status(running, phone) == 401
        assert await status(running, colleague) == 200
        again = await running.login("adviseur.enschede", "een-nieuw-wachtwoord")
        assert await status(running, again) == 200
        await again.close()
    finally:
        for staff in (laptop, phone, colleague):
            await staff.close()


async def test_redirects_401s_and_404s_carry_the_security_headers(running: RunningApp) -> None:
    login = await running.http.post(running.url("/login"), allow_redirects=False, data={
        "username": "adviseur.enschede", "password": "demo-enschede"})
    responses = [
        login,
        await running.http.get(running.url("/console"), allow_redirects=False),
        await running.http.get(running.url(QUEUE_API)),
        await running.http.get(running.url("/api/v1/conversation")),
        await running.http.get(running.url("/nergens")),
    ]
    assert [r.status for r in responses] == [303, 303, 401, 401, 404]
    for response in responses:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.url, name)
        assert response.headers.get("Cache-Control") == "no-store"


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_idle_console_closes_its_live_connection_and_goes_to_the_login(
        running: RunningApp, browser: Any, clock: FrozenClock) -> None:
    console = await (await browser.new_context()).new_page()
    await console.goto(running.url("/console"))
    await console.fill("input[name=username]", "adviseur.enschede")
    await console.fill("input[name=password]", "demo-enschede")
    await console.click("button[type=submit]")
    await console.wait_for_url("**/console")
    await console.locator("#live", has_text="live").wait_for(timeout=15_000)
    clock.advance(minutes=31)
    running.app[NOTIFIER].publish(QUEUE)   # the live connection re-checks the session
    await console.wait_for_url("**/login?next=/console", timeout=15_000)
