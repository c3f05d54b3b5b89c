"""Parallel messages and clicks in one conversation, on SQLite and PostgreSQL: one open question
per conversation, every action taken once, questions in a total order."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from adviceline.domain import Conflict, Inbound
from adviceline.storage import repository as repo
from adviceline.storage.models import Message, Question
from tests.adviceline.conftest import Core, ask
from tests.adviceline.test_pipeline import OUT_OF_SCOPE, VAGUE

ROUTED = ("Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?",
          "Welke papieren heb ik nodig voor een paspoort voor mijn dochter?")


async def _count(core: Core, model: type, *where: object) -> int:
    async with core.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where))
                   or 0)


async def test_two_quick_messages_in_one_conversation_open_one_question(core: Core) -> None:
    assert all(core.faq.decide(text).outcome == "route" for text in ROUTED)
    conversations = [await core.pipeline.open_conversation("web", "enschede", "nl")
                     for _ in range(6)]
    await asyncio.gather(*(core.pipeline.receive(Inbound(c.conversation_id, text, None))
                           for c in conversations for text in ROUTED))
    await core.tasks.drain()
    for conversation in conversations:
        cid = conversation.conversation_id
        assert await _count(core, Question, Question.conversation_id == cid) == 1
        assert await _count(core, Message, Message.conversation_id == cid,
                            Message.kind == "queued") == 1
        assert await _count(core, Message, Message.conversation_id == cid,
                            Message.sender == "parent", Message.question_id.is_(None)) == 0


async def _suggested(core: Core) -> tuple[str, list[str]]:
    vague = next(q for q in VAGUE if core.faq.decide(q).outcome == "suggest")
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    seq = await ask(core, conversation.conversation_id, vague)
    [offer] = await core.pipeline.messages_after(conversation.conversation_id, seq)
    return conversation.conversation_id, [o["entry"] for o in offer.actions["suggestions"]]


async def test_parallel_clicks_in_one_conversation_act_once(core: Core) -> None:
    for _ in range(3):
        conversation_id, options = await _suggested(core)
        # The same click resent (harmless) and, where offered, another suggestion at once.
        picks = [options[0]] * 3 + options[1:2]
        results = await asyncio.gather(*(core.pipeline.choose(conversation_id, entry)
                                         for entry in picks), return_exceptions=True)
        assert all(r is None or isinstance(r, Conflict) for r in results), results
        assert await _count(core, Message, Message.conversation_id == conversation_id,
                            Message.kind == "faq_answer") == 1

        conversation_id, _ = await _suggested(core)
        await asyncio.gather(*(core.pipeline.ask_adviser(conversation_id) for _ in range(4)))
        assert await _count(core, Message, Message.conversation_id == conversation_id,
                            Message.kind == "queued") == 1


async def test_the_latest_question_is_the_last_one_opened_even_in_the_same_instant(
        core: Core) -> None:
    # The clock stands still, so every question of a conversation has the same created_at.
    for _ in range(8):
        conversation_id, options = await _suggested(core)
        await core.pipeline.choose(conversation_id, options[0])
        vague = next(q for q in VAGUE if core.faq.decide(q).outcome == "suggest")
        seq = await ask(core, conversation_id, vague)
        [offer] = await core.pipeline.messages_after(conversation_id, seq)
        await core.pipeline.ask_adviser(conversation_id)
        async with core.sessions() as session:
            queued = await session.scalar(select(Message).where(
                Message.conversation_id == conversation_id, Message.kind == "queued"))
            suggestions = await session.scalar(select(Message).where(
                Message.conversation_id == conversation_id, Message.seq == offer.seq))
        # The question with the suggestions goes to the queue, not the one answered before.
        assert queued is not None and suggestions is not None
        assert queued.question_id == suggestions.question_id


async def test_the_database_refuses_a_second_open_question(core: Core) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    await ask(core, conversation.conversation_id, OUT_OF_SCOPE)
    async with core.sessions() as session:
        first = await session.scalar(select(Question))
    assert first is not None and first.status == "waiting"
    with pytest.raises(IntegrityError):
        async with core.sessions.begin() as session:
            session.add(Question(id="second", conversation_id=first.conversation_id,
                                 channel="web", municipality="enschede", status="waiting",
                                 priority=0, opened_seq=first.opened_seq + 10,
                                 created_at=first.created_at))


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_locked_question_is_read_as_it_is_now(core: Core, database_url: str) -> None:
    # SQLite has one writer at a time, so this interleaving only exists on PostgreSQL.
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    await ask(core, conversation.conversation_id, OUT_OF_SCOPE)
    async with core.sessions.begin() as session:
        question = await repo.latest_question(session, conversation.conversation_id)
        assert question is not None and question.status == "waiting"
        async with core.sessions.begin() as other:
            changed = await other.get(Question, question.id)
            assert changed is not None
            changed.status = "claimed"
        locked = await repo.question_for_update(session, question.id)
        assert locked is not None and locked.status == "claimed"


async def test_a_message_resent_at_once_is_stored_once_and_acked_twice(core: Core) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    cid = conversation.conversation_id
    receipts = await asyncio.gather(*(core.pipeline.receive(Inbound(cid, "Hallo?", "same-id"))
                                      for _ in range(5)))
    assert len({receipt.seq for receipt in receipts}) == 1
    assert sorted(receipt.duplicate for receipt in receipts) == [False, True, True, True, True]
    assert await _count(core, Message, Message.conversation_id == cid,
                        Message.client_id == "same-id") == 1
    nxt = await core.pipeline.receive(Inbound(cid, "Nog iets", "other-id"))
    assert nxt.seq > receipts[0].seq and not nxt.duplicate


async def test_writers_queue_in_arrival_order_and_all_commit(core: Core) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    cid = conversation.conversation_id
    order: list[int] = []

    async def write(n: int) -> None:
        async with core.sessions.begin() as session:
            order.append(n)
            await repo.allocate_seq(session, cid)

    await asyncio.gather(*(write(n) for n in range(40)))
    async with core.sessions() as session:
        assert (await repo.conversation_by_id(session, cid)).last_seq == 40  # type: ignore[union-attr]
    if core.sessions.kw["bind"].dialect.name == "sqlite":
        assert order == list(range(40))   # first come, first served


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)   # PostgreSQL: no queue
async def test_a_write_begun_inside_another_is_refused_not_left_waiting(core: Core) -> None:
    async with core.sessions.begin():
        with pytest.raises(RuntimeError, match="inside another"):
            async with core.sessions.begin():
                pass
    async with core.sessions.begin() as session:   # the queue is free again
        await session.execute(select(1))
