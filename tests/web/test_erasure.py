"""Erasure over the API and the chat page, and the retention task of the running app."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.faq import Faq
from adviceline.storage.models import Conversation, Message
from adviceline.web.app import create_app
from adviceline.web.keys import FAQ, SESSIONS
from tests.conftest import RunningApp, answerable
from tests.web.chat_client import ParentSocket, open_conversation
from tests.web.conftest import PHONE

QUESTION = "Mijn dochter van 9 wil niet meer naar de sport, wat nu?"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def bodies(running: RunningApp) -> set[str]:
    async with running.app[SESSIONS]() as session:
        return set(await session.scalars(select(Message.body)))


async def test_delete_erases_the_conversation_and_closes_other_devices(
        running: RunningApp) -> None:
    token = await open_conversation(running.http, running.url(""))
    other = await ParentSocket.connect(running.http, running.ws_url("/api/v1/conversation/ws"),
                                       token)
    seq = await other.ask(QUESTION)
    await other.wait_for(lambda c: c.first_after(seq, "suggestions") or
                         c.first_after(seq, "queued") or c.first_after(seq, "faq_answer"))

    erased = await running.http.delete(running.url("/api/v1/conversation"),
                                       headers=bearer(token))
    assert erased.status == 200, await erased.text()
    assert (await erased.json()) == {"status": "erased"}

    # The other device's socket is told and closed; the token opens nothing any more.
    error = await other.wait_for(lambda c: c.errors and c.errors[-1])
    assert error["code"] == "unknown_token"
    assert (await other.socket.receive(timeout=10)).type in (aiohttp.WSMsgType.CLOSE,
                                                              aiohttp.WSMsgType.CLOSED)
    again = await running.http.get(running.url("/api/v1/conversation/messages?after=0"),
                                   headers=bearer(token))
    assert again.status == 401
    assert await bodies(running) == {""}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_running_service_erases_conversations_past_the_retention_period(
        config: Config, clock: FrozenClock, faq: Faq) -> None:
    config = replace(config, retention_days=30)
    app = create_app(config, clock=clock, faq=faq)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            token = await open_conversation(http, str(server.make_url("")))
            entry = answerable(app[FAQ])[0]
            posted = await http.post(server.make_url("/api/v1/conversation/messages"),
                                     json={"text": entry.question}, headers=bearer(token))
            assert posted.status == 201
    finally:
        await server.close()

    # The next start (and every purge_seconds after it) erases what is past the period.
    clock.advance(days=31)
    app = create_app(config, clock=clock, faq=faq)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async def erased() -> None:
            while True:
                async with app[SESSIONS]() as session:
                    conversation = await session.scalar(select(Conversation))
                if conversation is not None and conversation.erased_by == "retention":
                    return
                await asyncio.sleep(0.05)
        await asyncio.wait_for(erased(), 10)
        async with app[SESSIONS]() as session:
            assert set(await session.scalars(select(Message.body))) == {""}
    finally:
        await server.close()


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_chat_page_erases_after_a_confirmation_in_dutch(
        browser: Any, running: RunningApp) -> None:
    page = await (await browser.new_context(**PHONE)).new_page()
    await page.goto(running.url("/"))
    await page.select_option("#municipality", "enschede")
    await page.click("#start-form button[type=submit]")
    await page.fill("#text", QUESTION)
    await page.click("#send-form button[type=submit]")
    await page.locator("li.parent:not(.pending)").wait_for(timeout=15_000)

    await page.get_by_role("button", name="Gesprek verwijderen").click()
    confirm = page.locator("#erase-confirm")
    await confirm.wait_for()
    assert "niet ongedaan" in await confirm.inner_text()
    assert QUESTION in await bodies(running)   # nothing happens before the second click
    await page.get_by_role("button", name="Ja, verwijder mijn gesprek").click()

    await page.locator("#erased-note").wait_for(timeout=15_000)
    assert await page.locator("#erased-note").inner_text() == "Je gesprek is verwijderd."
    assert await page.locator("#start").is_visible()
    assert await page.evaluate("localStorage.getItem('adviceline.token')") is None
    assert await bodies(running) == {""}


def test_the_knowledge_base_tells_the_period_and_the_buttons_the_page_really_has(
        base_config: Config, faq: Faq) -> None:
    page = (Path(__file__).resolve().parents[2] / "bots" / "webchat" / "static" /
            "chat.js").read_text(encoding="utf-8")
    faq = faq.for_config(replace(base_config, retention_days=30))
    dutch = faq.answer("privacy-verwijderen", "nl", "enschede")
    english = faq.answer("privacy-verwijderen", "en", "enschede")
    assert "Na 30 dagen zonder nieuw bericht" in dutch
    assert "After 30 days without a new message" in english
    for label in ('"Gesprek verwijderen"', '"Ja, verwijder mijn gesprek"',
                  '"Delete this conversation"', '"Yes, delete my conversation"'):
        assert label in page
        assert label in dutch + english
    assert "Vraag het aan een adviseur in de chat. Die kan je vertellen hoe lang" not in dutch
