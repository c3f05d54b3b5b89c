"""The parent JSON API v1: tokens, errors, limits and the OpenAPI document."""

from __future__ import annotations

import pytest

from tests.conftest import RunningApp
from tests.web.chat_client import ParentSocket, open_conversation


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_post_and_list_messages_with_idempotent_client_ids(running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""), "7511")
    body = {"text": "Hoe vraag ik kinderopvangtoeslag aan?", "client_id": "m-1"}
    first = await running.http.post(running.url("/api/v1/conversation/messages"), json=body,
                                    headers=bearer(token))
    again = await running.http.post(running.url("/api/v1/conversation/messages"), json=body,
                                    headers=bearer(token))
    assert (first.status, again.status) == (201, 200)
    assert (await first.json())["seq"] == (await again.json())["seq"] == 1
    listed = await running.http.get(running.url("/api/v1/conversation/messages?after=0"),
                                    headers=bearer(token))
    messages = (await listed.json())["messages"]
    assert [m["seq"] for m in messages if m["sender"] == "parent"] == [1]
    state = await (await running.http.get(running.url("/api/v1/conversation"),
                                          headers=bearer(token))).json()
    assert state["municipality"] == "enschede"


async def test_the_token_is_only_accepted_in_the_authorization_header(
        running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    for headers, path in (({}, "/api/v1/conversation/messages"),
                          ({}, f"/api/v1/conversation/messages?token={token}"),
                          (bearer("not-a-token"), "/api/v1/conversation/messages")):
        response = await running.http.get(running.url(path), headers=headers)
        assert response.status == 401
        assert (await response.json())["error"]["code"] in ("token_required", "unknown_token")


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'{"text": 5}', "application/json", 400),
    (b'{"text": "   "}', "application/json", 422),
    (b'{"text": "hoi"}', "text/plain", 415),
    (b'{"text": "' + b"x" * 70_000 + b'"}', "application/json", 413),
    (b'{"text": "' + b"x" * 5_000 + b'"}', "application/json", 422),
])
async def test_bad_messages_get_a_json_error_and_store_nothing(
        running: RunningApp, body: bytes, content_type: str, status: int) -> None:
    token = await open_conversation(running.http, running.url(""))
    response = await running.http.post(
        running.url("/api/v1/conversation/messages"), data=body,
        headers={**bearer(token), "Content-Type": content_type})
    assert response.status == status
    error = (await response.json())["error"]
    assert error["message"] and error["code"]
    listed = await running.http.get(running.url("/api/v1/conversation/messages"),
                                    headers=bearer(token))
    assert (await listed.json())["messages"] == []


async def test_unknown_municipality_or_language_is_refused(running: RunningApp) -> None:
    for body in ({"municipality": "1011"}, {"municipality": "Atlantis"}, {"language": "de"}):
        response = await running.http.post(running.url("/api/v1/conversations"), json=body)
        assert response.status == 422, body
        assert (await response.json())["error"]["message"]


async def test_reconnecting_socket_resumes_without_gaps_or_duplicates(
        running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    url = running.ws_url("/api/v1/conversation/ws")
    first = await ParentSocket.connect(running.http, url, token)
    await first.ask("Hoe vraag ik kinderopvangtoeslag aan?", "q1")
    await first.wait_for(lambda c: c.first_after(0, "queued"))
    seen = max(first.messages)
    await first.close()

    # While disconnected: the parent's resend of q1 and a new message over HTTP.
    await running.http.post(running.url("/api/v1/conversation/messages"), headers=bearer(token),
                            json={"text": "Nog een vraag over de toeslag", "client_id": "q2"})
    second = await ParentSocket.connect(running.http, url, token, last_seq=seen)
    resent_seq = await second.ask("Hoe vraag ik kinderopvangtoeslag aan?", "q1")
    assert resent_seq == 1 and second.acks["q1"]["duplicate"] is True
    await second.wait_for(lambda c: c.messages and max(c.messages) >= seen + 1)
    assert min(second.messages) == seen + 1            # resumes right after the last seen
    everything = await running.http.get(running.url("/api/v1/conversation/messages"),
                                        headers=bearer(token))
    all_seqs = [m["seq"] for m in (await everything.json())["messages"]]
    assert all_seqs == list(range(1, len(all_seqs) + 1))
    await second.close()


async def test_websocket_refuses_unknown_tokens_and_foreign_origins(running: RunningApp) -> None:
    url = running.ws_url("/api/v1/conversation/ws")
    socket = await running.http.ws_connect(url)
    await socket.send_json({"type": "hello", "token": "nope", "last_seq": 0})
    frame = await socket.receive_json(timeout=5)
    assert frame["code"] == "unknown_token"
    await socket.close()
    token = await open_conversation(running.http, running.url(""))
    with pytest.raises(Exception, match="403"):
        await ParentSocket.connect(running.http, url, token, origin="https://evil.example")


async def test_openapi_document_describes_every_api_route(running: RunningApp) -> None:
    document = await (await running.http.get(running.url("/api/openapi.json"))).json()
    assert document["openapi"].startswith("3.")
    routes = {r.resource.canonical for r in running.app.router.routes()
              if r.resource is not None and r.resource.canonical.startswith("/api/v1/")}
    assert routes and routes <= set(document["paths"])
