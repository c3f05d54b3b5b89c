"""A crisis through the real server: the numbers at once, the head of the queue, and the
adviser's "was a crisis / was not a crisis" mark through the console API."""

from __future__ import annotations

from tests.conftest import RunningApp
from tests.web.chat_client import ParentSocket, open_conversation
from tests.web.test_end_to_end import _csrf

CRISIS = "ik wil niet meer leven, ik heb de pillen al klaarliggen"   # a must-never-miss rule


async def test_crisis_reaches_the_console_and_the_adviser_marks_it(running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    parent = await ParentSocket.connect(running.http, running.ws_url("/api/v1/conversation/ws"),
                                        token)
    seq = await parent.ask(CRISIS)
    crisis = await parent.wait_for(lambda c: c.first_after(seq, "crisis"))
    assert "113" in crisis["text"] and crisis["actions"]["level"] == "crisis"
    await parent.close()

    adviser = await running.login("adviseur.enschede", "demo-enschede")
    try:
        csrf = await _csrf(adviser, running.url("/console"))
        queue = await (await adviser.get(running.url("/console/api/queue"))).json()
        first = queue["questions"][0]
        assert first["crisis"] is True and first["crisis_category"] == "suicide_self_harm"
        url = running.url(f"/console/api/questions/{first['id']}/messages/{seq}/crisis-mark")
        response = await adviser.post(url, json={"label": "crisis",
                                                 "category": "suicide_self_harm"},
                                      headers={"X-CSRF-Token": csrf})
        assert response.status == 200, await response.text()
        for bad in ({"label": "maybe"}, {"label": "crisis", "category": "nope"}, {"label": 3}):
            response = await adviser.post(url, json=bad, headers={"X-CSRF-Token": csrf})
            assert 400 <= response.status < 500, bad
        response = await adviser.post(url, json={"label": "not_crisis"})   # no CSRF token
        assert response.status == 403
        shown = await (await adviser.get(running.url(
            f"/console/api/questions/{first['id']}"))).json()
        [message] = [m for m in shown["messages"] if m["seq"] == seq]
        assert message["crisis_mark"] == {"label": "crisis", "category": "suicide_self_harm"}
    finally:
        await adviser.close()

    # Coordinators see the marks against the detector, counted and without any text; a
    # municipality's coordinator only their own municipality's.
    region = await running.login("coordinator", "demo-coordinator")
    hengelo = await running.login("coordinator.hengelo", "demo-coordinator-hengelo")
    try:
        marks = await (await region.get(running.url("/coordinator/api/crisis-marks"))).json()
        assert marks["marks"] == [{"label": "crisis", "detected": "crisis", "count": 1}]
        assert (marks["caught"], marks["missed"], marks["false_alarms"]) == (1, 0, 0)
        page = await (await region.get(running.url("/coordinator/decisions"))).text()
        assert "Crisismarkeringen" in page and "pillen" not in page
        theirs = await (await hengelo.get(running.url("/coordinator/api/crisis-marks"))).json()
        assert theirs["marks"] == [] and theirs["caught"] == 0
        refused = await running.http.get(running.url("/coordinator/api/crisis-marks"))
        assert refused.status in (401, 403)
    finally:
        await region.close()
        await hengelo.close()
