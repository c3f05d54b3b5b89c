"""The real app with the Telegram bot, against the local stand-in of the Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adviceline.clock import FrozenClock
from adviceline.config import Config, Secret, TelegramSettings
from adviceline.faq import Faq
from adviceline.web.app import create_app
from tests.bots.telegram.fakeapi import TOKEN, FakeBotApi
from tests.conftest import RunningApp

SECRET = "webhook-secret-0123456789abcdef"
WEBHOOK_URL = "https://advieslijn.example/telegram/webhook"


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.close()


@asynccontextmanager
async def serve(config: Config, clock: FrozenClock, fake: FakeBotApi, faq: Faq,
                mode: str = "webhook") -> AsyncIterator[RunningApp]:
    telegram = TelegramSettings(token=Secret(TOKEN), base_url=fake.base_url, mode=mode,
                                webhook_secret=Secret(SECRET), webhook_url=WEBHOOK_URL)
    app = create_app(replace(config, telegram=telegram), clock=clock, faq=faq)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield RunningApp(server, http)
    finally:
        await server.close()
