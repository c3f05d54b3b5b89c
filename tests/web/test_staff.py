"""Staff login, sessions, CSRF and roles."""

from __future__ import annotations

import pytest

from adviceline.passwords import hash_password, verify_password
from tests.conftest import RunningApp


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def test_passwords_are_argon2id() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "wrong")
    assert not verify_password(None, "anything")


async def test_wrong_password_is_refused(running: RunningApp) -> None:
    response = await running.http.post(running.url("/login"), allow_redirects=False,
                                       data={"username": "adviseur.enschede", "password": "x"})
    assert response.status == 401
    assert "verkeerd wachtwoord" in await response.text()


async def test_session_cookie_is_httponly_and_strict(running: RunningApp) -> None:
    response = await running.http.post(running.url("/login"), allow_redirects=False, data={
        "username": "adviseur.enschede", "password": "demo-enschede"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert response.headers["Location"] == "/console"


async def test_state_changes_need_the_csrf_token(running: RunningApp) -> None:
    adviser = await running.login("adviseur.enschede", "demo-enschede")
    try:
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            response = await adviser.post(running.url("/console/api/questions/x/claim"),
                                          headers=headers)
            assert response.status == 403
    finally:
        await adviser.close()


async def test_pages_need_the_right_role(running: RunningApp) -> None:
    anonymous = await running.http.get(running.url("/console/api/queue"))
    assert anonymous.status == 401
    page = await running.http.get(running.url("/console"), allow_redirects=False)
    assert page.status == 303 and page.headers["Location"].startswith("/login")
    adviser = await running.login("adviseur.enschede", "demo-enschede")
    try:
        assert (await adviser.get(running.url("/coordinator/api/stats"))).status == 403
    finally:
        await adviser.close()


async def test_logout_ends_the_session(running: RunningApp) -> None:
    adviser = await running.login("adviseur.enschede", "demo-enschede")
    try:
        html = await (await adviser.get(running.url("/console"))).text()
        csrf = html.split('name="csrf-token" content="')[1].split('"')[0]
        await adviser.post(running.url("/logout"), data={"csrf_token": csrf},
                           allow_redirects=False)
        assert (await adviser.get(running.url("/console/api/queue"))).status == 401
    finally:
        await adviser.close()


async def test_health_and_readiness(running: RunningApp) -> None:
    assert (await running.http.get(running.url("/healthz"))).status == 200
    ready = await running.http.get(running.url("/readyz"))
    assert ready.status == 200 and (await ready.json())["status"] == "ready"
    assert ready.headers["X-Content-Type-Options"] == "nosniff"


async def test_coordinator_reloads_the_knowledge_base(running: RunningApp) -> None:
    coordinator = await running.login("coordinator", "demo-coordinator")
    try:
        html = await (await coordinator.get(running.url("/coordinator"))).text()
        csrf = html.split('name="csrf-token" content="')[1].split('"')[0]
        response = await coordinator.post(
            running.url("/coordinator/api/knowledge-base/reload"), headers={"X-CSRF-Token": csrf})
        assert response.status == 200
        assert (await response.json())["entries"] >= 1
    finally:
        await coordinator.close()




async def test_repeated_wrong_passwords_lock_the_username_for_a_while(
        running: RunningApp, clock) -> None:
    async def attempt(password: str) -> int:
        response = await running.http.post(running.url("/login"), allow_redirects=False, data={
            "username": "adviseur.hengelo", "password": password})
        return response.status

    assert [await attempt("guess") for _ in range(5)] == [401] * 5
    # Locked: even the right password is refused until the lockout has passed.
    assert await attempt("demo-hengelo") == 429
    clock.advance(minutes=16)
    assert await attempt("demo-hengelo") == 303
    # A success starts the count afresh.
    assert await attempt("guess") == 401
    assert await attempt("demo-hengelo") == 303
