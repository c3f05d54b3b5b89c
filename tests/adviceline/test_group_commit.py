"""Parent messages arriving together are stored together (one transaction on SQLite), and each
is still acknowledged only after it is stored, with its own seq, duplicate or refusal."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, func, select

from adviceline.domain import Inbound, NotFound
from adviceline.erasure import Erasure
from adviceline.notify import Notifier
from adviceline.storage import group_commit
from adviceline.storage.group_commit import GroupCommit
from adviceline.storage.models import Message
from tests.adviceline.conftest import Core, kinds_after
from tests.conftest import answerable


async def _stored(core: Core, conversation_id: str) -> list[tuple[int, str]]:
    async with core.sessions() as session:
        rows = await session.execute(
            select(Message.seq, Message.body).where(Message.conversation_id == conversation_id,
                                                    Message.sender == "parent")
            .order_by(Message.seq))
        return [(seq, body) for seq, body in rows.all()]


async def test_messages_sent_at_once_are_each_stored_before_their_ack(
        core: Core, database_url: str) -> None:
    conversations = [await core.pipeline.open_conversation("web", "enschede", "nl")
                     for _ in range(5)]
    inbound = [Inbound(c.conversation_id, f"bericht {n}", f"id-{n}")
               for n in range(4) for c in conversations]
    receipts = await asyncio.gather(*(core.pipeline.receive(message) for message in inbound))
    for message, receipt in zip(inbound, receipts, strict=True):
        assert not receipt.duplicate
        assert (receipt.seq, message.text) in await _stored(core, message.conversation_id)
    for conversation in conversations:
        bodies = [body for _seq, body in await _stored(core, conversation.conversation_id)]
        assert sorted(bodies) == [f"bericht {n}" for n in range(4)]
        if database_url.startswith("sqlite"):   # one group after another: in arrival order
            assert bodies == [f"bericht {n}" for n in range(4)]
    await core.tasks.drain()


async def test_a_resend_among_new_messages_is_a_duplicate_and_the_others_are_stored(
        core: Core) -> None:
    first = await core.pipeline.open_conversation("web", "enschede", "nl")
    second = await core.pipeline.open_conversation("web", "enschede", "nl")
    original = await core.pipeline.receive(Inbound(first.conversation_id, "hallo", "abc"))
    again, new = await asyncio.gather(
        core.pipeline.receive(Inbound(first.conversation_id, "hallo", "abc")),
        core.pipeline.receive(Inbound(second.conversation_id, "goedemorgen", "def")))
    assert (again.seq, again.duplicate) == (original.seq, True)
    assert not new.duplicate and (new.seq, "goedemorgen") in await _stored(
        core, second.conversation_id)
    async with core.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Message).where(
            Message.client_id == "abc")) == 1
    await core.tasks.drain()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)   # the group's own case
async def test_an_erased_conversation_in_a_group_is_refused_alone(core: Core, clock) -> None:
    gone = await core.pipeline.open_conversation("web", "enschede", "nl")
    alive = await core.pipeline.open_conversation("web", "enschede", "nl")
    await Erasure(sessions=core.sessions, clock=clock, notifier=Notifier(),
                  retention_days=90).erase_for_parent(gone.conversation_id)
    refused, stored = await asyncio.gather(
        core.pipeline.receive(Inbound(gone.conversation_id, "hallo", "x")),
        core.pipeline.receive(Inbound(alive.conversation_id, "hallo", "y")),
        return_exceptions=True)
    assert isinstance(refused, NotFound)
    assert not isinstance(stored, BaseException)
    assert await _stored(core, alive.conversation_id) == [(stored.seq, "hallo")]
    assert await _stored(core, gone.conversation_id) == []
    await core.tasks.drain()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_messages_arriving_together_share_one_commit(core: Core, clock) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    group = GroupCommit(core.sessions, clock)
    commits: list[object] = []
    engine = core.sessions.kw["bind"].sync_engine

    def committed(connection: object) -> None:
        commits.append(connection)

    event.listen(engine, "commit", committed)
    try:
        seqs = await asyncio.gather(*(group.store(conversation.conversation_id, f"m{n}", None)
                                      for n in range(20)))
    finally:
        event.remove(engine, "commit", committed)
    assert [stored.seq for stored in seqs] == list(range(1, 21))
    assert not any(stored.with_after_store for stored in seqs)
    assert len(commits) < 20


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_groups_messages_are_handled_in_the_commit_that_stores_them(
        core: Core) -> None:
    """An ack on SQLite means stored and handled: one commit for the group's messages and their
    FAQ answers, and nothing left for a queue or a task."""
    conversations = [await core.pipeline.open_conversation("web", "enschede", "nl")
                     for _ in range(4)]
    question = answerable(core.faq)[0].question
    commits: list[object] = []
    engine = core.sessions.kw["bind"].sync_engine
    core.tasks.limit = 0   # a message left for a queue would wake the retry loop instead
    core.pipeline.backlog.clear()

    def committed(connection: object) -> None:
        commits.append(connection)

    event.listen(engine, "commit", committed)
    try:
        receipts = await asyncio.gather(*(
            core.pipeline.receive(Inbound(c.conversation_id, question, f"id-{n}"))
            for n, c in enumerate(conversations)))
        commits_then = len(commits)
        for conversation, receipt in zip(conversations, receipts, strict=True):
            assert await kinds_after(core, conversation.conversation_id,
                                     receipt.seq) == ["faq_answer"]
    finally:
        event.remove(engine, "commit", committed)
    assert commits_then == 1
    assert not core.pipeline.backlog.is_set()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_beyond_its_limit_a_group_is_acknowledged_without_waiting_for_handling(
        core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a flood an ack waits for a bounded number of handlings: the rest of the group is
    stored and acknowledged at once, and handled afterwards from the database."""
    monkeypatch.setattr(group_commit, "AFTER_STORE_MOST", 2)
    conversations = [await core.pipeline.open_conversation("web", "enschede", "nl")
                     for _ in range(4)]
    question = answerable(core.faq)[0].question
    core.tasks.limit = 0   # what is left for later wakes the retry loop
    core.pipeline.backlog.clear()
    receipts = await asyncio.gather(*(
        core.pipeline.receive(Inbound(c.conversation_id, question, None)) for c in conversations))
    answered = [await kinds_after(core, c.conversation_id, r.seq)
                for c, r in zip(conversations, receipts, strict=True)]
    assert answered == [["faq_answer"]] * 2 + [[]] * 2
    assert core.pipeline.backlog.is_set()
    assert await core.pipeline.handle_pending() == 2
    for conversation, receipt in zip(conversations, receipts, strict=True):
        assert await kinds_after(core, conversation.conversation_id,
                                 receipt.seq) == ["faq_answer"]
