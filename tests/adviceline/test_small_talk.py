"""Greetings, thanks and other small talk through the pipeline: a friendly reply, and the
questions stay where they were (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select

from adviceline.storage.models import Conversation, Question
from tests.adviceline.conftest import Core, ask, kinds_after, queue_question
from tests.adviceline.test_pipeline import OUT_OF_SCOPE
from tests.conftest import answerable


async def _questions(core: Core, conversation_id: str) -> list[Question]:
    async with core.sessions() as session:
        return list((await session.scalars(select(Question).where(
            Question.conversation_id == conversation_id).order_by(Question.opened_seq))).all())


async def test_a_greeting_first_is_answered_and_the_next_question_is_matched(core: Core) -> None:
    entry = answerable(core.faq)[0]
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    seq = await ask(core, conversation.conversation_id, "Hallo!")
    [reply] = await core.pipeline.messages_after(conversation.conversation_id, seq)
    assert reply.kind == "small_talk" and reply.text.startswith("Hallo!")
    assert await _questions(core, conversation.conversation_id) == []
    seq = await ask(core, conversation.conversation_id, entry.question)
    assert await kinds_after(core, conversation.conversation_id, seq) == ["faq_answer"]


async def test_thanks_after_an_answer_opens_no_question_and_keeps_the_language(
        core: Core) -> None:
    entry = answerable(core.faq)[0]
    conversation = await core.pipeline.open_conversation("web", "borne", "nl")
    await ask(core, conversation.conversation_id, entry.question)
    seq = await ask(core, conversation.conversation_id, "thanks!")
    [reply] = await core.pipeline.messages_after(conversation.conversation_id, seq)
    assert reply.kind == "small_talk" and "Graag gedaan" in reply.text
    questions = await _questions(core, conversation.conversation_id)
    assert [q.status for q in questions] == ["faq_answered"]
    async with core.sessions() as session:
        language = await session.scalar(select(Conversation.language).where(
            Conversation.id == conversation.conversation_id))
        waiting = await session.scalar(select(func.count(Question.id)).where(
            Question.status == "waiting"))
    assert language == "nl" and waiting == 0


async def test_small_talk_while_an_adviser_has_the_question_goes_to_the_adviser(
        core: Core) -> None:
    conversation = await core.pipeline.open_conversation("web", "enschede", "nl")
    await queue_question(core, conversation.conversation_id, OUT_OF_SCOPE)
    seq = await ask(core, conversation.conversation_id, "dank je wel!")
    assert await kinds_after(core, conversation.conversation_id, seq) == []   # no bot reply
    [question] = await _questions(core, conversation.conversation_id)
    assert question.status == "waiting"
