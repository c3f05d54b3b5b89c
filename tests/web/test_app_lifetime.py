"""The app's lifetime: a prebuilt knowledge base is shared, and shutdown keeps its deadlines."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import aiohttp

from adviceline.config import Config
from adviceline.faq import Faq
from adviceline.web.app import create_app
from adviceline.web.keys import FAQ
from bots.webchat.keys import SOCKETS
from tests.conftest import RunningApp


def test_an_app_given_a_loaded_knowledge_base_uses_its_matcher_with_its_own_settings(
        base_config: Config, faq: Faq) -> None:
    config = base_config
    app = create_app(replace(config, retention_days=7), faq=faq)
    assert app[FAQ] is not faq   # its own Faq, so a reload stays in this app
    assert app[FAQ].kb is faq.kb
    question = next(iter(faq.kb.entries.values())).question
    assert app[FAQ].decide(question) == faq.decide(question)
    assert "7 dagen" in app[FAQ].answer("privacy-verwijderen", "nl", "enschede")
    assert "90 dagen" in faq.answer("privacy-verwijderen", "nl", "enschede")

    stricter = replace(config, matcher=replace(config.matcher, answer_threshold=99.0))
    assert create_app(stricter, faq=faq)[FAQ].kb is not faq.kb   # other settings: built anew


async def test_websockets_that_never_answer_the_close_do_not_hold_the_shutdown(
        running: RunningApp) -> None:
    # autoclose=False and never reading: the client does not answer the server's close frame,
    # as a phone that went out of range would not. aiohttp alone waits 10 s for each in turn.
    async with aiohttp.ClientSession() as http:
        silent = [await http.ws_connect(running.ws_url("/api/v1/conversation/ws"),
                                        autoclose=False, autoping=False) for _ in range(3)]
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(running.app[SOCKETS].close_all(timeout=0.2), timeout=5)
        assert loop.time() - started < 5
        for socket in silent:
            await socket.close()
