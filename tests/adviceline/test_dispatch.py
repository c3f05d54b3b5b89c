"""Offer, then assign on a real database: offers, declines, the pool, reclaims and presence."""

from __future__ import annotations

import pytest

from adviceline.advisers import Adviser
from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.dispatch import Dispatcher
from adviceline.domain import Conflict, Invalid, NotFound
from adviceline.notify import Notifier
from adviceline.storage import repository as repo
from adviceline.storage.models import Question
from tests.adviceline.conftest import Core, queue_question


async def adviser(core: Core, username: str) -> Adviser:
    async with core.sessions() as session:
        user = await repo.user_by_username(session, username)
    assert user is not None
    return Adviser.from_user(user)


def dispatcher(core: Core, config: Config, clock: FrozenClock) -> Dispatcher:
    return Dispatcher(sessions=core.sessions, config=config, clock=clock, notifier=Notifier())


async def question_of(core: Core, conversation_id: str) -> Question:
    async with core.sessions() as session:
        for question in await repo.waiting_questions(session):
            if question.conversation_id == conversation_id:
                return question
    raise AssertionError("no open question")


async def ask(core: Core, municipality: str,
              text: str = "welk speelgoed past bij een baby van zes maanden") -> str:
    conversation = await core.pipeline.open_conversation("web", municipality, "nl")
    await queue_question(core, conversation.conversation_id, text)
    return conversation.conversation_id


async def test_offered_to_the_own_desk_and_accepted(core: Core, config: Config,
                                                    clock: FrozenClock) -> None:
    enschede, regio = await adviser(core, "adviseur.enschede"), await adviser(core,
                                                                              "adviseur.regio")
    await core.desk.set_presence(regio, "available")
    await core.desk.set_presence(enschede, "available")
    conversation = await ask(core, "enschede")
    assert (await dispatcher(core, config, clock).tick())["offered"] == 1
    question = await question_of(core, conversation)
    assert question.offered_to == enschede.id
    [shown] = [q for q in await core.desk.queue(enschede) if q["id"] == question.id]
    assert shown["offered_to_me"] and shown["parent_waiting"]
    # A pool adviser does not see it while Enschede's desk is staffed.
    assert all(q["id"] != question.id for q in await core.desk.queue(regio))
    await core.desk.claim(enschede, question.id)
    claimed = await question_of(core, conversation)
    assert (claimed.status, claimed.claimed_by, claimed.offered_to) == \
        ("claimed", enschede.id, None)


async def test_without_presence_nobody_gets_offers(core: Core, config: Config,
                                                   clock: FrozenClock) -> None:
    await ask(core, "enschede")
    assert (await dispatcher(core, config, clock).tick())["offered"] == 0


async def test_declined_at_the_own_desk_goes_to_the_pool(core: Core, config: Config,
                                                         clock: FrozenClock) -> None:
    hengelo, regio = await adviser(core, "adviseur.hengelo"), await adviser(core,
                                                                            "adviseur.regio")
    await core.desk.set_presence(hengelo, "available")
    await core.desk.set_presence(regio, "available")
    conversation = await ask(core, "hengelo")
    rounds = dispatcher(core, config, clock)
    await rounds.tick()
    question = await question_of(core, conversation)
    assert question.offered_to == hengelo.id
    with pytest.raises(NotFound):
        await core.desk.decline(regio, question.id)   # not theirs to see
    await core.desk.decline(hengelo, question.id)
    with pytest.raises(Conflict):
        await core.desk.decline(hengelo, question.id)   # no longer offered to them
    assert (await rounds.tick())["to_pool"] == 1
    assert (await rounds.tick())["offered"] == 1
    pooled = await question_of(core, conversation)
    assert pooled.routed_to_pool and pooled.offered_to == regio.id
    assert any(q["id"] == question.id for q in await core.desk.queue(regio))


async def test_when_the_pool_said_no_too_a_new_round_offers_it_again(
        core: Core, config: Config, clock: FrozenClock) -> None:
    """No question is stranded to be picked by chance: after everyone declined, a pause of
    one offer time, then the offers start again (the declines forgotten)."""
    hengelo, regio = await adviser(core, "adviseur.hengelo"), await adviser(core,
                                                                            "adviseur.regio")
    await core.desk.set_presence(hengelo, "available")
    await core.desk.set_presence(regio, "available")
    conversation = await ask(core, "hengelo")
    rounds = dispatcher(core, config, clock)
    await rounds.tick()
    question_id = (await question_of(core, conversation)).id
    await core.desk.decline(hengelo, question_id)
    await rounds.tick()   # to the pool
    await rounds.tick()   # offered to the pool adviser
    await core.desk.decline(regio, question_id)
    assert (await rounds.tick())["offered"] == 0       # not straight back to who said no
    clock.advance(seconds=config.routing.offer_seconds)
    await core.desk.set_presence(regio, "available")   # the console's heartbeat
    assert (await rounds.tick())["offered"] == 1
    again = await question_of(core, conversation)
    assert again.offered_to == regio.id and again.declined_by == []
    await core.desk.claim(regio, question_id)


async def test_an_offer_nobody_accepts_lapses_and_the_pool_takes_over(
        core: Core, config: Config, clock: FrozenClock) -> None:
    hengelo, regio = await adviser(core, "adviseur.hengelo"), await adviser(core,
                                                                            "adviseur.regio")
    await core.desk.set_presence(hengelo, "available")
    conversation = await ask(core, "hengelo")
    rounds = dispatcher(core, config, clock)
    await rounds.tick()
    clock.advance(seconds=config.routing.offer_seconds)
    await core.desk.set_presence(regio, "available")
    counts = await rounds.tick()
    assert (counts["lapsed"], counts["to_pool"]) == (1, 1)
    await rounds.tick()
    assert (await question_of(core, conversation)).offered_to == regio.id


async def test_a_claim_without_a_reply_goes_back_to_its_old_place(
        core: Core, config: Config, clock: FrozenClock) -> None:
    enschede = await adviser(core, "adviseur.enschede")
    first = await ask(core, "enschede")
    clock.advance(minutes=1)
    await ask(core, "enschede", "hoe leer ik mijn dochter van 3 zindelijk te worden overdag")
    old = await question_of(core, first)
    await core.desk.set_presence(enschede, "busy")
    await core.desk.claim(enschede, old.id)
    rounds = dispatcher(core, config, clock)
    clock.advance(minutes=config.routing.claim_reply_minutes - 1)
    await core.desk.console_seen(enschede)
    assert (await rounds.tick())["reclaimed"] == 0
    clock.advance(minutes=1)
    await core.desk.console_seen(enschede)
    assert (await rounds.tick())["reclaimed"] == 1
    back = await question_of(core, first)
    assert (back.status, back.claimed_by, back.waiting_since) == \
        ("waiting", None, old.waiting_since)
    queue = await core.desk.queue(enschede)
    assert queue[0]["id"] == old.id   # still before the younger question


async def test_a_reply_in_time_keeps_the_claim(core: Core, config: Config,
                                               clock: FrozenClock) -> None:
    enschede = await adviser(core, "adviseur.enschede")
    conversation = await ask(core, "enschede")
    question = await question_of(core, conversation)
    await core.desk.claim(enschede, question.id)
    await core.desk.reply(enschede, question.id, "Goed dat je het vraagt.")
    clock.advance(minutes=config.routing.claim_reply_minutes + 5)
    assert (await dispatcher(core, config, clock).tick())["reclaimed"] == 0


async def test_going_away_or_losing_the_console_returns_the_claims(
        core: Core, config: Config, clock: FrozenClock) -> None:
    enschede, regio = await adviser(core, "adviseur.enschede"), await adviser(core,
                                                                              "adviseur.regio")
    one, two = await ask(core, "enschede"), await ask(core, "almelo")
    await core.desk.console_seen(enschede)
    await core.desk.console_seen(regio)
    await core.desk.claim(enschede, (await question_of(core, one)).id)
    await core.desk.claim(regio, (await question_of(core, two)).id)
    await core.desk.set_presence(enschede, "away")
    assert (await question_of(core, one)).status == "waiting"
    clock.advance(seconds=config.routing.disconnected_after_seconds)
    await dispatcher(core, config, clock).tick()
    assert (await question_of(core, two)).status == "waiting"


async def test_presence_is_checked_and_reported(core: Core) -> None:
    enschede = await adviser(core, "adviseur.enschede")
    assert (await core.desk.presence(enschede))["status"] is None
    await core.desk.console_seen(enschede)
    assert (await core.desk.presence(enschede))["status"] == "available"
    await core.desk.set_presence(enschede, "busy")
    assert (await core.desk.presence(enschede))["status"] == "busy"
    with pytest.raises(Invalid):
        await core.desk.set_presence(enschede, "lunch")


async def test_a_crisis_is_offered_to_whoever_is_on_duty(core: Core, config: Config,
                                                         clock: FrozenClock) -> None:
    hengelo = await adviser(core, "adviseur.hengelo")
    await core.desk.set_presence(hengelo, "available")
    conversation = await core.pipeline.open_conversation("web", "almelo", "nl")
    await queue_question(core, conversation.conversation_id,
                         "mijn man slaat mij en de kinderen, ik ben bang")
    question = await question_of(core, conversation.conversation_id)
    assert question.priority >= 100
    await dispatcher(core, config, clock).tick()
    assert (await question_of(core, conversation.conversation_id)).offered_to == hengelo.id


async def test_the_queue_puts_a_waiting_parent_before_an_old_left_message(
        core: Core, config: Config, clock: FrozenClock) -> None:
    enschede = await adviser(core, "adviseur.enschede")
    old = await ask(core, "enschede")
    clock.advance(minutes=config.routing.parent_waiting_minutes + 1)
    fresh = await ask(core, "enschede", "hoe leer ik mijn dochter van 3 zindelijk te worden")
    ids = [q["id"] for q in await core.desk.queue(enschede)]
    assert ids == [(await question_of(core, fresh)).id, (await question_of(core, old)).id]
