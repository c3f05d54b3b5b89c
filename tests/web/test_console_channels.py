"""The console shows advisers what did not reach a parent on a push channel, and what came in
but could not be read; they can send again, download the raw message and mark it dealt with."""

from __future__ import annotations

from adviceline.domain import ChannelInbound
from adviceline.outbox import Delivery, Failed, Parcel
from adviceline.web.keys import PARENT_PORT, TASKS
from tests.conftest import RunningApp
from tests.web.test_end_to_end import UNANSWERABLE, _csrf


class Refusing:
    name = "email"

    async def deliver(self, parcel: Parcel) -> Delivery:
        return Failed("550 5.1.1 <ouder@example.nl>: no such user")


async def test_advisers_see_undelivered_and_quarantined_messages(running: RunningApp) -> None:
    port = running.app[PARENT_PORT]
    receipt = await port.receive_from_channel(ChannelInbound(
        channel="email", external_id="m1", address="ouder@example.nl", text=UNANSWERABLE,
        municipality="enschede", choices=False))
    await running.app[TASKS].drain()
    assert await port.delivery_worker(Refusing()).deliver_due() == 1
    raw = b"Subject: =?bogus?Q?x?=\r\nFrom: <ouder@example.nl>\r\n\r\n\xff\xfe"
    assert await port.quarantine(channel="email", raw=raw, reason="cannot be parsed",
                                 sender="ouder@example.nl", municipality="enschede")

    adviser = await running.login("adviseur.enschede", "demo-enschede")
    outsider = await running.login("adviseur.hengelo", "demo-hengelo")
    try:
        csrf = await _csrf(adviser, running.url("/console"))
        page = await (await adviser.get(running.url("/console"))).text()
        assert "Niet afgeleverd" in page and "Niet verwerkte berichten" in page

        [queued] = (await (await adviser.get(running.url("/console/api/queue"))).json())[
            "questions"]
        assert queued["undelivered"] is True and queued["channel"] == "email"
        conversation = await (await adviser.get(
            running.url(f"/console/api/questions/{queued['id']}"))).json()
        [receipt_mail] = [m for m in conversation["messages"] if m["kind"] == "queued"]
        assert receipt_mail["delivery"]["status"] == "failed"
        assert "no such user" in receipt_mail["delivery"]["reason"]

        [failed] = (await (await adviser.get(running.url("/console/api/undelivered"))).json())[
            "items"]
        assert failed["question_id"] == queued["id"]
        assert (await (await outsider.get(running.url("/console/api/undelivered"))).json())[
            "items"] == []

        [held] = (await (await adviser.get(running.url("/console/api/quarantine"))).json())[
            "items"]
        assert held["reason"] == "cannot be parsed"
        download = await adviser.get(running.url(f"/console/api/quarantine/{held['id']}/raw"))
        assert download.status == 200
        assert await download.read() == raw
        assert download.headers["Content-Type"] == "message/rfc822"
        assert download.headers["Content-Disposition"].endswith('.eml"')
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        refused = await outsider.get(running.url(f"/console/api/quarantine/{held['id']}/raw"))
        assert refused.status == 404

        # Without the CSRF token nothing changes.
        response = await adviser.post(running.url(f"/console/api/deliveries/{failed['id']}/retry"))
        assert response.status == 403
        response = await adviser.post(running.url(f"/console/api/deliveries/{failed['id']}/retry"),
                                      headers={"X-CSRF-Token": csrf})
        assert response.status == 200
        assert (await (await adviser.get(running.url("/console/api/undelivered"))).json())[
            "items"] == []
        response = await adviser.post(
            running.url(f"/console/api/quarantine/{held['id']}/dismiss"),
            headers={"X-CSRF-Token": csrf})
        assert response.status == 200
        assert (await (await adviser.get(running.url("/console/api/quarantine"))).json())[
            "items"] == []
        assert receipt.conversation_id
    finally:
        await adviser.close()
        await outsider.close()
