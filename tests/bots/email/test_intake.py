"""Property: whatever mail arrives, and however often, it is stored at most once and the
intake never fails on it (it is stored, known already, or kept in the quarantine)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from adviceline.channels import ParentPort
from adviceline.clock import FrozenClock
from adviceline.config import Config, Secret
from adviceline.faq import Faq
from adviceline.notify import Notifier
from adviceline.pipeline import Pipeline
from adviceline.pushchannels import PushChannels
from adviceline.storage.engine import create_engine, migrate, session_factory
from adviceline.storage.models import ChannelReceipt, Message, QuarantinedMessage
from adviceline.tasks import BackgroundTasks
from bots.email.inbound import DUPLICATE, QUARANTINED, STORED, Intake
from tests.bots.email.conftest import ALMELO, email_config
from tests.bots.email.test_parse import mails
from tests.conftest import TUESDAY_MORNING


def test_no_generated_mail_is_stored_twice(base_config: Config, tmp_path: Path,
                                           faq: Faq) -> None:
    config = email_config(replace(base_config, database_url=Secret(
        f"sqlite+aiosqlite:///{tmp_path / 'mail.db'}")))
    assert config.email is not None
    loop = asyncio.new_event_loop()
    engine = create_engine(config.database_url.reveal())
    loop.run_until_complete(migrate(engine))
    sessions = session_factory(engine)
    clock, notifier, tasks = FrozenClock(TUESDAY_MORNING), Notifier(), BackgroundTasks()
    pipeline = Pipeline(sessions=sessions, faq=faq, config=config, clock=clock,
                        notifier=notifier, tasks=tasks)
    port = ParentPort(pipeline, notifier, config, _channels=PushChannels(
        sessions=sessions, clock=clock, notifier=notifier, faq=faq))
    intake = Intake(port, config.email, config.email_addresses())

    async def counts() -> tuple[int, int, int]:
        async with sessions() as session:
            return (await session.scalar(select(func.count()).select_from(Message)
                                         .where(Message.sender == "parent")) or 0,
                    await session.scalar(select(func.count()).select_from(ChannelReceipt)) or 0,
                    await session.scalar(select(func.count())
                                         .select_from(QuarantinedMessage)) or 0)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(raw=mails(), times=st.integers(2, 3))
    def property(raw: bytes, times: int) -> None:
        before = loop.run_until_complete(counts())
        outcomes = [loop.run_until_complete(intake.take(raw, (ALMELO,)))
                    for _ in range(times)]
        after = loop.run_until_complete(counts())
        messages, receipts, held = (a - b for a, b in zip(after, before, strict=True))
        if outcomes[0] == STORED:
            assert outcomes[1:] == [DUPLICATE] * (times - 1)
            assert (messages, receipts) == (1, 1)
        else:
            assert messages == 0 and receipts == 0
            if outcomes[0] == QUARANTINED:
                assert held <= 1 and set(outcomes) == {QUARANTINED}

    try:
        property()
    finally:
        loop.run_until_complete(tasks.drain())
        loop.run_until_complete(engine.dispose())
        loop.close()
