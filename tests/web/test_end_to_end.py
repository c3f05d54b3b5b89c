"""The whole loop on a real server: FAQ answer, adviser answer, coordinator numbers."""

from __future__ import annotations

from datetime import date

from adviceline.web.keys import FAQ
from tests.conftest import RunningApp, answerable
from tests.web.chat_client import ParentSocket, open_conversation

UNANSWERABLE = "Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?"


async def test_question_answered_by_faq_then_by_an_adviser(running: RunningApp, clock) -> None:
    faq = running.app[FAQ]
    entry = answerable(faq)[0]
    assert faq.decide(UNANSWERABLE).outcome == "route"

    token = await open_conversation(running.http, running.url(""))
    parent = await ParentSocket.connect(running.http, running.ws_url("/api/v1/conversation/ws"),
                                        token)

    # 1. An FAQ question gets the knowledge base's answer, with "did this help?".
    seq = await parent.ask(entry.question)
    answer = await parent.wait_for(lambda c: c.first_after(seq, "faq_answer"))
    assert answer["actions"]["entry"] == entry.id
    assert answer["actions"]["feedback"] is None
    assert "{{" not in answer["text"]
    await parent.socket.send_json({"type": "feedback", "seq": answer["seq"], "helpful": True})
    await parent.wait_for(lambda c: c.first_after(answer["seq"], "text"))

    # 2. A question the FAQ cannot answer waits for an adviser; the parent is told until when.
    clock.advance(minutes=1)
    seq = await parent.ask(UNANSWERABLE)
    queued = await parent.wait_for(lambda c: c.first_after(seq, "queued"))
    assert "Enschede" in queued["text"]
    assert queued["actions"]["answer_by"] is not None

    adviser = await running.login("adviseur.enschede", "demo-enschede")
    try:
        csrf = await _csrf(adviser, running.url("/console"))
        queue = await (await adviser.get(running.url("/console/api/queue"))).json()
        waiting = [q for q in queue["questions"] if UNANSWERABLE[:40] in q["preview"]]
        assert len(waiting) == 1
        question_id = waiting[0]["id"]

        clock.advance(minutes=7)
        response = await adviser.post(running.url(f"/console/api/questions/{question_id}/claim"),
                                      headers={"X-CSRF-Token": csrf})
        assert response.status == 200, await response.text()
        reply_text = "Wat vervelend. Vraag bij de gemeente naar het Jeugdfonds Sport & Cultuur."
        response = await adviser.post(running.url(f"/console/api/questions/{question_id}/reply"),
                                      json={"text": reply_text}, headers={"X-CSRF-Token": csrf})
        assert response.status == 201, await response.text()

        # 3. The adviser's reply arrives live at the parent's websocket.
        reply = await parent.wait_for(
            lambda c: next((m for m in c.after(seq) if m["sender"] == "adviser"), None))
        assert reply["text"] == reply_text
        assert reply["author"] == "Anouk (Enschede)"

        response = await adviser.post(running.url(f"/console/api/questions/{question_id}/close"),
                                      json={"topic": "hulp-zoeken"},
                                      headers={"X-CSRF-Token": csrf})
        assert response.status == 200, await response.text()
        await parent.wait_for(lambda c: c.first_after(reply["seq"], "closed"))
    finally:
        await adviser.close()
    await parent.close()

    # 4. The coordinator sees both questions, and 7 minutes to the first adviser response.
    coordinator = await running.login("coordinator", "demo-coordinator")
    try:
        today = date(2026, 11, 24).isoformat()
        stats = await (await coordinator.get(running.url(
            f"/coordinator/api/stats?from={today}&to={today}&municipality=enschede"))).json()
        page = await (await coordinator.get(running.url(
            f"/coordinator?from={today}&to={today}&municipality=enschede"))).text()
    finally:
        await coordinator.close()
    assert stats["received"] == 2
    assert stats["answered_by_faq"] == 1
    assert stats["answered_by_adviser"] == 1
    assert stats["still_waiting"] == 0
    assert stats["median_first_response_minutes"] == 7.0
    assert stats["p90_first_response_minutes"] == 7.0
    assert "7 min" in page

    # The coordinator can audit the FAQ's decisions, without seeing what the parent wrote.
    coordinator = await running.login("coordinator", "demo-coordinator")
    try:
        audit = await (await coordinator.get(running.url(
            f"/coordinator/api/decisions?from={today}&to={today}"))).json()
        audit_page = await (await coordinator.get(running.url(
            f"/coordinator/decisions?from={today}&to={today}"))).text()
    finally:
        await coordinator.close()
    answered = [d for d in audit["decisions"] if d["outcome"] == "answer"]
    assert [(d["entry"], d["feedback"]) for d in answered] == [(entry.id, "yes")]
    assert answered[0]["score"] > 0 and "runner_up" in answered[0]
    assert audit["outcomes"]["answer"] == 1
    assert entry.question not in audit_page and UNANSWERABLE not in audit_page
    assert entry.id in audit_page


async def _csrf(session, url: str) -> str:
    html = await (await session.get(url)).text()
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


async def test_a_message_whose_handling_failed_is_retried(config, clock, faq) -> None:
    import asyncio

    from aiohttp.test_utils import TestServer

    from adviceline.storage import repository as repo
    from adviceline.web.app import create_app
    from adviceline.web.keys import PIPELINE, SESSIONS

    app = create_app(config, clock=clock, retry_seconds=0.05, faq=faq)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        opened = await app[PIPELINE].open_conversation("web", "enschede", "nl")
        # As if handling had crashed after the message was stored and acknowledged.
        async with app[SESSIONS].begin() as session:
            await repo.add_message(session, conversation_id=opened.conversation_id,
                                   sender="parent", body=UNANSWERABLE, at=clock.now(),
                                   handled=False)

        async def replied() -> None:
            while not await app[PIPELINE].messages_after(opened.conversation_id, 1):  # noqa: ASYNC110
                await asyncio.sleep(0.02)

        await asyncio.wait_for(replied(), 10)
    finally:
        await server.close()
