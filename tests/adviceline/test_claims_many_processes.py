"""Claims across OS processes on PostgreSQL: three processes (four advisers each) take 2,000
questions at once, and each is held by exactly one adviser, none lost; a process killed with
SIGKILL in the middle leaves nothing held by two, its claims go back to the queue (its consoles
are gone) and the others finish the work.

The processes run `tests/adviceline/claim_worker.py`: `AdviserDesk.claim`, the console's own
code path, on an engine of their own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.dispatch import Dispatcher
from adviceline.notify import Notifier
from adviceline.storage.engine import Sessions, create_engine, migrate, session_factory
from adviceline.storage.models import AdviserPresence, Conversation, Question, QuestionEvent, User
from tests.conftest import TUESDAY_MORNING, eventually

ROOT = Path(__file__).resolve().parents[2]
PROCESSES, ADVISERS_PER_PROCESS = 3, 4


@pytest.fixture
async def sessions(config: Config) -> AsyncIterator[Sessions]:
    url = config.database_url.reveal()
    if not url.startswith("postgresql"):
        pytest.skip("claims from several service processes need PostgreSQL (SQLite: one process)")
    engine = create_engine(url)
    await migrate(engine)
    yield session_factory(engine)
    await engine.dispose()


async def seed(sessions: Sessions, questions: int, now: datetime) -> list[list[str]]:
    """Advisers of Enschede (their own municipality: they see its questions whatever the
    hour), one group per process, and `questions` waiting e-mail questions, oldest first."""
    groups = [[f"claimer{p}.{a}" for a in range(ADVISERS_PER_PROCESS)] for p in range(PROCESSES)]
    async with sessions.begin() as session:
        session.add_all(User(username=name, display_name=name, role="adviser",
                             municipalities=["enschede"], regional_pool=False,
                             password_hash="not-a-login", active=True, managed="cli")
                        for group in groups for name in group)
        for n in range(questions):
            conversation = Conversation(id=str(uuid.uuid4()), token_hash=uuid.uuid4().hex,
                                        channel="email", municipality="enschede",
                                        language="nl", last_seq=1, created_at=now)
            session.add(conversation)
            at = now - timedelta(seconds=questions - n)
            session.add(Question(id=str(uuid.uuid4()), conversation_id=conversation.id,
                                 channel="email", municipality="enschede", status="waiting",
                                 priority=0, opened_seq=1, created_at=at, waiting_since=at))
    return groups


class Worker:
    def __init__(self, url: str, shift: float, users: list[str], until_stop: bool) -> None:
        self.users = users
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.adviceline.claim_worker", url, str(shift),
             "until-stop" if until_stop else "until-empty", *users],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def tell(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    async def ready(self) -> None:
        assert self.process.stdout is not None
        line = await asyncio.to_thread(self.process.stdout.readline)
        assert line == "ready\n", line + (self.process.stderr.read() if self.process.stderr
                                          else "")

    async def finish(self, seconds: float = 120) -> list[tuple[str, str]]:
        """Wait for the process to end (or read what a killed one said); its claims."""
        assert self.process.stdout is not None and self.process.stderr is not None
        if self.process.stdin is not None and self.process.returncode is None:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        out, err = await asyncio.to_thread(self._read_all, seconds)
        if self.process.returncode != -signal.SIGKILL:
            assert self.process.returncode == 0, err
        return [(parts[1], parts[2]) for parts in (line.split() for line in out.splitlines())
                if parts and parts[0] == "claimed"]


    def _read_all(self, seconds: float) -> tuple[str, str]:
        assert self.process.stdout is not None and self.process.stderr is not None
        self.process.wait(timeout=seconds)
        return self.process.stdout.read(), self.process.stderr.read()


def start(url: str, groups: list[list[str]], until_stop: bool) -> list[Worker]:
    # One clock for all: Tuesday morning, moving at the real pace.
    shift = (TUESDAY_MORNING - datetime.now(UTC)).total_seconds()
    return [Worker(url, shift, users, until_stop) for users in groups]


async def go(workers: list[Worker]) -> None:
    await asyncio.gather(*(worker.ready() for worker in workers))
    for worker in workers:   # all connected: they start claiming at (nearly) the same moment
        worker.tell("go")


async def at_least(count: Callable[[], Awaitable[int]], wanted: int) -> int | None:
    found = await count()
    return found if found >= wanted else None


async def claim_events(sessions: Sessions) -> dict[str, list[tuple[str, int | None]]]:
    async with sessions() as session:
        rows = (await session.execute(
            select(QuestionEvent.question_id, QuestionEvent.kind, QuestionEvent.adviser_id)
            .where(QuestionEvent.kind.in_(("claimed", "reclaimed")))
            .order_by(QuestionEvent.id))).all()
    events: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
    for question_id, kind, adviser_id in rows:
        events[question_id].append((kind, adviser_id))
    return events


async def holders(sessions: Sessions) -> dict[str, tuple[str, str | None]]:
    async with sessions() as session:
        rows = (await session.execute(
            select(Question.id, Question.status, User.username)
            .outerjoin(User, User.id == Question.claimed_by))).all()
    return {question_id: (status, username) for question_id, status, username in rows}


async def test_three_processes_claim_two_thousand_questions_each_exactly_once(
        sessions: Sessions, config: Config) -> None:
    total = 2000
    groups = await seed(sessions, total, TUESDAY_MORNING)
    workers = start(config.database_url.reveal(), groups, until_stop=False)
    await go(workers)
    told = [claim for worker in workers for claim in await worker.finish()]

    # Every claim an adviser was told succeeded is one question, held by that adviser.
    assert len(told) == total
    assert Counter(question for question, _ in told).most_common(1)[0][1] == 1
    final = await holders(sessions)
    assert all(final[question] == ("claimed", user) for question, user in told)
    assert len(final) == total   # none lost
    # One claim event per question, and the processes really raced for the same questions.
    events = await claim_events(sessions)
    assert sorted(len(kinds) for kinds in events.values()) == [1] * total
    by_process = Counter(next(i for i, group in enumerate(groups) if user in group)
                         for _, user in told)
    assert len(by_process) == PROCESSES, by_process


async def test_a_process_killed_while_claiming_leaves_nothing_held_by_two(
        sessions: Sessions, config: Config) -> None:
    total = 600
    groups = await seed(sessions, total, TUESDAY_MORNING)
    workers = start(config.database_url.reveal(), groups, until_stop=True)
    victim, survivors = workers[0], workers[1:]
    async with sessions() as session:
        victim_ids = set(await session.scalars(select(User.id).where(
            User.username.in_(victim.users))))

    async def victim_holds() -> int:
        async with sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(Question).where(
                Question.status == "claimed", Question.claimed_by.in_(victim_ids))) or 0)

    await go(workers)
    await eventually(lambda: at_least(victim_holds, 30), timeout=60)
    victim.process.send_signal(signal.SIGKILL)   # in the middle of its work
    victim_told = await victim.finish()
    held = await victim_holds()
    assert held >= 30

    # Its consoles are gone: once they have not been seen for disconnected_after_seconds while
    # the others' still are, the dispatcher takes its claims back to the queue.
    async with sessions() as session:
        last_seen = await session.scalar(select(func.max(AdviserPresence.seen_at)).where(
            AdviserPresence.user_id.in_(victim_ids)))
    assert last_seen is not None

    async def survivors_seen_since() -> bool | None:
        async with sessions() as session:
            seen = await session.scalar(select(func.min(AdviserPresence.seen_at))
                                        .where(AdviserPresence.user_id.not_in(victim_ids)))
        return True if seen is not None and seen > last_seen + timedelta(seconds=2) else None

    await eventually(survivors_seen_since, timeout=30)
    gone_after = timedelta(seconds=config.routing.disconnected_after_seconds)
    clock = FrozenClock(last_seen + gone_after + timedelta(seconds=1))
    counts = await Dispatcher(sessions=sessions, config=config, clock=clock,
                              notifier=Notifier()).tick()
    assert counts["reclaimed"] == held
    assert await victim_holds() == 0
    for worker in survivors:
        worker.tell("stop")
    told = [claim for worker in survivors for claim in await worker.finish()]

    final = await holders(sessions)
    assert len(final) == total
    assert all(status == "claimed" for status, _ in final.values())   # the others finished
    survivor_users = {user for worker in survivors for user in worker.users}
    assert {user for _, user in final.values()} <= survivor_users
    # Never two holders: per question the claims alternate with the returns to the queue, and
    # the survivors were told "yours" for a question once, by the one who holds it now.
    events = await claim_events(sessions)
    for kinds in events.values():
        assert [kind for kind, _ in kinds] == ["claimed", "reclaimed"] * \
            ((len(kinds) - 1) // 2) + ["claimed"]
    assert sum(1 for kinds in events.values() if len(kinds) == 3) == held
    assert Counter(question for question, _ in told).most_common(1)[0][1] == 1
    assert all(final[question] == ("claimed", user) for question, user in told)
    assert len(told) == total   # each question's last claim is a survivor's
    # What the killed process was told it had went back to the queue and is someone else's.
    assert all(final[question][1] in survivor_users for question, _ in victim_told)
