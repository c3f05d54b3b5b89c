"""On call through the web: a coordinator puts an adviser on call, a crisis comes in, and the
adviser's console lists the call until they mark it seen."""

from __future__ import annotations

import asyncio

from adviceline.web.keys import DISPATCHER
from tests.conftest import RunningApp
from tests.web.chat_client import ParentSocket, open_conversation
from tests.web.test_end_to_end import _csrf

CRISIS_TEXT = "mijn man slaat mij en de kinderen, ik ben bang"


async def test_the_on_call_adviser_sees_the_call_in_the_console(running: RunningApp) -> None:
    dirk = await running.login("coordinator", "demo-coordinator")
    anouk = await running.login("adviseur.enschede", "demo-enschede")
    bram = await running.login("adviseur.hengelo", "demo-hengelo")
    try:
        added = await dirk.post(
            running.url("/coordinator/api/rota/shifts"),
            json={"adviser": "adviseur.enschede", "where": "enschede", "role": "on_call",
                  "days": ["tue"], "hours": ["00:00-23:59"]},
            headers={"X-CSRF-Token": await _csrf(dirk, running.url("/coordinator/rota"))})
        assert added.status == 201, await added.text()
        assert (await (await anouk.get(running.url("/console/api/on-call"))).json()) == \
            {"notices": []}
        assert "Je bent opgeroepen" in await (await anouk.get(running.url("/console"))).text()

        token = await open_conversation(running.http, running.url(""))
        parent = await ParentSocket.connect(running.http,
                                            running.ws_url("/api/v1/conversation/ws"), token)
        await parent.ask(CRISIS_TEXT)
        notices: list[dict[str, object]] = []
        async with asyncio.timeout(10):
            while not notices:
                await running.app[DISPATCHER].tick()
                notices = (await (await anouk.get(running.url("/console/api/on-call")))
                           .json())["notices"]
        [notice] = notices
        assert (notice["reason"], notice["crisis"], notice["municipality"]) == \
            ("crisis", True, "enschede")
        # A crisis calls the coordinators at once too: Dirk (the whole region) sees the call
        # on his page and in its JSON, without any content.
        [call] = (await (await dirk.get(running.url("/coordinator/api/on-call"))).json())[
            "notices"]
        assert (call["reason"], call["question_id"]) == ("crisis", notice["question_id"])
        page = await (await dirk.get(running.url("/coordinator"))).text()
        assert "Je bent opgeroepen" in page and "CRISIS · Enschede" in page
        assert "slaat" not in page
        # Only the adviser on call was called, and only they can mark it seen.
        assert (await (await bram.get(running.url("/console/api/on-call"))).json()) == \
            {"notices": []}
        seen = running.url(f"/console/api/on-call/{notice['id']}/seen")
        assert (await anouk.post(seen)).status == 403   # no CSRF token
        other = await bram.post(seen, headers={"X-CSRF-Token": await _csrf(
            bram, running.url("/console"))})
        assert other.status == 404
        csrf = await _csrf(anouk, running.url("/console"))
        assert (await anouk.post(seen, headers={"X-CSRF-Token": csrf})).status == 200
        assert (await (await anouk.get(running.url("/console/api/on-call"))).json()) == \
            {"notices": []}
    finally:
        for session in (dirk, anouk, bram):
            await session.close()
