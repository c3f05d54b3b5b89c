"""The parent JSON API v1: tokens, errors, limits and the OpenAPI document."""

from __future__ import annotations

import pytest

from bots.webchat.openapi import OPENAPI
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


async def test_fields_the_schema_does_not_name_are_refused(running: RunningApp) -> None:
    # The OpenAPI document says additionalProperties: false for this body; the code agrees.
    schema = OPENAPI["paths"]["/api/v1/conversations"]["post"]["requestBody"]
    assert schema["content"]["application/json"]["schema"]["additionalProperties"] is False
    response = await running.http.post(running.url("/api/v1/conversations"),
                                       json={"municipality": "Enschede", "postcode": "7511"})
    assert response.status == 400
    assert "postcode" in (await response.json())["error"]["message"]
    opened = await running.http.post(running.url("/api/v1/conversations"),
                                     json={"municipality": "Enschede", "language": "en"})
    assert opened.status == 201


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


async def test_websocket_confirms_each_action_by_client_id_and_answers_pings(
        running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    client = await ParentSocket.connect(running.http, running.ws_url("/api/v1/conversation/ws"),
                                        token)
    await client.socket.send_json({"type": "ping"})
    assert (await client.next_frame())["type"] == "pong"
    seq = await client.ask("Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?")
    await client.wait_for(lambda c: c.first_after(seq, "queued") or c.first_after(seq,
                                                                                  "suggestions"))
    for attempt in range(2):   # a resend after a lost ack is confirmed again, queued once
        await client.socket.send_json({"type": "adviser", "client_id": "click-1"})
        ack = await client.wait_for(lambda c: c.acks.pop("click-1", None))
        assert ack["action"] == "adviser", attempt
    await client.socket.send_json({"type": "feedback", "seq": "x", "client_id": "click-2"})
    error = await client.wait_for(lambda c: c.errors and c.errors[-1])
    assert (error["code"], error["client_id"]) == ("bad_request", "click-2")
    queued = [m for m in client.after(seq) if m["kind"] == "queued"]
    assert len(queued) == 1
    await client.close()


async def test_patch_language_makes_every_later_reply_follow_it(running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    url = running.url("/api/v1/conversation")
    for body, status in (({"language": "de"}, 422), ({"language": "en", "x": 1}, 400),
                         ({"language": 5}, 400)):
        response = await running.http.patch(url, json=body, headers=bearer(token))
        assert response.status == status, body
    response = await running.http.patch(url, json={"language": "en"}, headers=bearer(token))
    assert (response.status, (await response.json())["language"]) == (200, "en")
    client = await ParentSocket.connect(running.http, running.ws_url("/api/v1/conversation/ws"),
                                        token)
    seq = await client.ask("Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?")
    reply = await client.wait_for(lambda c: c.first_after(seq, "queued")
                                  or c.first_after(seq, "suggestions"))
    assert not reply["text"].startswith(("Dank je", "Ik weet niet")), reply["text"]
    await client.socket.send_json({"type": "language", "language": "nl", "client_id": "l-1"})
    assert (await client.wait_for(lambda c: c.acks.get("l-1")))["action"] == "language"
    state = await (await running.http.get(url, headers=bearer(token))).json()
    assert state["language"] == "nl"
    await client.close()


async def test_municipalities_tell_the_region_desk_hours_and_answer_time(
        running: RunningApp) -> None:
    body = await (await running.http.get(running.url("/api/v1/municipalities"))).json()
    assert body["region"] == "Twente" and body["answer_within_minutes"] == 60
    assert body["regional_desk_hours"]["nl"].startswith("ma-")
    hengelo = next(m for m in body["municipalities"] if m["id"] == "hengelo")
    assert hengelo["desk_hours"]["en"].startswith("Mon-")


async def test_a_postcode_elsewhere_in_the_country_names_its_municipality(
        running: RunningApp) -> None:
    response = await running.http.post(running.url("/api/v1/conversations"),
                                       json={"municipality": "1011"})
    error = (await response.json())["error"]
    assert (response.status, error["code"]) == (422, "outside_region")
    assert "Amsterdam" in error["message"] and "CJG" in error["message"]


async def test_a_resume_code_gives_another_device_its_own_token_until_a_new_code(
        running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    make = running.url("/api/v1/conversation/resume-code")
    first = (await (await running.http.post(make, headers=bearer(token))).json())["code"]
    resume = running.url("/api/v1/conversations/resume")
    opened = await running.http.post(resume, json={"code": f" {first.lower()} "})
    assert opened.status == 200
    device = (await opened.json())["token"]
    assert device != token
    for key in (token, device):   # both devices reach the conversation
        state = await running.http.get(running.url("/api/v1/conversation"), headers=bearer(key))
        assert state.status == 200
    second = (await (await running.http.post(make, headers=bearer(device))).json())["code"]
    assert second != first
    refused = await running.http.post(resume, json={"code": first})
    assert (refused.status, (await refused.json())["error"]["code"]) == (404, "unknown_code")
    assert (await running.http.post(resume, json={"code": second})).status == 200
