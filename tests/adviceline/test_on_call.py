"""On call on a real database: the rota's on-call advisers are called once per question, the
call is an event and a notice in their console, and they can open the question."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy import select

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.dispatch import Dispatcher
from adviceline.domain import NotFound
from adviceline.notify import Notifier
from adviceline.storage.models import OnCallNotice, QuestionEvent
from routing.rota import ON_CALL, REGIONAL_POOL, Rota, shifts_from_mapping
from tests.adviceline.conftest import Core, adviser_named, queue_question

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CRISIS_TEXT = "mijn man slaat mij en de kinderen, ik ben bang"


@pytest.fixture
def on_call_config(config: Config) -> Config:
    # Bram is on call for Hengelo, Carin for the regional pool; nobody for Enschede.
    rota = Rota((*shifts_from_mapping("adviseur.hengelo", "hengelo", ON_CALL, DAYS,
                                      ["00:00-23:59"]),
                 *shifts_from_mapping("adviseur.regio", REGIONAL_POOL, ON_CALL, DAYS,
                                      ["00:00-23:59"])), (), (), config.rota.time_zone)
    return replace(config, rota=rota)


def rounds(core: Core, config: Config, clock: FrozenClock) -> Dispatcher:
    return Dispatcher(sessions=core.sessions, config=config, clock=clock, notifier=Notifier())


async def open_question(core: Core, municipality: str, text: str) -> str:
    conversation = await core.pipeline.open_conversation("web", municipality, "nl")
    await queue_question(core, conversation.conversation_id, text)
    return conversation.conversation_id


async def called_events(core: Core) -> list[tuple[str, int | None]]:
    async with core.sessions() as session:
        return [(e.question_id, e.adviser_id) for e in await session.scalars(
            select(QuestionEvent).where(QuestionEvent.kind == "on_call_notified")
            .order_by(QuestionEvent.id))]


async def test_a_crisis_calls_the_own_desk_and_the_pool_at_once_and_only_once(
        core: Core, on_call_config: Config, clock: FrozenClock) -> None:
    bram = await adviser_named(core, "adviseur.hengelo")
    carin = await adviser_named(core, "adviseur.regio")
    anouk = await adviser_named(core, "adviseur.enschede")
    await open_question(core, "hengelo", CRISIS_TEXT)
    dispatcher = rounds(core, on_call_config, clock)
    assert (await dispatcher.tick())["on_call"] == 1
    assert (await dispatcher.tick())["on_call"] == 0   # never twice for one question
    clock.advance(hours=2)
    assert (await dispatcher.tick())["on_call"] == 0
    events = await called_events(core)
    assert sorted(adviser for _, adviser in events) == sorted([bram.id, carin.id])

    [notice] = await core.desk.on_call(bram)
    assert (notice["reason"], notice["crisis"], notice["status"], notice["municipality"]) == \
        ("crisis", True, "waiting", "hengelo")
    assert notice["question_id"] == events[0][0]
    assert "text" not in notice and "preview" not in notice   # a call carries no content
    assert await core.desk.on_call(anouk) == []
    with pytest.raises(NotFound):
        await core.desk.on_call_seen(anouk, notice["id"])   # not hers
    await core.desk.on_call_seen(bram, notice["id"])
    assert await core.desk.on_call(bram) == []
    assert len(await core.desk.on_call(carin)) == 1


async def test_an_untaken_question_calls_after_the_threshold_and_the_called_can_open_it(
        core: Core, on_call_config: Config, clock: FrozenClock) -> None:
    carin = await adviser_named(core, "adviseur.regio")
    await open_question(core, "enschede", "welk speelgoed past bij een baby van zes maanden")
    dispatcher = rounds(core, on_call_config, clock)
    assert (await dispatcher.tick())["on_call"] == 0
    # Enschede's desk is open, so the pool adviser does not see its question yet.
    assert await core.desk.queue(carin) == []
    clock.advance(minutes=on_call_config.routing.on_call_after_minutes - 1)
    assert (await dispatcher.tick())["on_call"] == 0
    clock.advance(minutes=1)
    assert (await dispatcher.tick())["on_call"] == 1
    # Enschede has nobody on call: the pool's on-call adviser is called, and may take it.
    [(question_id, adviser_id)] = await called_events(core)
    assert adviser_id == carin.id
    [notice] = await core.desk.on_call(carin)
    assert notice["reason"] == "untaken"
    assert [q["id"] for q in await core.desk.queue(carin)] == [question_id]
    await core.desk.claim(carin, question_id)
    assert (await core.desk.on_call(carin))[0]["status"] == "claimed"


async def test_close_to_the_promised_time_calls_and_a_claimed_question_does_not(
        core: Core, on_call_config: Config, clock: FrozenClock) -> None:
    bram = await adviser_named(core, "adviseur.hengelo")
    carin = await adviser_named(core, "adviseur.regio")
    config = replace(on_call_config, routing=replace(on_call_config.routing,
                                                     on_call_after_minutes=24 * 60))
    await open_question(core, "hengelo", "welk speelgoed past bij een baby van zes maanden")
    await open_question(core, "borne", "hoe leer ik mijn dochter van 3 zindelijk te worden")
    queue = await core.desk.queue(bram)
    borne = next(q["id"] for q in queue if q["municipality"] == "borne")
    await core.desk.claim(bram, borne)
    await core.desk.reply(bram, borne, "Goed dat je het vraagt; ik denk met je mee.")
    dispatcher = rounds(core, config, clock)
    assert (await dispatcher.tick())["on_call"] == 0
    clock.advance(hours=8)   # well past any promise made at 10:00
    assert (await dispatcher.tick())["on_call"] == 1
    # Escalated to the pool by now: Hengelo's on-call adviser and the pool's are called.
    events = await called_events(core)
    assert sorted(adviser for _, adviser in events) == sorted([bram.id, carin.id])
    assert borne not in {question for question, _ in events}
    assert (await core.desk.on_call(bram))[0]["reason"] == "deadline"


async def test_each_step_is_taken_once_by_dispatchers_of_several_processes(
        core: Core, on_call_config: Config, clock: FrozenClock) -> None:
    """Two dispatchers, each with its own engine (as two service processes have), tick at the
    same moments through the whole escalation: every step, call and event exists once."""
    from adviceline.storage.engine import create_engine, session_factory

    # No deadline calls in this hour: only the untaken steps.
    on_call_config = replace(on_call_config, routing=replace(on_call_config.routing,
                                                             escalate_before_minutes=0))
    second_engine = create_engine(on_call_config.database_url.reveal())
    try:
        first = rounds(core, on_call_config, clock)
        second = Dispatcher(sessions=session_factory(second_engine), config=on_call_config,
                            clock=clock, notifier=Notifier())
        for _ in range(5):
            await open_question(core, "hengelo",
                                "welk speelgoed past bij een baby van zes maanden")
        await open_question(core, "enschede", CRISIS_TEXT)
        routing = on_call_config.routing
        steps = 0
        for minutes in (0, routing.on_call_after_minutes, routing.on_call_escalate_minutes,
                        routing.on_call_escalate_minutes, 60):
            clock.advance(minutes=minutes)
            for _ in range(3):
                done = await asyncio.gather(first.tick(), second.tick())
                steps += sum(counts["on_call"] for counts in done)
        # The crisis: one step (everyone at once); each ordinary question: three.
        assert steps == 1 + 5 * 3
        async with core.sessions() as session:
            kinds = [(e.question_id, e.kind, e.adviser_id) for e in await session.scalars(
                select(QuestionEvent).where(QuestionEvent.kind.in_(
                    ("on_call_notified", "coordinator_notified"))))]
            notices = list(await session.scalars(select(OnCallNotice)))
        assert len(kinds) == len(set(kinds)) == len(notices)
        bram = await adviser_named(core, "adviseur.hengelo")
        carin = await adviser_named(core, "adviseur.regio")
        called = [adviser for _, kind, adviser in kinds if kind == "on_call_notified"]
        # Each ordinary question: Bram, then Carin; the crisis in Enschede: Carin only.
        assert sorted(called) == sorted([bram.id] * 5 + [carin.id] * 6)
    finally:
        await second_engine.dispose()
