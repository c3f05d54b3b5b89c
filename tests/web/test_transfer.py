"""Transfer with a note through the console's JSON: the holder hands a question on, the note
reaches the receiver's console, and the parent's chat never shows it."""

from __future__ import annotations

from tests.conftest import RunningApp
from tests.web.chat_client import ParentSocket, open_conversation
from tests.web.test_end_to_end import UNANSWERABLE, _csrf

NOTE = "Vader belt liever; nummer staat in het eerste bericht. Graag vandaag nog."


async def test_transfer_through_the_console(running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    parent = await ParentSocket.connect(running.http, running.ws_url("/api/v1/conversation/ws"),
                                        token)
    seq = await parent.ask(UNANSWERABLE)
    await parent.wait_for(lambda c: c.first_after(seq, "queued"))
    anouk = await running.login("adviseur.enschede", "demo-enschede")
    carin = await running.login("adviseur.regio", "demo-regio")
    try:
        csrf = await _csrf(anouk, running.url("/console"))
        queue = (await (await anouk.get(running.url("/console/api/queue"))).json())["questions"]
        question_id = next(q["id"] for q in queue if UNANSWERABLE[:40] in q["preview"])
        transfer = running.url(f"/console/api/questions/{question_id}/transfer")
        body = {"to_adviser": "adviseur.regio", "note": NOTE}
        # Not held yet: only the holder hands a question on.
        refused = await anouk.post(transfer, json=body, headers={"X-CSRF-Token": csrf})
        assert refused.status == 409
        claimed = await anouk.post(running.url(f"/console/api/questions/{question_id}/claim"),
                                   headers={"X-CSRF-Token": csrf})
        assert claimed.status == 200
        assert (await anouk.post(transfer, json=body)).status == 403   # no CSRF token
        for bad in ({"note": NOTE}, {"to_desk": 7, "note": NOTE}, {"to_adviser": "x"}):
            response = await anouk.post(transfer, json=bad, headers={"X-CSRF-Token": csrf})
            assert response.status in (400, 422), bad
        done = await anouk.post(transfer, json=body, headers={"X-CSRF-Token": csrf})
        assert done.status == 200, await done.text()
        assert await done.json() == {"status": "claimed"}

        view = await (await carin.get(
            running.url(f"/console/api/questions/{question_id}"))).json()
        assert view["question"]["claimed_by_name"] == "Carin (regionale pool)"
        assert [n["note"] for n in view["notes"]] == [NOTE]
        told = await parent.wait_for(
            lambda c: next((m for m in c.after(seq) if m["kind"] == "claimed"
                            and m["text"].startswith("Carin")), None))
        assert NOTE not in told["text"]
        assert all(NOTE not in m["text"] for m in parent.after(0))
    finally:
        await anouk.close()
        await carin.close()
