"""Coordinators set where their staff's on-call calls are e-mailed (JSON API): checked, scoped,
audit-logged; a [[user]] of the configuration file keeps the file's address."""

from __future__ import annotations

from sqlalchemy import select

from adviceline.storage.models import AuditRecord
from adviceline.users import add_user
from adviceline.web.keys import SESSIONS
from tests.conftest import RunningApp
from tests.web.test_end_to_end import _csrf


async def test_a_coordinator_sets_and_removes_a_staff_members_email(
        running: RunningApp) -> None:
    sessions = running.app[SESSIONS]
    await add_user(sessions, username="fleur.hengelo", display_name="Fleur", role="adviser",
                   municipalities=["hengelo"], regional_pool=False,
                   password="een lang wachtwoord")
    await add_user(sessions, username="gijs.almelo", display_name="Gijs", role="adviser",
                   municipalities=["almelo"], regional_pool=False,
                   password="een lang wachtwoord")
    esther = await running.login("coordinator.hengelo", "demo-coordinator-hengelo")
    try:
        csrf = {"X-CSRF-Token": await _csrf(esther, running.url("/coordinator/rota"))}
        url = running.url("/coordinator/api/staff/fleur.hengelo/email")
        answer = await esther.put(url, json={"email": "fleur@cjg-hengelo.example"}, headers=csrf)
        assert answer.status == 200, await answer.text()
        assert (await answer.json())["email"] == "fleur@cjg-hengelo.example"
        staff = (await (await esther.get(running.url("/coordinator/api/staff"))).json())["staff"]
        by_name = {member["username"]: member for member in staff}
        assert by_name["fleur.hengelo"]["email"] == "fleur@cjg-hengelo.example"
        assert "gijs.almelo" not in by_name   # not one of Esther's municipalities

        bad = await esther.put(url, json={"email": "fleur at hengelo"}, headers=csrf)
        assert bad.status == 422 and "email" in (await bad.json())["error"]["message"]
        assert (await esther.put(url, json={"email": 42}, headers=csrf)).status == 422
        assert (await esther.put(url, json={"email": "x@y.example"})).status == 403  # no CSRF
        elsewhere = await esther.put(running.url("/coordinator/api/staff/gijs.almelo/email"),
                                     json={"email": "gijs@almelo.example"}, headers=csrf)
        nobody = await esther.put(running.url("/coordinator/api/staff/niemand/email"),
                                  json={"email": "gijs@almelo.example"}, headers=csrf)
        assert elsewhere.status == nobody.status == 404
        assert await elsewhere.json() == await nobody.json()
        configured = await esther.put(running.url("/coordinator/api/staff/adviseur.hengelo/email"),
                                      json={"email": "bram@cjg-hengelo.example"}, headers=csrf)
        assert configured.status == 409
        assert "configuratiebestand" in (await configured.json())["error"]["message"]

        removed = await esther.put(url, json={"email": ""}, headers=csrf)
        assert (await removed.json())["email"] is None
        async with sessions() as session:
            records = list(await session.scalars(select(AuditRecord).where(
                AuditRecord.action == "staff_email").order_by(AuditRecord.id)))
        assert [r.detail for r in records] == [
            {"username": "fleur.hengelo", "email": "fleur@cjg-hengelo.example"},
            {"username": "fleur.hengelo", "email": None}]
    finally:
        await esther.close()


async def test_advisers_cannot_manage_staff(running: RunningApp) -> None:
    bram = await running.login("adviseur.hengelo", "demo-hengelo")
    try:
        assert (await bram.get(running.url("/coordinator/api/staff"))).status == 403
    finally:
        await bram.close()
