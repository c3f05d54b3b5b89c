"""Hostile and malformed input, on SQLite and PostgreSQL: a clear 4xx or error frame, never a
500, never a dead socket, never a conversation stuck behind a message that cannot be stored."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
import sqlalchemy

from adviceline.web.keys import SESSIONS
from tests.conftest import RunningApp
from tests.web.chat_client import ParentSocket, open_conversation
from tests.web.test_end_to_end import UNANSWERABLE, _csrf

UNSTORABLE = ("hallo\x00daar", "hallo \ud800 daar")
DEEP = "[" * 20_000 + "]" * 20_000


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def raw_status(running: RunningApp, request: bytes) -> int:
    """Send bytes as they are (aiohttp's client would not send invalid UTF-8 in a header)."""
    reader, writer = await asyncio.open_connection(running.server.host, running.server.port)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    return int(status_line.split()[1])


async def parent_messages(running: RunningApp, token: str) -> list[dict[str, Any]]:
    response = await running.http.get(running.url("/api/v1/conversation/messages"),
                                      headers=bearer(token))
    assert response.status == 200
    return [m for m in (await response.json())["messages"] if m["sender"] == "parent"]


async def test_text_the_database_cannot_hold_is_refused_and_later_messages_go_through(
        running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    for text in UNSTORABLE:
        # json.dumps writes the lone surrogate as the escape \ud800, as a browser would.
        response = await running.http.post(running.url("/api/v1/conversation/messages"),
                                           json={"text": text, "client_id": "bad"},
                                           headers=bearer(token))
        assert response.status == 422, await response.text()
        assert (await response.json())["error"]["code"] == "invalid"

    parent = await ParentSocket.connect(running.http, running.ws_url("/api/v1/conversation/ws"),
                                        token)
    for number, text in enumerate(UNSTORABLE):
        await parent.socket.send_json({"type": "message", "client_id": f"bad-{number}",
                                       "text": text})
        error = await parent.wait_for(lambda c, n=number: next(
            (e for e in c.errors if e["client_id"] == f"bad-{n}"), None))
        assert error["code"] == "invalid"   # with its client id: the page stops resending it
    seq = await parent.ask("Mijn zoon van vier slaat andere kinderen, wat kan ik doen?")
    await parent.close()
    assert [m["seq"] for m in await parent_messages(running, token)] == [seq]


async def test_deep_json_huge_numbers_and_odd_bytes_get_a_4xx(running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    response = await running.http.post(running.url("/api/v1/conversations"), data=DEEP,
                                       headers={"Content-Type": "application/json"})
    assert response.status == 400
    response = await running.http.get(
        running.url(f"/api/v1/conversation/messages?after={10**20}"), headers=bearer(token))
    assert response.status == 400
    response = await running.http.post(running.url("/api/v1/conversation/feedback"),
                                       json={"seq": 10**30, "helpful": True},
                                       headers=bearer(token))
    assert response.status == 400
    host = f"Host: {running.server.host}:{running.server.port}\r\n".encode()
    status = await raw_status(running, b"GET /api/v1/conversation HTTP/1.1\r\n" + host +
                              b"Authorization: Bearer \xff\xfe\xc3(\r\nConnection: close\r\n\r\n")
    assert status == 401
    # A staff cookie that is not UTF-8 is no session: the console sends one to the login page.
    status = await raw_status(running, b"GET /console HTTP/1.1\r\n" + host +
                              b"Cookie: adviceline_session=\xff\xfe\r\nConnection: close\r\n\r\n")
    assert status == 303


async def test_malformed_websocket_frames_get_error_frames_on_a_living_socket(
        running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    url = running.ws_url("/api/v1/conversation/ws")
    parent = await ParentSocket.connect(running.http, url, token)
    await parent.socket.send_str("[" * 15_000 + "]" * 15_000)   # under the 32 KiB frame limit
    await parent.wait_for(lambda c: c.errors)
    assert parent.errors[-1]["code"] == "bad_request"
    await parent.socket.send_json({"type": "feedback", "seq": 10**30, "helpful": True,
                                   "client_id": "f1"})
    error = await parent.wait_for(lambda c: next(
        (e for e in c.errors if e["client_id"] == "f1"), None))
    assert error["code"] in ("bad_request", "invalid")
    await parent.ask("Hoe leer ik mijn kind zelf aankleden?")   # the socket still works
    await parent.close()

    for hello in ({"type": "hello", "token": token, "last_seq": 10**30},
                  {"type": "hello", "token": "\ud800" * 43, "last_seq": 0}):
        socket = await running.http.ws_connect(url)
        await socket.send_json(hello)
        frame = await socket.receive_json(timeout=10)
        assert frame["type"] == "error" and frame["code"] in ("bad_request", "unknown_token")
        closing = await socket.receive(timeout=10)
        assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data in (4400, 4401)
        await socket.close()


async def test_staff_input_that_cannot_be_stored_or_compared_gets_a_4xx(
        running: RunningApp) -> None:
    response = await running.http.post(running.url("/login"), allow_redirects=False,
                                       data={"username": "adviseur\x00", "password": "x"})
    assert response.status == 401
    adviser = await running.login("adviseur.enschede", "demo-enschede")
    try:
        csrf = await _csrf(adviser, running.url("/console"))
        response = await adviser.post(running.url("/console/api/questions/x/claim"),
                                      headers={"X-CSRF-Token": "tökén-ünïcode"})
        assert response.status == 403
        for question_id in ("%00", "%ED%A0%80", "x" * 36):
            response = await adviser.get(running.url(f"/console/api/questions/{question_id}"))
            assert response.status == 404, question_id
        token = await open_conversation(running.http, running.url(""), "enschede")
        await running.http.post(running.url("/api/v1/conversation/messages"),
                                json={"text": UNANSWERABLE}, headers=bearer(token))
        await running.http.post(running.url("/api/v1/conversation/adviser"),
                                headers=bearer(token))
        queue: list[dict[str, Any]] = []
        while not queue:   # handling runs just after the message is stored
            queue = (await (await adviser.get(running.url("/console/api/queue"))).json())[
                "questions"]
        question = running.url(f"/console/api/questions/{queue[0]['id']}")
        assert (await adviser.post(f"{question}/claim", headers={"X-CSRF-Token": csrf})
                ).status == 200
        response = await adviser.post(f"{question}/reply", json={"text": "hoi\x00"},
                                      headers={"X-CSRF-Token": csrf})
        assert response.status == 422
    finally:
        await adviser.close()


@pytest.mark.browser
async def test_the_page_marks_a_refused_message_failed_and_later_messages_flow(
        running: RunningApp, browser: Any) -> None:
    """A page whose outbox holds text the database cannot store (kept from before the fix, or
    put there by anything) shows it as not sent, stops resending it, and sends what comes next."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(running.url("/"))
    await page.select_option("#municipality", "enschede")
    await page.click("#start-form button[type=submit]")
    await page.locator("#send-form").wait_for()
    # Connected first: a page that gets "ready" after this would send the outbox itself.
    await page.locator('#status[data-t="connected"]').wait_for(state="attached", timeout=15_000)
    await page.evaluate("""(texts) => localStorage.setItem("adviceline.outbox", JSON.stringify(
        texts.map((text, n) => ({type: "message", client_id: "poison-" + n, text}))))""",
                        list(UNSTORABLE))
    await page.reload()
    for number in range(len(UNSTORABLE)):
        failed = page.locator(f'#messages li.failed[data-client="poison-{number}"]')
        await failed.wait_for(timeout=15_000)
        assert "Niet verstuurd" in await failed.inner_text()
    await page.fill("#text", "Mijn zoon van vier slaat andere kinderen, wat kan ik doen?")
    await page.click("#send-form button[type=submit]")
    await page.locator("#messages li.pending").wait_for(state="detached", timeout=15_000)
    assert await page.evaluate('() => localStorage.getItem("adviceline.outbox")') == "[]"
    token = await page.evaluate('() => localStorage.getItem("adviceline.token")')
    await context.close()
    stored = await parent_messages(running, token)
    assert [m["text"] for m in stored] == [
        "Mijn zoon van vier slaat andere kinderen, wat kan ik doen?"]


async def test_far_dates_and_unstorable_endpoints_get_a_4xx(running: RunningApp) -> None:
    coordinator = await running.login("coordinator.hengelo", "demo-coordinator-hengelo")
    try:
        for query in ("to=0001-01-01", "from=0001-01-01&to=0001-01-02",
                      "from=9999-12-30&to=9999-12-31"):
            for path in ("/coordinator/api/stats", "/coordinator/api/decisions"):
                response = await coordinator.get(running.url(f"{path}?{query}"))
                assert response.status == 422, (path, query, response.status)
    finally:
        await coordinator.close()
    token = await open_conversation(running.http, running.url(""))
    for endpoint in UNSTORABLE:
        response = await running.http.delete(
            running.url("/api/v1/conversation/push-subscription"), json={"endpoint": endpoint},
            headers=bearer(token))
        assert response.status == 200, await response.text()


async def test_an_error_after_the_upgrade_closes_the_socket_with_1011(
        running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    async with running.app[SESSIONS].begin() as session:   # a database that fails every lookup
        await session.execute(sqlalchemy.text("ALTER TABLE conversations RENAME TO gone"))
    socket = await running.http.ws_connect(running.ws_url("/api/v1/conversation/ws"))
    await socket.send_json({"type": "hello", "token": token, "last_seq": 0})
    closing = await socket.receive(timeout=10)
    assert closing.type == aiohttp.WSMsgType.CLOSE, closing
    assert closing.data == aiohttp.WSCloseCode.INTERNAL_ERROR
    await socket.close()


async def test_ids_past_any_32_bit_row_are_not_found(running: RunningApp) -> None:
    """Routes take up to ten digits; PostgreSQL's integer keys stop at 2**31-1."""
    adviser = await running.login("adviseur.enschede", "demo-enschede")
    coordinator = await running.login("coordinator", "demo-coordinator")
    try:
        csrf = await _csrf(adviser, running.url("/console"))
        for method, path in (("POST", "/console/api/deliveries/{}/retry"),
                             ("GET", "/console/api/quarantine/{}/raw"),
                             ("POST", "/console/api/quarantine/{}/dismiss"),
                             ("POST", "/console/api/set-aside/{}/retry")):
            response = await adviser.request(method, running.url(path.format(9_999_999_999)),
                                             headers={"X-CSRF-Token": csrf})
            assert response.status == 404, (path, response.status)
        csrf = await _csrf(coordinator, running.url("/coordinator"))
        response = await coordinator.delete(
            running.url("/coordinator/api/rota/entries/9999999999"),
            headers={"X-CSRF-Token": csrf})
        assert response.status == 404
    finally:
        await adviser.close()
        await coordinator.close()
