"""Two service instances on one PostgreSQL, many advisers claiming and accepting offers at
once: every question ends up held by exactly one adviser, with exactly one claim event."""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.domain import Inbound
from adviceline.faq import Faq
from adviceline.storage import repository as repo
from adviceline.storage.models import Question, QuestionEvent
from adviceline.users import add_user
from adviceline.web.app import create_app
from adviceline.web.keys import DISPATCHER, PIPELINE, SESSIONS
from tests.conftest import RunningApp
from tests.web.test_end_to_end import UNANSWERABLE, _csrf

QUESTIONS = 40
ADVISERS = 6
PASSWORD = "claim-test-password"


@pytest.fixture
async def second(config: Config, clock: FrozenClock, faq: Faq) -> AsyncIterator[RunningApp]:
    server = TestServer(create_app(config, clock=clock, faq=faq), host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield RunningApp(server, http)
    await server.close()


async def work_the_queue(app: RunningApp, session: aiohttp.ClientSession, seed: int,
                         held: dict[str, list[str]], username: str) -> None:
    """Take questions until none waits: accept an offer when there is one, else claim a random
    waiting question (so advisers collide on the same ones)."""
    chooser = random.Random(seed)
    headers = {"X-CSRF-Token": await _csrf(session, app.url("/console"))}
    while True:
        queue = (await (await session.get(app.url("/console/api/queue"))).json())["questions"]
        waiting = [q for q in queue if q["status"] == "waiting"]
        if not waiting:
            return
        offered = [q for q in waiting if q["offered_to_me"]]
        pick, action = (offered[0], "accept") if offered else (chooser.choice(waiting), "claim")
        response = await session.post(
            app.url(f"/console/api/questions/{pick['id']}/{action}"), headers=headers)
        if response.status == 200:
            held[pick["id"]].append(username)
        else:
            assert response.status in (404, 409), await response.text()


async def offers_open(app: RunningApp) -> int:
    async with app.app[SESSIONS]() as session:
        return sum(q.offered_to is not None for q in await repo.waiting_questions(session))


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_every_question_is_claimed_exactly_once_across_two_instances(
        running: RunningApp, second: RunningApp) -> None:
    sessions = running.app[SESSIONS]
    # Anouk is a configured adviser of Enschede's desk, the others are added as with
    # `adviceline users add`: all of them staff the desk and get offers.
    names = ["adviseur.enschede", *(f"adviseur.claim{n}" for n in range(1, ADVISERS))]
    for name in names[1:]:
        await add_user(sessions, username=name, display_name=name, role="adviser",
                       municipalities=["enschede"], regional_pool=False, password=PASSWORD)
    pipeline = running.app[PIPELINE]
    for _ in range(QUESTIONS):
        conversation = await pipeline.open_conversation("web", "enschede", "nl")
        await pipeline.receive(Inbound(conversation.conversation_id, UNANSWERABLE, None))
    async with asyncio.timeout(30):
        while True:   # the FAQ routes each to the queue in the background
            async with sessions() as session:
                if len(await repo.waiting_questions(session)) == QUESTIONS:
                    break
            await asyncio.sleep(0.05)

    apps = [running if n % 2 == 0 else second for n in range(ADVISERS)]
    logins = [await app.login(name, "demo-enschede" if n == 0 else PASSWORD)
              for n, (app, name) in enumerate(zip(apps, names, strict=True))]
    held: dict[str, list[str]] = defaultdict(list)
    try:
        for app, login in zip(apps, logins, strict=True):
            response = await login.post(
                app.url("/console/api/presence"), json={"status": "available"},
                headers={"X-CSRF-Token": await _csrf(login, app.url("/console"))})
            assert response.status == 200
        async with asyncio.timeout(30):
            # Every adviser has an open offer before the race starts, so accepting races with
            # claiming.
            while await offers_open(running) < ADVISERS:
                await running.app[DISPATCHER].tick()
                await asyncio.sleep(0.05)
        async with asyncio.timeout(60):
            # Both instances' dispatchers make offers while the advisers pick and accept.
            await asyncio.gather(
                *(work_the_queue(app, login, n, held, name)
                  for n, (app, login, name) in enumerate(zip(apps, logins, names, strict=True))),
                running.app[DISPATCHER].tick(), second.app[DISPATCHER].tick())
    finally:
        for login in logins:
            await login.close()

    async with sessions() as session:
        questions = (await session.scalars(select(Question))).all()
        claims = Counter(event.question_id for event in await session.scalars(
            select(QuestionEvent).where(QuestionEvent.kind == "claimed")))
        users = {user.id: user.username for user in await repo.adviser_users(session)}
    assert len(questions) == QUESTIONS
    assert all(q.status == "claimed" for q in questions)
    # One winner per question (a repeated claim by the holder is answered 200 as well), and
    # the database agrees with who was told "yours".
    assert {q.id: {users[q.claimed_by or 0]} for q in questions} == \
        {question_id: set(winners) for question_id, winners in held.items()}
    assert claims == Counter({q.id: 1 for q in questions})
    assert len({users[q.claimed_by or 0] for q in questions}) > 1   # the work was shared
