"""Coordinators see their own municipalities only; a regional coordinator sees the region and
alone may reload the knowledge base."""

from __future__ import annotations

import aiohttp

from tests.conftest import RunningApp
from tests.web.chat_client import ParentSocket, open_conversation

QUESTION = "Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?"
NOT_YOURS = "Onbekende gemeente"


async def ask_in(running: RunningApp, municipality: str) -> None:
    token = await open_conversation(running.http, running.url(""), municipality)
    socket = await ParentSocket.connect(running.http,
                                        running.ws_url("/api/v1/conversation/ws"), token)
    seq = await socket.ask(QUESTION)
    # Handled (the question and its events are stored) once a reply follows.
    await socket.wait_for(lambda c: any(m["sender"] != "parent" for m in c.after(seq)))
    await socket.close()


async def csrf_of(session: aiohttp.ClientSession, running: RunningApp) -> str:
    html = await (await session.get(running.url("/coordinator"))).text()
    return html.split('name="csrf-token" content="')[1].split('"')[0]


async def test_a_municipal_coordinator_sees_only_their_municipalities(
        running: RunningApp) -> None:
    for municipality in ("enschede", "hengelo", "borne"):
        await ask_in(running, municipality)
    esther = await running.login("coordinator.hengelo", "demo-coordinator-hengelo")
    dirk = await running.login("coordinator", "demo-coordinator")
    try:
        mine = await (await esther.get(running.url("/coordinator/api/stats"))).json()
        assert mine["received"] == 2
        borne = await (await esther.get(
            running.url("/coordinator/api/stats?municipality=borne"))).json()
        assert borne["received"] == 1
        # Another municipality answers exactly as one that does not exist.
        other = await esther.get(running.url("/coordinator/api/stats?municipality=enschede"))
        unknown = await esther.get(running.url("/coordinator/api/stats?municipality=atlantis"))
        assert other.status == unknown.status == 422
        assert NOT_YOURS in (await other.json())["error"]["message"]
        for path in ("/coordinator/api/decisions", "/coordinator/decisions", "/coordinator"):
            response = await esther.get(running.url(f"{path}?municipality=enschede"))
            assert response.status == 422
        decisions = await (await esther.get(running.url("/coordinator/api/decisions"))).json()
        assert {d["municipality"] for d in decisions["decisions"]} == {"hengelo", "borne"}
        page = await (await esther.get(running.url("/coordinator"))).text()
        assert "Borne en Hengelo" in page and "Enschede" not in page
        assert 'id="reload-kb"' not in page

        region = await (await dirk.get(running.url("/coordinator/api/stats"))).json()
        assert region["received"] == 3
        everything = await (await dirk.get(running.url("/coordinator/api/decisions"))).json()
        assert {d["municipality"] for d in everything["decisions"]} == \
            {"enschede", "hengelo", "borne"}
    finally:
        await esther.close()
        await dirk.close()


async def test_only_a_regional_coordinator_reloads_the_knowledge_base(
        running: RunningApp) -> None:
    esther = await running.login("coordinator.hengelo", "demo-coordinator-hengelo")
    dirk = await running.login("coordinator", "demo-coordinator")
    try:
        refused = await esther.post(running.url("/coordinator/api/knowledge-base/reload"),
                                    headers={"X-CSRF-Token": await csrf_of(esther, running)})
        assert refused.status == 403
        reloaded = await dirk.post(running.url("/coordinator/api/knowledge-base/reload"),
                                   headers={"X-CSRF-Token": await csrf_of(dirk, running)})
        assert reloaded.status == 200
    finally:
        await esther.close()
        await dirk.close()

