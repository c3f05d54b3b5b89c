"""Right to erasure and the retention period: text and the way back to the parent go, anonymous
statistics and the FAQ's decisions stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from adviceline.advisers import Adviser
from adviceline.clock import FrozenClock
from adviceline.domain import Inbound, NotFound
from adviceline.erasure import Erasure
from adviceline.notify import Notifier
from adviceline.stats import answer_stats
from adviceline.storage import repository as repo
from adviceline.storage.models import (
    AuditRecord,
    ConversationToken,
    Message,
    PushSubscription,
    QuestionEvent,
)
from tests.adviceline.conftest import Core, ask, queue_question
from tests.conftest import AMSTERDAM

QUESTION = "Mijn buurman schreeuwt elke avond tegen zijn hond, wat moet ik daarmee?"


def erasure(core: Core, clock: FrozenClock, days: int = 90) -> Erasure:
    return Erasure(sessions=core.sessions, clock=clock, notifier=Notifier(),
                   retention_days=days)


async def adviser(core: Core, username: str) -> Adviser:
    async with core.sessions() as session:
        user = await repo.user_by_username(session, username)
    assert user is not None
    return Adviser.from_user(user)


async def texts_of(core: Core, conversation_id: str) -> list[str]:
    async with core.sessions() as session:
        return list(await session.scalars(select(Message.body).where(
            Message.conversation_id == conversation_id).order_by(Message.seq)))


async def count(core: Core, model: type, conversation_id: str) -> int:
    async with core.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(
            model.conversation_id == conversation_id)) or 0  # type: ignore[attr-defined]


async def test_a_parent_erases_their_conversation_and_only_anonymous_figures_stay(
        core: Core, clock: FrozenClock) -> None:
    opened = await core.pipeline.open_conversation("web", "enschede", "nl")
    await queue_question(core, opened.conversation_id, QUESTION)
    async with core.sessions.begin() as session:
        await repo.add_device_token(session, opened.conversation_id, "d" * 64, clock.now())
        conversation = await repo.conversation_by_id(session, opened.conversation_id)
        assert conversation is not None
        await repo.save_push_subscription(session, conversation, "https://push.example/1",
                                          "p" * 87, "a" * 22, clock.now())
    assert QUESTION in await texts_of(core, opened.conversation_id)

    await erasure(core, clock).erase_for_parent(opened.conversation_id)

    assert set(await texts_of(core, opened.conversation_id)) == {""}
    assert await count(core, ConversationToken, opened.conversation_id) == 0
    assert await count(core, PushSubscription, opened.conversation_id) == 0
    # The token opens nothing; nothing more can be stored or read.
    assert await core.pipeline.conversation_for_token(opened.token) is None
    with pytest.raises(NotFound):
        await core.pipeline.receive(Inbound(opened.conversation_id, "nog iets"))
    with pytest.raises(NotFound):
        await core.pipeline.messages_after(opened.conversation_id, 0)
    with pytest.raises(NotFound):
        await erasure(core, clock).erase_for_parent(opened.conversation_id)
    # The question left the queue, withdrawn; the figures still count it as received.
    assert await core.desk.queue(await adviser(core, "adviseur.enschede")) == []
    today = clock.now().astimezone(AMSTERDAM).date()
    stats = await answer_stats(core.sessions, today, today, None, AMSTERDAM)
    assert (stats.received, stats.still_waiting) == (1, 0)
    async with core.sessions() as session:
        kinds = set(await session.scalars(select(QuestionEvent.kind)))
    assert {"received", "queued", "withdrawn"} <= kinds


async def test_an_adviser_erases_on_request_and_the_audit_log_says_who(
        core: Core, clock: FrozenClock) -> None:
    opened = await core.pipeline.open_conversation("web", "hengelo", "nl")
    await queue_question(core, opened.conversation_id, QUESTION)
    bram = await adviser(core, "adviseur.hengelo")
    (waiting,) = await core.desk.queue(bram)
    # Another municipality's adviser cannot.
    with pytest.raises(NotFound):
        await core.desk.erase(await adviser(core, "adviseur.enschede"), waiting["id"])

    await core.desk.erase(bram, waiting["id"])

    assert set(await texts_of(core, opened.conversation_id)) == {""}
    shown = await core.desk.conversation(bram, waiting["id"])
    assert shown["erased"]["by"] == "adviser"
    assert all(m["text"] == "" for m in shown["messages"])
    async with core.sessions() as session:
        records = list(await session.scalars(select(AuditRecord)))
    assert [(r.user_id, r.action, r.question_id, r.municipality) for r in records] == \
        [(bram.id, "erase_conversation", waiting["id"], "hengelo")]


async def test_the_retention_period_erases_finished_conversations_only(
        core: Core, clock: FrozenClock) -> None:
    answered = await core.pipeline.open_conversation("web", "enschede", "nl")
    entry = next(e for e in core.faq.kb.entries.values()
                 if core.faq.decide(e.question).outcome == "answer")
    await ask(core, answered.conversation_id, entry.question)
    waiting = await core.pipeline.open_conversation("web", "enschede", "nl")
    await queue_question(core, waiting.conversation_id, QUESTION)
    purge = erasure(core, clock, days=90)

    clock.advance(days=89)
    assert await purge.purge_expired() == 0
    clock.advance(days=2)
    assert await purge.purge_expired() == 1

    assert set(await texts_of(core, answered.conversation_id)) == {""}
    assert await core.pipeline.conversation_for_token(answered.token) is None
    # A question an adviser still has to answer keeps its conversation, however old.
    assert QUESTION in await texts_of(core, waiting.conversation_id)
    # The FAQ's decision (no text) and the statistics survive.
    start = (clock.now() - timedelta(days=92)).astimezone(AMSTERDAM).date()
    stats = await answer_stats(core.sessions, start, clock.now().astimezone(AMSTERDAM).date(),
                               None, AMSTERDAM)
    assert (stats.received, stats.answered_by_faq) == (2, 1)
    async with core.sessions() as session:
        decisions = await repo.decisions_between(session, clock.now() - timedelta(days=92),
                                                 clock.now(), None, 10)
    assert {d["entry"] for _at, d, _m, _q in decisions} >= {entry.id}


async def test_a_message_after_the_cutoff_keeps_the_conversation(
        core: Core, clock: FrozenClock) -> None:
    opened = await core.pipeline.open_conversation("web", "enschede", "nl")
    await ask(core, opened.conversation_id, "hallo")
    clock.advance(days=80)
    await ask(core, opened.conversation_id, "dankjewel")
    clock.advance(days=20)
    assert await erasure(core, clock, days=90).purge_expired() == 0
    clock.advance(days=71)
    assert await erasure(core, clock, days=90).purge_expired() == 1
