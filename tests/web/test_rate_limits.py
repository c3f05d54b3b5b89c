"""Rate limits per client address: a clear 429 (Dutch and English, Retry-After), nothing stored
from a refused request, other addresses unaffected, and the limit refills as the clock moves."""

from __future__ import annotations

from dataclasses import replace

import aiohttp
import pytest
from sqlalchemy import func, select

from adviceline.config import Config, RateLimitSettings
from adviceline.storage.models import Conversation, Message
from adviceline.web.keys import SESSIONS
from tests.conftest import RunningApp
from tests.web.chat_client import ParentSocket, open_conversation

ROUTED = "Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url   # the limits live in the process, the same on either database


@pytest.fixture
def config(config: Config) -> Config:
    return replace(config, trust_forwarded_for=True, rate_limits=RateLimitSettings(
        conversations_per_minute=3, messages_per_minute=4, websockets_per_minute=2,
        logins_per_minute=3))


def source(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def count(running: RunningApp, model: type) -> int:
    async with running.app[SESSIONS]() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def assert_clear_429(response: aiohttp.ClientResponse, body: str) -> None:
    assert response.status == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "Probeer het over" in body and "please try again" in body
    assert "112" in body   # a parent in danger is never left without the number


async def test_new_conversations_from_one_address_get_a_clear_429(
        running: RunningApp, clock) -> None:
    url = running.url("/api/v1/conversations")
    statuses = [(await running.http.post(url, json={"municipality": "enschede"},
                                         headers=source("203.0.113.9"))).status
                for _ in range(3)]
    assert statuses == [201] * 3
    refused = await running.http.post(url, json={"municipality": "enschede"},
                                      headers=source("203.0.113.9"))
    assert_clear_429(refused, await refused.text())
    assert (await refused.json())["error"]["code"] == "rate_limited"
    assert await count(running, Conversation) == 3   # nothing stored from the refused one
    # Another address is not held back, and the limit refills with time (3 a minute).
    other = await running.http.post(url, json={"municipality": "enschede"},
                                    headers=source("198.51.100.2"))
    assert other.status == 201
    clock.advance(seconds=20)
    again = await running.http.post(url, json={"municipality": "enschede"},
                                    headers=source("203.0.113.9"))
    assert again.status == 201
    # Resume codes are tried against the same limit, so they cannot be guessed in bulk.
    guess = await running.http.post(running.url("/api/v1/conversations/resume"),
                                    json={"code": "AAAA-BBBB-CCCC"},
                                    headers=source("203.0.113.9"))
    assert guess.status == 429


async def test_messages_over_http_and_websocket_share_one_limit(running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    headers = {"Authorization": f"Bearer {token}", **source("203.0.113.9")}
    url = running.url("/api/v1/conversation/messages")
    for i in range(2):
        posted = await running.http.post(url, json={"text": f"{ROUTED} {i}"}, headers=headers)
        assert posted.status == 201
    async with aiohttp.ClientSession(headers=source("203.0.113.9")) as http:
        parent = await ParentSocket.connect(http, running.ws_url("/api/v1/conversation/ws"),
                                            token)
        await parent.ask("Nog een vraag over de toeslag", "m-3")
        await parent.ask("En nog een", "m-4")
        await parent.socket.send_json({"type": "message", "client_id": "m-5", "text": "te veel"})
        refused = await parent.wait_for(lambda c: c.errors and c.errors[-1])
        # No client id: the page keeps the message and sends it again after retry_after.
        assert refused["code"] == "rate_limited" and refused["client_id"] is None
        assert refused["retry_after"] >= 1 and "Probeer het over" in refused["message"]
        assert "m-5" not in parent.acks
        await parent.close()
    over = await running.http.post(url, json={"text": "nog eentje"}, headers=headers)
    assert_clear_429(over, await over.text())
    async with running.app[SESSIONS]() as session:
        bodies = set(await session.scalars(select(Message.body).where(
            Message.sender == "parent")))
    assert "te veel" not in bodies and "nog eentje" not in bodies and len(bodies) == 4


async def test_websockets_from_one_address_get_a_429_before_the_upgrade(
        running: RunningApp) -> None:
    url = running.ws_url("/api/v1/conversation/ws")
    opened = [await running.http.ws_connect(url, headers=source("203.0.113.9"))
              for _ in range(2)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await running.http.ws_connect(url, headers=source("203.0.113.9"))
    assert refused.value.status == 429
    assert refused.value.headers is not None and "Retry-After" in refused.value.headers
    elsewhere = await running.http.ws_connect(url, headers=source("198.51.100.2"))
    for socket in [*opened, elsewhere]:
        await socket.close()


async def test_logins_from_one_address_get_a_429_even_with_the_right_password(
        running: RunningApp) -> None:
    async def log_in(password: str, address: str) -> aiohttp.ClientResponse:
        return await running.http.post(running.url("/login"), allow_redirects=False,
                                       data={"username": "adviseur.enschede",
                                             "password": password}, headers=source(address))

    assert [(await log_in("fout", "203.0.113.9")).status for _ in range(3)] == [401] * 3
    refused = await log_in("demo-enschede", "203.0.113.9")
    assert_clear_429(refused, await refused.text())
    assert (await log_in("demo-enschede", "198.51.100.2")).status == 303


async def test_conversations_remember_only_a_keyed_hash_of_their_address(
        running: RunningApp) -> None:
    for address in ("203.0.113.9", "203.0.113.9", "198.51.100.2"):
        created = await running.http.post(running.url("/api/v1/conversations"),
                                          json={"municipality": "enschede"},
                                          headers=source(address))
        assert created.status == 201
    async with running.app[SESSIONS]() as session:
        hashes = list(await session.scalars(
            select(Conversation.source_hash).order_by(Conversation.created_at)))
    assert len(set(hashes)) == 2 and None not in hashes
    assert not any("203.0.113" in value or "198.51" in value for value in hashes if value)


async def test_the_api_description_names_the_429_where_a_limit_applies(
        running: RunningApp) -> None:
    document = await (await running.http.get(running.url("/api/openapi.json"))).json()
    limited = [("/api/v1/conversations", "post"), ("/api/v1/conversations/resume", "post"),
               ("/api/v1/conversation/messages", "post"), ("/api/v1/conversation/feedback", "post"),
               ("/api/v1/conversation/choice", "post"), ("/api/v1/conversation/adviser", "post"),
               ("/api/v1/conversation/ws", "get")]
    for path, method in limited:
        assert document["paths"][path][method]["responses"]["429"] == \
            {"$ref": "#/components/responses/RateLimited"}, path
    assert "Retry-After" in document["components"]["responses"]["RateLimited"]["headers"]
