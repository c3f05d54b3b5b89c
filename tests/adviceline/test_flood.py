"""A flood of crisis messages does not bury the real ones: past [rate_limits]
crisis_per_address_per_hour (conversations opened from one address) or
crisis_per_conversation_per_day, a crisis is queued as an ordinary question marked "possible
flood" for advisers, while the parent still gets the emergency numbers."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from sqlalchemy import select

from adviceline.advisers import Adviser
from adviceline.clock import FrozenClock
from adviceline.config import Config, RateLimitSettings
from adviceline.erasure import Erasure
from adviceline.faq import Faq
from adviceline.notify import Notifier
from adviceline.storage import repository as repo
from adviceline.storage.models import Conversation, Question
from routing.queue import CONCERN_PRIORITY, CRISIS_PRIORITY
from tests.adviceline.conftest import Core, ask
from tests.adviceline.test_safety import ScriptedDetector

FLOODER, PARENT = "203.0.113.66", "198.51.100.7"


@pytest.fixture(scope="module")
def faq(base_config: Config) -> Faq:
    return Faq(base_config, crisis=ScriptedDetector())


@pytest.fixture
def config(config: Config) -> Config:
    return replace(config, rate_limits=RateLimitSettings(
        crisis_per_address_per_hour=3, crisis_per_conversation_per_day=2))


async def crisis_from(core: Core, source: str | None, text: str = "[crisis] help") -> str:
    opened = await core.pipeline.open_conversation("webchat", "enschede", "nl", source=source)
    await ask(core, opened.conversation_id, text)
    return opened.conversation_id


async def question_of(core: Core, conversation_id: str) -> Question:
    async with core.sessions() as session:
        question = await repo.latest_question(session, conversation_id)
    assert question is not None
    return question


async def enschede_adviser(core: Core) -> Adviser:
    async with core.sessions() as session:
        user = await repo.user_by_username(session, "adviseur.enschede")
    assert user is not None
    return Adviser.from_user(user)


async def test_crises_past_the_address_cap_are_queued_as_a_possible_flood(
        core: Core, clock: FrozenClock) -> None:
    flooded = [await crisis_from(core, FLOODER) for _ in range(6)]
    real = await crisis_from(core, PARENT)
    questions = [await question_of(core, cid) for cid in flooded]
    assert [q.priority for q in questions] == [CRISIS_PRIORITY] * 3 + [0] * 3
    assert [q.flood for q in questions] == [False] * 3 + [True] * 3
    assert all(q.status == "waiting" and q.crisis_category for q in questions)
    # Every parent, flood or not, got the emergency numbers at once.
    for cid in flooded:
        kinds = [m.kind for m in await core.pipeline.messages_after(cid, 0)]
        assert "crisis" in kinds and "queued" in kinds
    assert (await question_of(core, real)).priority == CRISIS_PRIORITY   # another address

    # Advisers see the real crises first and the rest marked.
    queue = await core.desk.queue(await enschede_adviser(core))
    order = [item["id"] for item in queue]
    real_ids = {q.id for q in questions[:3]} | {(await question_of(core, real)).id}
    assert set(order[:4]) == real_ids
    assert [item["flood"] for item in queue if item["id"] in {q.id for q in questions[3:]}] == \
        [True] * 3
    assert not any(item["flood"] for item in queue[:4])

    # The count is per hour: an hour later the address is trusted again.
    clock.advance(hours=1, minutes=1)
    later = await question_of(core, await crisis_from(core, FLOODER))
    assert later.priority == CRISIS_PRIORITY and not later.flood


async def test_a_marked_question_is_not_raised_again_by_follow_ups(core: Core) -> None:
    for _ in range(3):
        await crisis_from(core, FLOODER)
    cid = await crisis_from(core, FLOODER)
    await ask(core, cid, "[crisis] echt waar, nu")
    question = await question_of(core, cid)
    assert question.flood and question.priority < CONCERN_PRIORITY
    kinds = [m.kind for m in await core.pipeline.messages_after(cid, 0)]
    assert kinds.count("crisis") == 1   # the numbers once, not per follow-up


async def test_crises_past_the_conversation_cap_are_a_possible_flood(core: Core) -> None:
    adviser = await enschede_adviser(core)
    cid = await crisis_from(core, None, "[concern] ik weet het niet")
    await ask(core, cid, "[crisis] nu wel")    # two signals in one question: within the cap
    first = await question_of(core, cid)
    assert first.priority == CRISIS_PRIORITY and not first.flood
    await core.desk.claim(adviser, first.id)
    await core.desk.close(adviser, first.id, next(iter(core.faq.kb.topics)))
    await ask(core, cid, "[crisis] weer")
    second = await question_of(core, cid)
    assert second.id != first.id and second.flood and second.priority == 0


async def test_the_source_is_kept_only_as_a_keyed_hash_and_goes_with_erasure(
        core: Core, clock: FrozenClock) -> None:
    cid = await crisis_from(core, FLOODER)
    again = await crisis_from(core, FLOODER)
    async with core.sessions() as session:
        hashes = list(await session.scalars(select(Conversation.source_hash)))
    assert len(hashes) == 2 and hashes[0] == hashes[1] and len(hashes[0] or "") == 64
    assert hashes[0] != hashlib.sha256(FLOODER.encode()).hexdigest()   # keyed, not guessable
    await Erasure(sessions=core.sessions, clock=clock, notifier=Notifier(),
                  retention_days=90).erase_for_parent(cid)
    async with core.sessions() as session:
        erased = await session.get(Conversation, cid)
        kept = await session.get(Conversation, again)
    assert erased is not None and erased.source_hash is None
    assert kept is not None and kept.source_hash == hashes[0]
