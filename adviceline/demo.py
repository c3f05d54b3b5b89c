"""Demo history for `adviceline serve --demo`: two weeks of questions, made through the real
pipeline and adviser desk with a clock that walks through the past, so the coordinator page
has numbers to show. Runs only on an empty database."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.advisers import Adviser, AdviserDesk
from adviceline.clock import Clock, FrozenClock
from adviceline.config import Config
from adviceline.domain import Inbound
from adviceline.faq import Faq
from adviceline.notify import Notifier
from adviceline.pipeline import Pipeline
from adviceline.storage import repository as repo
from adviceline.storage.models import Question, User
from adviceline.tasks import BackgroundTasks

ADVISER_QUESTIONS = (
    "Onze zoon van 8 heeft sinds de zomer buikpijn voor school, de huisarts vindt niets. "
    "Hoe pakken we dit aan?",
    "Mijn schoonmoeder bemoeit zich met alles wat we met de kinderen doen. Hoe zeg ik daar "
    "iets van?",
    "We verhuizen over twee maanden naar een andere stad. Hoe bereid ik mijn dochter van 6 voor?",
    "Mijn dochter van 13 wil ineens vegetarisch eten en ik maak me zorgen of ze genoeg "
    "binnenkrijgt.",
)


@dataclass(frozen=True)
class DemoHistory:
    """What `serve --demo` added, so the start-up lines can say it."""

    questions: int = 0
    waiting: int = 0   # still in the queue, some for days, as on a real line
    days: int = 0
    skipped: bool = False   # the database already had questions: nothing was added


async def seed_demo_history(sessions: async_sessionmaker[AsyncSession], faq: Faq,
                            config: Config, clock: Clock, days: int = 14) -> DemoHistory:
    async with sessions() as session:
        if await session.scalar(select(func.count(Question.id))):
            return DemoHistory(skipped=True)
        advisers = [Adviser.from_user(user) for user in (await session.scalars(
            select(User).where(User.role == "adviser"))).all()]
    if not advisers:
        return DemoHistory()
    rng = random.Random(20261123)
    past = FrozenClock(clock.now() - timedelta(days=days))
    tasks = BackgroundTasks()
    notifier = Notifier()
    pipeline = Pipeline(sessions=sessions, faq=faq, config=config, clock=past, notifier=notifier,
                        tasks=tasks)
    desk = AdviserDesk(sessions=sessions, config=config, clock=past, notifier=notifier,
                       topics=faq.topics)
    entries = list(faq.kb.entries.values())
    count = waiting = 0
    for _day in range(days):
        for _ in range(rng.randint(2, 5)):
            past.advance(minutes=rng.randint(20, 200))
            adviser = rng.choice(advisers)
            municipality = rng.choice(adviser.municipalities or tuple(config.municipalities))
            opened = await pipeline.open_conversation("web", municipality, "nl")
            if rng.random() < 0.6:
                text = rng.choice(entries).question
                await _ask(pipeline, tasks, opened.conversation_id, text)
                count += 1
                continue
            await _ask(pipeline, tasks, opened.conversation_id, rng.choice(ADVISER_QUESTIONS))
            await pipeline.ask_adviser(opened.conversation_id)
            count += 1
            if rng.random() < 0.15:
                waiting += 1
                continue   # still waiting
            past.advance(minutes=rng.choice((4, 9, 15, 25, 40, 75, 130)))
            question_id = await _open_question(sessions, opened.conversation_id)
            await desk.claim(adviser, question_id)
            await desk.reply(adviser, question_id,
                             "Dank voor je vraag. Wat goed dat je hier al over nadenkt. ...")
            await desk.close(adviser, question_id, rng.choice(sorted(faq.kb.topics)))
        past.set(clock.now() - timedelta(days=days - _day - 1))
    await tasks.drain()
    return DemoHistory(questions=count, waiting=waiting, days=days)


async def _ask(pipeline: Pipeline, tasks: BackgroundTasks, conversation_id: str,
               text: str) -> None:
    await pipeline.receive(Inbound(conversation_id, text, None))
    await tasks.drain()


async def _open_question(sessions: async_sessionmaker[AsyncSession],
                         conversation_id: str) -> str:
    async with sessions() as session:
        question = await repo.latest_question(session, conversation_id)
    if question is None:
        raise LookupError(conversation_id)
    return question.id
