"""Crisis and concern through the pipeline: never an FAQ answer, the numbers at once, priority
that follow-ups raise but never lower, two messages read together, statistics, and the
advisers' marks that teach the detector. A scripted detector decides, so these tests pin the
pipeline's behaviour, not the model's."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from adviceline.advisers import Adviser
from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.domain import Inbound, Invalid, NewConversation, NotFound, OutboundMessage
from adviceline.faq import Faq
from adviceline.labels import export_labels
from adviceline.stats import answer_stats
from adviceline.storage import repository as repo
from adviceline.storage.models import Message, Question
from knowledge_base.crisis import CrisisSignal
from routing.queue import CONCERN_PRIORITY, CRISIS_PRIORITY
from tests.adviceline.conftest import Core, ask, kinds_after, queue_question, stored_unhandled
from tests.conftest import AMSTERDAM, answerable


class ScriptedDetector:
    """Crisis for "[crisis]", concern for "[concern]"; "[after-crisis]" is a crisis only when
    read after a message holding "[warning]" (the context); in doubt about "[doubt]"."""

    def __init__(self) -> None:
        self.contexts: list[str | None] = []

    def detect(self, text: str, context: str | None = None) -> CrisisSignal | None:
        self.contexts.append(context)
        if "[crisis]" in text or ("[after-crisis]" in text and context and "[warning]" in context):
            return CrisisSignal("crisis", "domestic_violence", "scripted", 9.0)
        if "[concern]" in text:
            return CrisisSignal("concern", "suicide_self_harm", "scripted", 0.0)
        return None

    def in_doubt(self, text: str, context: str | None = None) -> bool:
        return "[doubt]" in text


@pytest.fixture(scope="module")
def detector() -> ScriptedDetector:
    return ScriptedDetector()


@pytest.fixture(scope="module")
def faq(base_config: Config, detector: ScriptedDetector) -> Faq:
    """Overrides the conftest's `faq`: the `core` fixture then runs on the scripted detector."""
    return Faq(base_config, crisis=detector)


async def _question(core: Core, conversation_id: str) -> Question:
    async with core.sessions() as session:
        question = await session.scalar(select(Question).where(
            Question.conversation_id == conversation_id).order_by(Question.opened_seq.desc()))
    assert question is not None
    return question


async def _adviser(core: Core, username: str = "adviseur.enschede") -> Adviser:
    async with core.sessions() as session:
        user = await repo.user_by_username(session, username)
    assert user is not None
    return Adviser.from_user(user)


async def _asked(core: Core, text: str) -> tuple[NewConversation, list[OutboundMessage]]:
    """A new web conversation in Enschede that asks `text`: the conversation and the replies."""
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    seq = await ask(core, conversation.conversation_id, text)
    return conversation, await core.pipeline.messages_after(conversation.conversation_id, seq)


async def test_a_concern_is_never_answered_and_goes_to_an_adviser_with_priority(
        core: Core) -> None:
    entry = answerable(core.faq)[0]          # the FAQ would answer this text outright
    conversation, replies = await _asked(core, f"{entry.question} [concern]")
    assert [m.kind for m in replies] == ["concern", "queued"]
    concern = replies[0]
    assert concern.actions == {"level": "concern", "category": "suicide_self_harm"}
    for number in ("112", "0800-2000", "113", "0800-0113", "0800-0432"):
        assert number in concern.text
    assert "faq_answer" not in [m.kind for m in replies]
    question = await _question(core, conversation.conversation_id)
    assert (question.priority, question.status) == (CONCERN_PRIORITY, "waiting")
    assert question.crisis_category == "suicide_self_harm"


async def test_a_message_the_detector_doubts_gets_suggestions_not_an_answer(
        core: Core) -> None:
    entry = answerable(core.faq)[0]          # the FAQ would answer this text outright
    _conversation, replies = await _asked(core, f"{entry.question} [doubt]")
    kinds = [m.kind for m in replies]
    assert "faq_answer" not in kinds and "suggestions" in kinds, kinds
    suggestions = next(m for m in replies if m.kind == "suggestions")
    assert entry.id in str(suggestions.actions)   # the entry is still one click away
    # without the doubt the same text is answered at once
    _other, replies = await _asked(core, entry.question)
    assert "faq_answer" in [m.kind for m in replies]


async def test_queue_order_is_crisis_then_concern_then_the_longest_waiting(
        core: Core, clock: FrozenClock) -> None:
    ids = {}
    for name, text in (("ordinary", "Hoe vraag ik kinderopvangtoeslag aan? ik snap het niet"),
                       ("concern", "ik maak me zorgen [concern]"),
                       ("crisis", "help [crisis]")):
        conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
        await queue_question(core, conversation.conversation_id, text)
        ids[name] = (await _question(core, conversation.conversation_id)).id
        clock.advance(minutes=1)
    queue = await core.desk.queue(await _adviser(core))
    order = [q["id"] for q in queue if q["id"] in ids.values()]
    assert order == [ids["crisis"], ids["concern"], ids["ordinary"]]
    flags = {q["id"]: (q["crisis"], q["concern"]) for q in queue}
    assert flags[ids["concern"]] == (False, True) and flags[ids["crisis"]] == (True, False)


async def test_follow_ups_raise_priority_and_never_lower_it(core: Core) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    await queue_question(core, conversation.conversation_id,
                         "Hoe vraag ik kinderopvangtoeslag aan? ik snap het niet")
    assert (await _question(core, conversation.conversation_id)).priority == 0
    seq = await ask(core, conversation.conversation_id, "en nog iets [concern]")
    assert [m.kind for m in await core.pipeline.messages_after(
        conversation.conversation_id, seq)] == ["concern"]
    assert (await _question(core, conversation.conversation_id)).priority == CONCERN_PRIORITY
    seq = await ask(core, conversation.conversation_id, "het gaat mis [crisis]")
    assert [m.kind for m in await core.pipeline.messages_after(
        conversation.conversation_id, seq)] == ["crisis"]
    assert (await _question(core, conversation.conversation_id)).priority == CRISIS_PRIORITY
    seq = await ask(core, conversation.conversation_id, "nog een zorg [concern]")
    assert await core.pipeline.messages_after(conversation.conversation_id, seq) == []
    assert (await _question(core, conversation.conversation_id)).priority == CRISIS_PRIORITY


async def test_a_crisis_told_in_two_messages_is_read_together(
        core: Core, detector: ScriptedDetector) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    await ask(core, conversation.conversation_id, "ik weet het niet meer [warning]")
    seq = await ask(core, conversation.conversation_id, "en nu is hij er weer [after-crisis]")
    assert detector.contexts[-1] == "ik weet het niet meer [warning]"
    kinds = [m.kind for m in await core.pipeline.messages_after(
        conversation.conversation_id, seq)]
    assert "crisis" in kinds
    assert (await _question(core, conversation.conversation_id)).priority == CRISIS_PRIORITY


async def _story(core: Core, conversation_id: str) -> tuple[object, ...]:
    """What handling made of a conversation, whatever the seqs: the replies' kinds, the
    questions (status, priority) in order, and per parent message its decision and question."""
    async with core.sessions() as session:
        messages = (await session.scalars(select(Message).where(
            Message.conversation_id == conversation_id).order_by(Message.seq))).all()
        questions = (await session.scalars(select(Question).where(
            Question.conversation_id == conversation_id).order_by(Question.opened_seq))).all()
    order = [question.id for question in questions]
    parents = [(m.handled, (m.decision or {}).get("decision"),
                order.index(m.question_id) if m.question_id else None)
               for m in messages if m.sender == "parent"]
    return (sorted(m.kind for m in messages if m.sender != "parent"),
            [(q.status, q.priority, q.crisis_category) for q in questions], parents)


async def test_messages_handled_together_are_handled_as_if_each_on_arrival(
        core: Core, clock: FrozenClock) -> None:
    """Stored first and handled together (one group on SQLite, one after the other on
    PostgreSQL), a conversation's messages read the one before and the question it opened, and
    end as they would have had each been handled on arrival."""
    texts = ("ik weet het niet meer [warning]", "en nu is hij er weer [after-crisis]",
             "Dank je wel!", "Mijn dochter van 2 wil niet slapen, wat kan ik doen?")
    one_by_one = await core.pipeline.open_conversation("web", "enschede", "nl")
    for text in texts:
        await ask(core, one_by_one.conversation_id, text)
    together = await core.pipeline.open_conversation("web", "enschede", "nl")
    # Stored, not handled: handled together below.
    seqs = await stored_unhandled(core, clock, together.conversation_id, *texts)
    assert await kinds_after(core, together.conversation_id, 0) == ["text"] * len(texts)
    if core.sessions.one_writer:
        waiting = deque((together.conversation_id, seq) for seq in seqs)
        assert await core.pipeline.handle_group(waiting, 60.0) == len(texts) and not waiting
    else:
        assert await core.pipeline.handle_pending() == len(texts)
    expected = await _story(core, one_by_one.conversation_id)
    assert "crisis" in expected[0]   # the second message was read with the first
    assert await _story(core, together.conversation_id) == expected


async def test_a_crisis_sent_among_others_has_its_numbers_and_its_place_when_acknowledged(
        core: Core) -> None:
    """On SQLite a chat message is handled in the commit that stores it: a crisis arriving in
    a group with ordinary questions is acknowledged only with its numbers sent and its question
    at the head of the queue, waiting for nothing else (on PostgreSQL its own task does it at
    once)."""
    crisis = await core.pipeline.open_conversation("web", "enschede", "nl")
    others = [await core.pipeline.open_conversation("web", "enschede", "nl") for _ in range(5)]
    question = answerable(core.faq)[0].question
    receipts = await asyncio.gather(
        *(core.pipeline.receive(Inbound(other.conversation_id, question, None))
          for other in others[:3]),
        core.pipeline.receive(Inbound(crisis.conversation_id, "hij slaat me [crisis]", None)),
        *(core.pipeline.receive(Inbound(other.conversation_id, question, None))
          for other in others[3:]))
    if core.sessions.one_writer:   # nothing left to wait for: no task, no queue
        assert (await _question(core, crisis.conversation_id)).priority == CRISIS_PRIORITY
    await core.tasks.drain()
    assert (await _question(core, crisis.conversation_id)).priority == CRISIS_PRIORITY
    assert "crisis" in await kinds_after(core, crisis.conversation_id, receipts[3].seq)
    for other, receipt in zip(others, receipts[:3] + receipts[4:], strict=True):
        assert await kinds_after(core, other.conversation_id, receipt.seq) == ["faq_answer"]


async def test_a_night_concern_tells_when_an_adviser_answers_and_gives_the_numbers(
        core: Core, clock: FrozenClock) -> None:
    clock.set(clock.now().astimezone(AMSTERDAM).replace(hour=2))
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    seq = await ask(core, conversation.conversation_id, "ik lig wakker van zorgen [concern]")
    concern, queued = await core.pipeline.messages_after(conversation.conversation_id, seq)
    assert concern.kind == "concern" and "112" in concern.text
    assert queued.kind == "queued" and queued.actions and queued.actions["answer_by"]


async def test_statistics_count_concerns_apart_from_crises(core: Core,
                                                           clock: FrozenClock) -> None:
    for text in ("a [crisis]", "b [concern]", "c [concern]"):
        conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
        await ask(core, conversation.conversation_id, text)
    today = clock.now().astimezone(AMSTERDAM).date()
    stats = await answer_stats(core.sessions, today, today, "enschede", AMSTERDAM)
    assert (stats.crisis, stats.concern) == (1, 2)
    assert stats.to_json()["concern"] == 2


async def test_advisers_mark_messages_and_the_marks_are_exported(
        core: Core, config: Config, tmp_path: Path) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    first = await ask(core, conversation.conversation_id, "mijn vriend doet raar [concern]")
    second = await ask(core, conversation.conversation_id, "hij is weer weg")
    question = await _question(core, conversation.conversation_id)
    adviser = await _adviser(core)
    await core.desk.mark_crisis(adviser, question.id, first, "crisis", "domestic_violence")
    await core.desk.mark_crisis(adviser, question.id, second, "crisis", "neglect")
    await core.desk.mark_crisis(adviser, question.id, second, "not_crisis", None)  # changed
    with pytest.raises(Invalid):
        await core.desk.mark_crisis(adviser, question.id, first, "maybe", None)
    with pytest.raises(Invalid):
        await core.desk.mark_crisis(adviser, question.id, first, "crisis", "unknown")
    replies = await core.pipeline.messages_after(conversation.conversation_id, first)
    with pytest.raises(NotFound):   # not a parent message
        await core.desk.mark_crisis(adviser, question.id, replies[0].seq, "crisis", "neglect")
    outsider = await _adviser(core, "adviseur.hengelo")
    with pytest.raises(Exception):  # noqa: B017 - Forbidden or NotFound: not their question
        await core.desk.mark_crisis(outsider, question.id, first, "crisis", "neglect")

    shown = await core.desk.conversation(adviser, question.id)
    marks = {m["seq"]: m["crisis_mark"] for m in shown["messages"] if m["sender"] == "parent"}
    assert marks == {first: {"label": "crisis", "category": "domestic_violence"},
                     second: {"label": "not_crisis", "category": None}}
    assert "other_acute" in shown["crisis_categories"]
    async with core.sessions() as session:
        counts = await repo.crisis_mark_counts(session)
    assert counts == {("crisis", "concern"): 1, ("not_crisis", "none"): 1}

    out = tmp_path / "marks.jsonl"
    assert await export_labels(config, out) == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {"text": "mijn vriend doet raar [concern]", "label": "crisis",
         "category": "domestic_violence"},
        {"text": "hij is weer weg", "label": "not_crisis", "category": None}]


def test_exported_marks_are_read_back_as_corpus(tmp_path: Path) -> None:
    from knowledge_base.corpus import load_adviser_labels

    folder = tmp_path / "advisers"
    folder.mkdir()
    (folder / f"{date(2026, 12, 5)}.jsonl").write_text(
        '{"text": "a", "label": "crisis", "category": "neglect"}\n'
        '{"text": "b", "label": "not_crisis", "category": null}\n', encoding="utf-8")
    labels = load_adviser_labels(tmp_path)
    assert [(m.text, m.crisis, m.category) for m in labels] == [
        ("a", True, "neglect"), ("b", False, None)]
