"""The pipeline against a real database (SQLite file and PostgreSQL), without the web."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from adviceline.advisers import Adviser
from adviceline.clock import FrozenClock
from adviceline.domain import Conflict, Inbound, Invalid, NotFound
from adviceline.stats import answer_stats, answer_stats_per_municipality
from adviceline.storage.models import Message, Question, QuestionEvent
from routing.queue import CRISIS_PRIORITY
from tests.adviceline.conftest import Core, ask, kinds_after, queue_question
from tests.conftest import AMSTERDAM, answerable

CRISIS = "mijn dochter van 15 zegt dat ze niet meer wil leven en ze heeft pillen verzameld"
OUT_OF_SCOPE = "Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?"


async def test_concurrent_messages_get_gapless_unique_sequence_numbers(core: Core) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    receipts = await asyncio.gather(*(
        core.pipeline.receive(Inbound(conversation.conversation_id, f"vraag {i}", f"c{i}"))
        for i in range(20)))
    await core.tasks.drain()
    parent_seqs = sorted(r.seq for r in receipts)
    messages = await core.pipeline.messages_after(conversation.conversation_id, 0)
    assert [m.seq for m in messages] == list(range(1, len(messages) + 1))
    assert len(set(parent_seqs)) == 20


async def test_a_resent_message_is_stored_once(core: Core) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    first = await core.pipeline.receive(Inbound(conversation.conversation_id, "hallo", "abc"))
    again = await core.pipeline.receive(Inbound(conversation.conversation_id, "hallo", "abc"))
    await core.tasks.drain()
    assert (again.seq, again.duplicate, first.duplicate) == (first.seq, True, False)
    async with core.sessions() as session:
        count = await session.scalar(select(func.count(Message.id)).where(
            Message.conversation_id == conversation.conversation_id, Message.sender == "parent"))
    assert count == 1


async def test_bad_input_is_refused_and_nothing_is_stored(core: Core) -> None:
    conversation = await core.pipeline.open_conversation("web", None, "nl")
    for text in ("", "   ", "x" * 4001):
        with pytest.raises(Invalid):
            await core.pipeline.receive(Inbound(conversation.conversation_id, text, None))
    with pytest.raises(NotFound):
        await core.pipeline.receive(Inbound("no-such-conversation", "hallo", None))
    assert await core.pipeline.messages_after(conversation.conversation_id, 0) == []


async def test_faq_answer_and_helpful_feedback(core: Core) -> None:
    entry = answerable(core.faq)[0]
    conversation = await core.pipeline.open_conversation("web", "borne", "nl")
    seq = await ask(core, conversation.conversation_id, entry.question)
    [answer] = await core.pipeline.messages_after(conversation.conversation_id, seq)
    assert (answer.kind, answer.actions["entry"]) == ("faq_answer", entry.id)
    assert "{{" not in answer.text
    await core.pipeline.feedback(conversation.conversation_id, answer.seq, True)
    await core.pipeline.feedback(conversation.conversation_id, answer.seq, True)   # a resend
    async with core.sessions() as session:
        question = await session.scalar(select(Question))
        kinds = (await session.scalars(select(QuestionEvent.kind).order_by(QuestionEvent.id))).all()
        decision = await session.scalar(select(Message.decision).where(Message.seq == seq))
    assert question.status == "faq_answered" and question.topic == entry.topic
    assert kinds == ["received", "faq_answered", "faq_helpful"]
    assert decision["entry"] == entry.id and decision["decision"] == "answer"
    assert "runner_up" in decision and decision["score"] > 0


async def test_unhelpful_answer_goes_to_the_queue(core: Core) -> None:
    entry = answerable(core.faq)[0]
    conversation = await core.pipeline.open_conversation("web", "borne", "nl")
    seq = await ask(core, conversation.conversation_id, entry.question)
    [answer] = await core.pipeline.messages_after(conversation.conversation_id, seq)
    await core.pipeline.feedback(conversation.conversation_id, answer.seq, False)
    assert await kinds_after(core, conversation.conversation_id, answer.seq) == ["queued"]
    async with core.sessions() as session:
        assert (await session.scalar(select(Question))).status == "waiting"


async def test_out_of_scope_goes_to_an_adviser_with_a_promise(core: Core) -> None:
    assert core.faq.decide(OUT_OF_SCOPE).outcome == "route"
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    seq = await ask(core, conversation.conversation_id, OUT_OF_SCOPE)
    [queued] = await core.pipeline.messages_after(conversation.conversation_id, seq)
    assert queued.kind == "queued"
    assert "Enschede" in queued.text and "11:00" in queued.text   # 10:00 + the 60-minute promise


async def test_crisis_shows_emergency_numbers_and_jumps_the_queue(core: Core) -> None:
    ordinary = await core.pipeline.open_conversation("web", "enschede", "nl")
    await queue_question(core, ordinary.conversation_id, OUT_OF_SCOPE)
    crisis = await core.pipeline.open_conversation("web", "enschede", "nl")
    seq = await ask(core, crisis.conversation_id, CRISIS)
    messages = await core.pipeline.messages_after(crisis.conversation_id, seq)
    assert [m.kind for m in messages] == ["crisis", "queued"]
    for number in ("112", "0800-2000", "0800-0113", "0800-0432"):
        assert number in messages[0].text
    assert not any(m.kind == "faq_answer" for m in messages)
    adviser = await _adviser(core, "adviseur.enschede")
    queue = await core.desk.queue(adviser)
    assert queue[0]["crisis"] and queue[0]["crisis_category"]
    async with core.sessions() as session:
        question = await session.get(Question, queue[0]["id"])
    assert question.priority == CRISIS_PRIORITY


async def test_a_crisis_while_waiting_raises_priority(core: Core) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    await queue_question(core, conversation.conversation_id, OUT_OF_SCOPE)
    seq = await ask(core, conversation.conversation_id, CRISIS)
    assert await kinds_after(core, conversation.conversation_id, seq) == ["crisis"]
    async with core.sessions() as session:
        assert (await session.scalar(select(Question))).priority == CRISIS_PRIORITY


async def test_unhandled_messages_are_handled_after_a_restart(core: Core) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    async with core.sessions.begin() as session:
        from adviceline.storage import repository as repo
        await repo.add_message(session, conversation_id=conversation.conversation_id,
                               sender="parent", body=OUT_OF_SCOPE, at=core.pipeline._clock.now(),
                               handled=False)
    assert await core.pipeline.handle_pending() == 1
    assert await core.pipeline.handle_pending() == 0
    assert "queued" in await kinds_after(core, conversation.conversation_id, 0)


async def test_advisers_see_only_their_municipalities_until_the_desk_closes(
        core: Core, clock: FrozenClock) -> None:
    conversation = await core.pipeline.open_conversation("web", "hengelo", "nl")
    await queue_question(core, conversation.conversation_id, OUT_OF_SCOPE)
    hengelo = await _adviser(core, "adviseur.hengelo")
    pool = await _adviser(core, "adviseur.regio")
    assert len(await core.desk.queue(hengelo)) == 1
    assert await core.desk.queue(pool) == []
    clock.advance(hours=8)   # 18:00: Hengelo's desk has closed, the regional pool works
    assert len(await core.desk.queue(pool)) == 1


async def test_statistics_from_stored_events(core: Core, clock: FrozenClock) -> None:
    adviser = await _adviser(core, "adviseur.enschede")
    for minutes in (5, 10, 30, 60):
        conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
        await queue_question(core, conversation.conversation_id, OUT_OF_SCOPE)
        [item] = [q for q in await core.desk.queue(adviser) if q["status"] == "waiting"]
        clock.advance(minutes=minutes)
        await core.desk.claim(adviser, item["id"])
        await core.desk.reply(adviser, item["id"], "Een antwoord.")
        await core.desk.close(adviser, item["id"], "hulp-zoeken")
    waiting = await core.pipeline.open_conversation("web", "enschede", "nl")
    await queue_question(core, waiting.conversation_id, OUT_OF_SCOPE)
    elsewhere = await core.pipeline.open_conversation("web", "losser", "nl")
    await queue_question(core, elsewhere.conversation_id, OUT_OF_SCOPE)

    day = clock.now().astimezone(AMSTERDAM).date()
    stats = await answer_stats(core.sessions, day, day, "enschede", AMSTERDAM)
    assert (stats.received, stats.answered_by_adviser, stats.still_waiting) == (5, 4, 1)
    assert stats.median_first_response_minutes == 10.0   # nearest rank of 5, 10, 30, 60
    assert stats.p90_first_response_minutes == 60.0
    region = await answer_stats(core.sessions, day, day, None, AMSTERDAM)
    assert region.received == 6
    per = await answer_stats_per_municipality(core.sessions, day, day,
                                              ["enschede", "losser", "borne"], AMSTERDAM,
                                              whole_region=True)
    assert per["enschede"] == stats
    assert per[None] == region
    assert (per["losser"].received, per["losser"].still_waiting, per["borne"].received) == (1, 1, 0)
    yesterday = await answer_stats(core.sessions, day - timedelta(days=1),
                                   day - timedelta(days=1), None, AMSTERDAM)
    assert yesterday.received == 0


async def _adviser(core: Core, username: str) -> Adviser:
    from adviceline.storage import repository as repo

    async with core.sessions() as session:
        user = await repo.user_by_username(session, username)
    assert user is not None
    return Adviser.from_user(user)


VAGUE = ("ruzie", "mijn kind is boos", "hoe praat ik met mijn kind", "mijn kind wil niet")


async def test_suggestions_let_the_parent_pick_an_entry_or_ask_an_adviser(
        core: Core, clock: FrozenClock) -> None:
    vague = next((q for q in VAGUE if core.faq.decide(q).outcome == "suggest"), None)
    assert vague is not None, "none of the vague questions gets suggestions any more"
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    seq = await ask(core, conversation.conversation_id, vague)
    [offer] = await core.pipeline.messages_after(conversation.conversation_id, seq)
    assert offer.kind == "suggestions" and offer.actions["adviser"] is True
    options = [o["entry"] for o in offer.actions["suggestions"]]
    assert 1 <= len(options) <= 3
    not_offered = next(e for e in core.faq.kb.entries if e not in options)
    with pytest.raises(Invalid):
        await core.pipeline.choose(conversation.conversation_id, not_offered)
    await core.pipeline.choose(conversation.conversation_id, options[0])
    await core.pipeline.choose(conversation.conversation_id, options[0])   # a resend: harmless
    [answer] = await core.pipeline.messages_after(conversation.conversation_id, offer.seq)
    assert (answer.kind, answer.actions["entry"]) == ("faq_answer", options[0])
    [offer] = (await core.pipeline.messages_after(conversation.conversation_id, seq))[:1]
    assert offer.actions["chosen"] == options[0]   # the page shows the choice after a reload
    if len(options) > 1:
        with pytest.raises(Conflict):   # another suggestion after the choice no longer applies
            await core.pipeline.choose(conversation.conversation_id, options[1])

    # A second vague question; this time the parent asks for an adviser instead.
    clock.advance(minutes=2)
    seq = await ask(core, conversation.conversation_id, vague)
    await core.pipeline.ask_adviser(conversation.conversation_id)
    assert await kinds_after(core, conversation.conversation_id, seq) == ["suggestions", "queued"]
    [offer, _queued] = await core.pipeline.messages_after(conversation.conversation_id, seq)
    assert offer.actions["chosen"] == "adviser"


@pytest.mark.parametrize(("hour", "expected"), [
    (10, "Een adviseur leest je bericht zo snel mogelijk"),   # Tuesday morning: desks staffed
    (2, "Onze adviseurs zijn er weer vandaag vanaf 08:00 uur"),   # the night before
])
async def test_a_crisis_reply_is_followed_by_what_happens_next_never_nobody_at_work(
        core: Core, clock: FrozenClock, hour: int, expected: str) -> None:
    clock.set(clock.now().astimezone(AMSTERDAM).replace(hour=hour))
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    seq = await ask(core, conversation.conversation_id, CRISIS)
    crisis, queued = await core.pipeline.messages_after(conversation.conversation_id, seq)
    assert crisis.kind == "crisis"
    assert crisis.actions == {"level": "crisis", "category": "suicide_self_harm"}
    assert queued.kind == "queued" and queued.actions and queued.actions["crisis"] is True
    assert expected in queued.text
    assert "niemand aan het werk" not in queued.text
    assert "dag en nacht" in queued.text
