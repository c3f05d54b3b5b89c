"""Honest waiting times on a real database: the queued message's place and wait, kept current
as the queue moves, the answer deadline in business hours, and escalation close to it."""

from __future__ import annotations

from datetime import datetime, timedelta

from adviceline.advisers import Adviser
from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.dispatch import Dispatcher
from adviceline.notify import Notifier
from adviceline.storage import repository as repo
from tests.adviceline.conftest import Core, queue_question
from tests.conftest import AMSTERDAM

QUESTION = "welk speelgoed past bij een baby van zes maanden"


async def adviser(core: Core, username: str) -> Adviser:
    async with core.sessions() as session:
        user = await repo.user_by_username(session, username)
    assert user is not None
    return Adviser.from_user(user)


async def ask(core: Core, municipality: str, channel: str = "web") -> str:
    conversation = await core.pipeline.open_conversation(channel, municipality, "nl")
    await queue_question(core, conversation.conversation_id, QUESTION)
    return conversation.conversation_id


async def queued_actions(core: Core, conversation_id: str) -> dict[str, object]:
    messages = await core.pipeline.messages_after(conversation_id, 0)
    [queued] = [m for m in messages if m.kind == "queued"]
    return dict(queued.actions or {})


async def test_the_parent_gets_a_place_a_wait_and_a_deadline_kept_current(
        core: Core, config: Config, clock: FrozenClock) -> None:
    hengelo = await adviser(core, "adviseur.hengelo")
    first = await ask(core, "hengelo")
    clock.advance(minutes=1)
    second = await ask(core, "hengelo")
    one, two = await queued_actions(core, first), await queued_actions(core, second)
    assert (one["position"], two["position"]) == (1, 2)
    assert isinstance(two["estimated_wait_minutes"], int)
    assert two["estimated_wait_minutes"] >= one["estimated_wait_minutes"]
    messages = await core.pipeline.messages_after(second, 0)
    [queued] = [m for m in messages if m.kind == "queued"]
    assert "nummer 2 in de wachtrij" in queued.text and "uiterlijk vandaag" in queued.text
    assert await core.pipeline.queue_status(second) == {
        "status": "waiting", "position": 2,
        "estimated_wait_minutes": two["estimated_wait_minutes"], "answer_by": two["answer_by"]}

    # The first is taken: the dispatcher moves the second up, and says so.
    async with core.sessions() as session:
        question = await repo.open_question(session, first)
    assert question is not None
    await core.desk.claim(hengelo, question.id)
    await Dispatcher(sessions=core.sessions, config=config, clock=clock,
                     notifier=Notifier()).tick()
    assert (await core.pipeline.queue_status(second))["position"] == 1
    assert await core.pipeline.queue_status(first) == {"status": "with_adviser"}


async def test_an_evening_email_gets_a_deadline_in_business_hours(
        core: Core, clock: FrozenClock) -> None:
    # Friday 20:45: the regional pool works until 21:00, then Saturday 10:00-14:00.
    clock.set(datetime(2026, 11, 27, 20, 45, tzinfo=AMSTERDAM))
    conversation = await ask(core, "borne", channel="email")
    actions = await queued_actions(core, conversation)
    answer_by = datetime.fromisoformat(str(actions["answer_by"])).astimezone(AMSTERDAM)
    assert answer_by == datetime(2026, 11, 28, 10, 45, tzinfo=AMSTERDAM)
    messages = await core.pipeline.messages_after(conversation, 0)
    [queued] = [m for m in messages if m.kind == "queued"]
    assert "uiterlijk morgen 10:45" in queued.text
    assert "wachtrij" not in queued.text   # no live place for a left message


async def test_close_to_the_deadline_the_question_is_escalated(
        core: Core, config: Config, clock: FrozenClock) -> None:
    conversation = await ask(core, "hengelo")
    async with core.sessions() as session:
        question = await repo.open_question(session, conversation)
    assert question is not None and question.answer_by is not None
    rounds = Dispatcher(sessions=core.sessions, config=config, clock=clock, notifier=Notifier())
    assert (await rounds.tick())["escalated"] == 0
    clock.set(question.answer_by - timedelta(minutes=config.routing.escalate_before_minutes))
    assert (await rounds.tick())["escalated"] == 1
    assert (await rounds.tick())["escalated"] == 0   # once
    async with core.sessions() as session:
        [escalated] = await repo.escalated_questions(session, ["hengelo"])
        assert await repo.escalated_questions(session, ["enschede"]) == []
    assert escalated.id == question.id and escalated.routed_to_pool
    regio = await adviser(core, "adviseur.regio")
    assert any(q["id"] == question.id for q in await core.desk.queue(regio))
