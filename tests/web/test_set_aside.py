"""Set-aside parent messages (handling failed HANDLE_ATTEMPTS times) in the adviser console:
listed for the advisers of that municipality, sent through again with "Opnieuw proberen"."""

from __future__ import annotations

import asyncio

from adviceline.pipeline import HANDLE_ATTEMPTS
from adviceline.storage import repository as repo
from adviceline.web.keys import PARENT_PORT, PIPELINE, SESSIONS
from tests.conftest import RunningApp
from tests.web.chat_client import open_conversation
from tests.web.test_end_to_end import _csrf

TEXT = "Mijn dochter van 6 wil niet slapen, wat kan ik doen?"


async def test_advisers_see_set_aside_messages_and_send_them_through_again(
        running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""), "enschede")
    conversation = await running.app[PIPELINE].conversation_for_token(token)
    assert conversation is not None
    now = running.app[PIPELINE]._clock.now()
    async with running.app[SESSIONS].begin() as session:   # as after its last failed attempt
        message = await repo.add_message(session, conversation_id=conversation.conversation_id,
                                         sender="parent", body=TEXT, at=now, handled=False)
        message.handle_attempts, message.handle_failed_at = HANDLE_ATTEMPTS, now
        message.handle_error = "RuntimeError at matcher.py:12"
    anouk = await running.login("adviseur.enschede", "demo-enschede")
    bram = await running.login("adviseur.hengelo", "demo-hengelo")
    try:
        (item,) = (await (await anouk.get(running.url("/console/api/set-aside"))).json())["items"]
        assert item["preview"] == TEXT and item["attempts"] == HANDLE_ATTEMPTS
        assert (await (await bram.get(running.url("/console/api/set-aside"))).json()) == {
            "items": []}
        retry = running.url(f"/console/api/set-aside/{item['id']}/retry")
        bram_csrf = await _csrf(bram, running.url("/console"))
        assert (await bram.post(retry, headers={"X-CSRF-Token": bram_csrf})).status == 404
        assert (await anouk.post(retry)).status == 403        # no CSRF token
        csrf = await _csrf(anouk, running.url("/console"))
        assert (await anouk.post(retry, headers={"X-CSRF-Token": csrf})).status == 200
        # The retry loop is woken for it: the parent gets the reply the fault held back.
        port = running.app[PARENT_PORT]
        replies: list[object] = []
        async with asyncio.timeout(20):
            while not replies:
                replies = list(await port.wait_for_messages(conversation.conversation_id,
                                                            message.seq))
        assert (await (await anouk.get(running.url("/console/api/set-aside"))).json()) == {
            "items": []}
    finally:
        await anouk.close()
        await bram.close()
