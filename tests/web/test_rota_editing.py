"""Coordinators edit the rota in the browser and through the JSON API; changes are audit-logged
and the dispatcher works from the rota as changed."""

from __future__ import annotations

import asyncio

import aiohttp

from adviceline.domain import Inbound
from adviceline.users import add_user, disable_user
from adviceline.web.keys import DISPATCHER, PIPELINE, ROTA, SESSIONS
from tests.conftest import RunningApp
from tests.web.test_end_to_end import UNANSWERABLE, _csrf

SHIFT = {"adviser": "adviseur.hengelo", "where": "hengelo", "role": "on_duty",
         "days": ["tue"], "hours": ["09:00-12:00"]}


async def csrf_of(session: aiohttp.ClientSession, running: RunningApp) -> str:
    html = await (await session.get(running.url("/coordinator/rota"))).text()
    return html.split('name="csrf-token" content="')[1].split('"')[0]


async def post(session: aiohttp.ClientSession, running: RunningApp, path: str,
               body: object) -> aiohttp.ClientResponse:
    return await session.post(running.url(path), json=body,
                              headers={"X-CSRF-Token": await csrf_of(session, running)})


async def test_a_coordinator_adds_and_removes_rota_lines_and_each_is_logged(
        running: RunningApp) -> None:
    esther = await running.login("coordinator.hengelo", "demo-coordinator-hengelo")
    try:
        added = await post(esther, running, "/coordinator/api/rota/shifts", SHIFT)
        assert added.status == 201, await added.text()
        shift = await added.json()
        sick = await post(esther, running, "/coordinator/api/rota/absences",
                          {"adviser": "adviseur.hengelo", "from": "2026-11-26",
                           "to": "2026-11-27", "reason": "sickness"})
        assert sick.status == 201
        week = await (await esther.get(running.url("/coordinator/api/rota?week=2026-11-25"))).json()
        assert week["week"] == "2026-11-23"
        assert [(d["adviser"], d["where"], d["start"][:16]) for d in week["duties"]] == \
            [("adviseur.hengelo", "hengelo", "2026-11-24T09:00")]
        assert {e["kind"] for e in week["entries"]} == {"shift", "absence"}
        assert [r["action"] for r in week["log"]] == ["rota_add_absence", "rota_add_shift"]
        assert week["log"][0]["by"].startswith("Esther")

        rota = await running.app[ROTA].current()
        from datetime import datetime
        from zoneinfo import ZoneInfo
        tuesday = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
        assert rota.advisers(tuesday, "hengelo") == ["adviseur.hengelo"]
        # The rota now covers Hengelo: outside the shift nobody is on duty there.
        staffing = await running.app[ROTA].staffing()
        assert staffing.on_duty(tuesday.replace(hour=13), "hengelo") == []

        page = await (await esther.get(running.url("/coordinator/rota?week=2026-11-24"))).text()
        assert "Bram (Hengelo, Borne) 09:00-12:00" in page and "ziek 2026-11-26" in page

        removed = await esther.delete(
            running.url(f"/coordinator/api/rota/entries/{shift['id']}"),
            headers={"X-CSRF-Token": await csrf_of(esther, running)})
        assert removed.status == 200
        again = await esther.delete(
            running.url(f"/coordinator/api/rota/entries/{shift['id']}"),
            headers={"X-CSRF-Token": await csrf_of(esther, running)})
        assert again.status == 404
        week = await (await esther.get(running.url("/coordinator/api/rota?week=2026-11-25"))).json()
        assert week["duties"] == []
        assert week["log"][0]["action"] == "rota_remove_shift"
    finally:
        await esther.close()


async def test_rota_changes_are_checked_and_limited_to_the_coordinators_desks(
        running: RunningApp) -> None:
    esther = await running.login("coordinator.hengelo", "demo-coordinator-hengelo")
    dirk = await running.login("coordinator", "demo-coordinator")
    adviser = await running.login("adviseur.hengelo", "demo-hengelo")
    try:
        for body, path in (
                ({**SHIFT, "where": "enschede", "adviser": "adviseur.enschede"}, "shifts"),
                ({**SHIFT, "where": "regional_pool"}, "shifts"),
                ({**SHIFT, "days": ["maandag"]}, "shifts"),
                ({**SHIFT, "hours": ["17:00-09:00"]}, "shifts"),
                ({**SHIFT, "adviser": "nobody"}, "shifts"),
                ({"adviser": "adviseur.hengelo", "from": "2026-11-27", "to": "2026-11-26"},
                 "absences"),
                ({"adviser": "adviseur.hengelo", "from": "morgen", "to": "2026-11-26"},
                 "absences"),
                ({"date": "2026-11-24", "adviser": "adviseur.hengelo"}, "swaps")):
            response = await post(esther, running, f"/coordinator/api/rota/{path}", body)
            assert response.status == 422, (body, await response.text())
        pool = await post(dirk, running, "/coordinator/api/rota/shifts",
                          {**SHIFT, "where": "regional_pool", "adviser": "adviseur.regio"})
        assert pool.status == 201
        # Esther does not see the regional coordinator's pool line among what she may remove.
        week = await (await esther.get(running.url("/coordinator/api/rota"))).json()
        assert week["entries"] == []
        forbidden = await adviser.get(running.url("/coordinator/api/rota"))
        assert forbidden.status == 403
        no_csrf = await esther.post(running.url("/coordinator/api/rota/shifts"), json=SHIFT)
        assert no_csrf.status == 403
    finally:
        for session in (esther, dirk, adviser):
            await session.close()


async def test_an_adviser_added_with_the_cli_goes_on_the_rota_and_gets_offers(
        running: RunningApp) -> None:
    await add_user(running.app[SESSIONS], username="adviseur.nieuw", display_name="Noor (nieuw)",
                   role="adviser", municipalities=["hengelo"], regional_pool=False,
                   password="noor-heeft-een-lang-wachtwoord")
    esther = await running.login("coordinator.hengelo", "demo-coordinator-hengelo")
    noor = await running.login("adviseur.nieuw", "noor-heeft-een-lang-wachtwoord")
    try:
        added = await post(esther, running, "/coordinator/api/rota/shifts",
                           {**SHIFT, "adviser": "adviseur.nieuw"})
        assert added.status == 201, await added.text()
        sick = await post(esther, running, "/coordinator/api/rota/absences",
                          {"adviser": "adviseur.nieuw", "from": "2026-11-26",
                           "to": "2026-11-26", "reason": "sickness"})
        assert sick.status == 201, await sick.text()   # her municipality: Esther's to change
        week = await (await esther.get(running.url("/coordinator/api/rota?week=2026-11-24"))).json()
        assert {"username": "adviseur.nieuw", "name": "Noor (nieuw)"} in week["advisers"]
        assert [d["adviser"] for d in week["duties"]] == ["adviseur.nieuw"]
        page = await (await esther.get(running.url("/coordinator/rota?week=2026-11-24"))).text()
        assert "Noor (nieuw) 09:00-12:00" in page
        assert '<option value="adviseur.nieuw">' in page

        # On duty for Hengelo now (Tuesday 10:00): the dispatcher offers her Hengelo's question.
        csrf = await _csrf(noor, running.url("/console"))
        response = await noor.post(running.url("/console/api/presence"),
                                   json={"status": "available"}, headers={"X-CSRF-Token": csrf})
        assert response.status == 200
        pipeline = running.app[PIPELINE]
        conversation = await pipeline.open_conversation("web", "hengelo", "nl")
        await pipeline.receive(Inbound(conversation.conversation_id, UNANSWERABLE, None))
        offered: list[dict[str, object]] = []
        async with asyncio.timeout(10):
            while not offered:
                await running.app[DISPATCHER].tick()
                queue = (await (await noor.get(running.url("/console/api/queue"))).json())
                offered = [q for q in queue["questions"] if q["offered_to_me"]]
        assert offered[0]["municipality"] == "hengelo"

        # Disabled later: off the list of advisers, but Esther still sees and removes her lines.
        await disable_user(running.app[SESSIONS], "adviseur.nieuw")
        week = await (await esther.get(running.url("/coordinator/api/rota?week=2026-11-24"))).json()
        assert all(a["username"] != "adviseur.nieuw" for a in week["advisers"])
        absence = next(e for e in week["entries"] if e["kind"] == "absence")
        removed = await esther.delete(
            running.url(f"/coordinator/api/rota/entries/{absence['id']}"),
            headers={"X-CSRF-Token": await csrf_of(esther, running)})
        assert removed.status == 200, await removed.text()
    finally:
        await esther.close()
        await noor.close()
