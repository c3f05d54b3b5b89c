"""The core (pipeline and adviser desk) on a real database, without the web."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from adviceline.advisers import Adviser, AdviserDesk
from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.domain import Inbound
from adviceline.faq import Faq
from adviceline.notify import Notifier
from adviceline.pipeline import Pipeline
from adviceline.storage import repository as repo
from adviceline.storage.engine import Sessions, create_engine, migrate, session_factory
from adviceline.tasks import BackgroundTasks
from adviceline.users import sync_users


@dataclass
class Core:
    pipeline: Pipeline
    desk: AdviserDesk
    tasks: BackgroundTasks
    sessions: Sessions
    faq: Faq


@pytest.fixture
async def core(config: Config, clock: FrozenClock, faq: Faq) -> AsyncIterator[Core]:
    engine = create_engine(config.database_url.reveal())
    await migrate(engine)
    sessions = session_factory(engine)
    await sync_users(sessions, config.users)
    notifier, tasks = Notifier(), BackgroundTasks()
    pipeline = Pipeline(sessions=sessions, faq=faq, config=config, clock=clock,
                        notifier=notifier, tasks=tasks)
    desk = AdviserDesk(sessions=sessions, config=config, clock=clock, notifier=notifier,
                       topics=faq.topics)
    yield Core(pipeline, desk, tasks, sessions, faq)
    await tasks.drain()
    await engine.dispose()


async def ask(core: Core, conversation_id: str, text: str, client_id: str | None = None) -> int:
    receipt = await core.pipeline.receive(Inbound(conversation_id, text, client_id))
    await core.tasks.drain()
    return receipt.seq


async def stored_unhandled(core: Core, clock: FrozenClock, conversation_id: str,
                           *texts: str) -> list[int]:
    """Store parent messages without handling them (as after a crash, or for a group to take):
    on SQLite a chat message is otherwise handled in the commit that stores it."""
    async with core.sessions.begin() as session:
        seqs = [await repo.append_parent_message(session, conversation_id=conversation_id,
                                                 body=text, client_id=None,
                                                 at=clock.now())
                for text in texts]
    assert None not in seqs
    return [seq for seq in seqs if seq is not None]


async def queue_question(core: Core, conversation_id: str, text: str) -> int:
    """Ask, and if the FAQ offered anything, ask for an adviser as a parent would."""
    seq = await ask(core, conversation_id, text)
    await core.pipeline.ask_adviser(conversation_id)
    return seq


async def kinds_after(core: Core, conversation_id: str, seq: int) -> list[str]:
    return [m.kind for m in await core.pipeline.messages_after(conversation_id, seq)]




async def adviser_named(core: Core, username: str) -> Adviser:
    async with core.sessions() as session:
        user = await repo.user_by_username(session, username)
    assert user is not None
    return Adviser.from_user(user)
