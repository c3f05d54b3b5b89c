"""A parent message whose handling keeps failing is retried on its own schedule and set aside
for advisers in the end; it never holds up later messages, the start-up, or the retry loop."""

from __future__ import annotations

import asyncio
import logging
from collections import deque

import aiohttp
import pytest
import sqlalchemy
from aiohttp.test_utils import TestServer
from sqlalchemy import select, text

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.domain import Inbound, Receipt
from adviceline.faq import Faq
from adviceline.notify import Notifier, conversation_topic
from adviceline.pipeline import HANDLE_ATTEMPTS, handling_retry_in
from adviceline.storage import repository as repo
from adviceline.storage.models import Message
from adviceline.web.app import create_app
from knowledge_base.crisis import CrisisSignal
from tests.adviceline.conftest import Core, ask, kinds_after, stored_unhandled
from tests.adviceline.conftest import adviser_named as adviser

POISON = "Mijn dochter van 6 wil niet slapen [poison]"
LATER = "Hoe leer ik mijn kind zelf aankleden?"


class FaultyDetector:
    """A crisis detector with a fault that only some texts trigger (while `broken`)."""

    broken = True

    def detect(self, text: str, context: str | None = None) -> CrisisSignal | None:
        if self.broken and "[poison]" in text:
            raise RuntimeError(f"detector fault on {text!r}")   # quotes the parent, as faults do
        return None

    def in_doubt(self, text: str, context: str | None = None) -> bool:
        return False


@pytest.fixture(scope="module")
def detector() -> FaultyDetector:
    return FaultyDetector()


@pytest.fixture(scope="module")
def faq(base_config: Config, detector: FaultyDetector) -> Faq:
    """Overrides the conftest's `faq`: the `core` fixture runs on the faulty detector."""
    return Faq(base_config, crisis=detector)


async def poisoned(core: Core) -> Message:
    async with core.sessions() as session:
        found = await session.scalar(select(Message).where(Message.body.contains("[poison]")))
    assert found is not None
    return found


async def test_a_message_that_always_fails_backs_off_is_set_aside_and_blocks_nothing(
        core: Core, clock: FrozenClock, detector: FaultyDetector,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    first = await core.pipeline.open_conversation("web", "enschede", "nl")
    other = await core.pipeline.open_conversation("web", "enschede", "nl")
    await ask(core, first.conversation_id, POISON)       # acknowledged: it is stored
    # Later messages, in the same conversation and another, are handled at once.
    later = await ask(core, first.conversation_id, LATER)
    assert await kinds_after(core, first.conversation_id, later)
    assert await kinds_after(core, other.conversation_id,
                             await ask(core, other.conversation_id, LATER))

    for attempt in range(1, HANDLE_ATTEMPTS):
        message = await poisoned(core)
        assert (message.handle_attempts, message.handle_failed_at) == (attempt, None)
        assert await core.pipeline.handle_pending() == 0      # not due yet
        wait = handling_retry_in(attempt)
        assert wait is not None
        clock.advance(seconds=wait.total_seconds())
        assert await core.pipeline.handle_pending() == 1
    message = await poisoned(core)
    assert message.handle_attempts == HANDLE_ATTEMPTS and message.handle_failed_at is not None
    assert not message.handled
    clock.advance(days=1)
    assert await core.pipeline.handle_pending() == 0          # set aside: out of the loop

    anouk, bram = await adviser(core, "adviseur.enschede"), await adviser(core, "adviseur.hengelo")
    (shown,) = await core.desk.set_aside(anouk)
    assert shown["attempts"] == HANDLE_ATTEMPTS and shown["error"].startswith("RuntimeError at ")
    assert "[poison]" not in shown["error"] and shown["preview"] == POISON
    assert await core.desk.set_aside(bram) == []              # not his municipality
    assert "[poison]" not in caplog.text and "wil niet slapen" not in caplog.text

    detector.broken = False   # the fault is fixed; an adviser sends it through again
    try:
        await core.desk.retry_set_aside(anouk, shown["id"])
        assert await core.pipeline.handle_pending() == 1
    finally:
        detector.broken = True
    assert await core.desk.set_aside(anouk) == []
    assert (await poisoned(core)).handled
    async with core.sessions() as session:
        assert await repo.due_unhandled_messages(session, clock.now(), 10) == []


async def test_work_beyond_the_task_limit_waits_for_the_retry_loop(
        core: Core, clock: FrozenClock) -> None:
    opened = await core.pipeline.open_conversation("web", "enschede", "nl")
    (seq,) = await stored_unhandled(core, clock, opened.conversation_id, LATER)
    core.tasks.limit = 0
    core.pipeline.backlog.clear()
    core.pipeline.spawn_handling(opened.conversation_id, seq)   # as a stored message is
    assert core.pipeline.backlog.is_set()                     # the loop is woken for it
    assert await kinds_after(core, opened.conversation_id, seq) == []
    assert await core.pipeline.handle_pending() == 1
    assert await kinds_after(core, opened.conversation_id, seq)


async def test_the_notifier_forgets_conversations_nobody_watches() -> None:
    notifier = Notifier()
    for number in range(500):
        await notifier.wait(notifier.listen(conversation_topic(str(number))), 0)
    watching = notifier.listen(conversation_topic("live"))
    notifier.publish(conversation_topic("1"))
    await asyncio.sleep(0)
    assert notifier.watched() == 1
    notifier.publish(conversation_topic("live"))
    await watching
    await asyncio.sleep(0)
    assert notifier.watched() == 0


@pytest.mark.postgres
async def test_the_pending_scan_can_use_the_partial_index(core: Core) -> None:
    async with core.sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("the plan check is for PostgreSQL")
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(await session.scalars(text(
            "EXPLAIN SELECT id FROM messages WHERE NOT handled AND handle_failed_at IS NULL "
            "AND (handle_after IS NULL OR handle_after <= now()) ORDER BY id LIMIT 100")))
    assert "ix_messages_unhandled" in plan, plan


async def test_the_service_starts_with_a_failing_message_left_over_and_handles_the_rest(
        core: Core, config: Config, clock: FrozenClock, faq: Faq) -> None:
    # As after a crash: stored and acknowledged, never handled; the failing one comes first.
    opened = await core.pipeline.open_conversation("web", "enschede", "nl")
    async with core.sessions.begin() as session:
        for body in (POISON, LATER):
            await repo.add_message(session, conversation_id=opened.conversation_id,
                                   sender="parent", body=body, at=clock.now(), handled=False)
    server = TestServer(create_app(config, clock=clock, faq=faq), host="127.0.0.1", port=0)
    await server.start_server()   # raised out of the start-up before
    try:
        async with aiohttp.ClientSession() as http:
            assert (await http.get(server.make_url("/readyz"))).status == 200
    finally:
        await server.close()
    async with core.sessions() as session:
        rows = (await session.scalars(select(Message).where(
            Message.sender == "parent").order_by(Message.id))).all()
    assert [(m.handled, m.handle_attempts) for m in rows] == [(False, 1), (True, 0)]
    assert await kinds_after(core, opened.conversation_id, rows[1].seq)


async def test_a_failure_in_a_group_keeps_the_others_handling_in_one_commit(
        core: Core, clock: FrozenClock) -> None:
    if not core.sessions.one_writer:
        pytest.skip("messages are handled in groups where there is one writer (SQLite)")
    first = await core.pipeline.open_conversation("web", "enschede", "nl")
    other = await core.pipeline.open_conversation("web", "enschede", "nl")
    # Stored, not handled: the group below takes them.
    seqs = [(first.conversation_id, seq)
            for seq in await stored_unhandled(core, clock, first.conversation_id, LATER, POISON)]
    seqs += [(other.conversation_id, seq)
             for seq in await stored_unhandled(core, clock, other.conversation_id, LATER)]
    commits: list[object] = []
    sqlalchemy.event.listen(core.sessions.kw["bind"].sync_engine, "commit", commits.append)

    waiting = deque(seqs)
    assert await core.pipeline.handle_group(waiting, 60.0) == 3
    assert not waiting and len(commits) == 1                      # one transaction for all three
    assert await kinds_after(core, first.conversation_id, seqs[0][1])
    assert await kinds_after(core, other.conversation_id, seqs[2][1])
    message = await poisoned(core)
    assert (message.handled, message.handle_attempts, message.decision) == (False, 1, None)
    wait = handling_retry_in(1)
    assert wait is not None
    clock.advance(seconds=wait.total_seconds())
    assert await core.pipeline.handle_pending() == 1              # retried alone, failing again
    assert (await poisoned(core)).handle_attempts == 2


async def test_a_group_takes_one_message_at_least_and_more_only_within_its_turn(
        core: Core, clock: FrozenClock) -> None:
    if not core.sessions.one_writer:
        pytest.skip("messages are handled in groups where there is one writer (SQLite)")
    opened = await core.pipeline.open_conversation("web", "enschede", "nl")
    seqs = await stored_unhandled(core, clock, opened.conversation_id, LATER, "Dank je wel!")
    waiting = deque((opened.conversation_id, seq) for seq in seqs)
    assert await core.pipeline.handle_group(waiting, 0.0) == 1 and len(waiting) == 1
    assert await kinds_after(core, opened.conversation_id, seqs[0])
    assert await core.pipeline.handle_group(waiting, 0.0) == 1 and not waiting
    assert "small_talk" in await kinds_after(core, opened.conversation_id, seqs[1])


async def _failing_beside_another(core: Core) -> tuple[Receipt, Receipt, str]:
    """The failing message and a good one of another conversation sent at once (one group on
    SQLite); their receipts and the other conversation, once any handling task is done."""
    first = await core.pipeline.open_conversation("web", "enschede", "nl")
    other = await core.pipeline.open_conversation("web", "enschede", "nl")
    failing, fine = await asyncio.gather(
        core.pipeline.receive(Inbound(first.conversation_id, POISON, "p")),
        core.pipeline.receive(Inbound(other.conversation_id, LATER, "l")))
    await core.tasks.drain()
    return failing, fine, other.conversation_id


async def test_a_message_whose_handling_fails_beside_its_group_is_stored_counted_and_retried(
        core: Core, clock: FrozenClock) -> None:
    """Sent together, a failing handling (on SQLite in the transaction that stores the group,
    in a savepoint of its own) costs neither its own message nor the others' handling."""
    failing, fine, other = await _failing_beside_another(core)
    assert await kinds_after(core, other, fine.seq)
    message = await poisoned(core)
    assert (message.seq, message.handled, message.handle_attempts) == (failing.seq, False, 1)
    wait = handling_retry_in(1)
    assert wait is not None
    clock.advance(seconds=wait.total_seconds())
    assert await core.pipeline.handle_pending() == 1              # the retry loop takes it
    assert (await poisoned(core)).handle_attempts == 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)   # the group's own case
async def test_a_group_whose_handling_fails_as_a_whole_is_stored_without_it_and_handled_later(
        core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    """When even counting a failure fails (the group's transaction is lost after its messages
    were stored in it), the group is stored again without its handling, acknowledged, and
    handled afterwards like any stored message (the queue, or else the retry loop)."""
    async def broken(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("the database hiccups")

    monkeypatch.setattr(repo, "handling_failed", broken)
    failing, fine, other = await _failing_beside_another(core)
    assert (failing.duplicate, fine.duplicate) == (False, False)
    assert await kinds_after(core, other, fine.seq)   # handled after all
    message = await poisoned(core)
    assert (message.seq, message.handled, message.handle_attempts) == (failing.seq, False, 0)
    monkeypatch.undo()
    assert await core.pipeline.handle_pending() == 1              # still due: the loop takes it
    assert (await poisoned(core)).handle_attempts == 1
