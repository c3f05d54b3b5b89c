"""Small query functions, each named for the question it answers. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adviceline.storage.models import (
    Conversation,
    LoginAttempt,
    LoginSession,
    Message,
    Question,
    QuestionEvent,
    User,
)

OPEN_STATUSES = ("waiting", "claimed")


# Conversations and messages ------------------------------------------------------------------

async def conversation_by_token_hash(session: AsyncSession, token_hash: str) -> Conversation | None:
    return await session.scalar(select(Conversation).where(Conversation.token_hash == token_hash))


async def conversation_by_id(session: AsyncSession, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def allocate_seq(session: AsyncSession, conversation_id: str) -> int:
    """The next sequence number of a conversation; atomic on SQLite and PostgreSQL alike."""
    seq = await session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(last_seq=Conversation.last_seq + 1)
        .returning(Conversation.last_seq)
    )
    if seq is None:
        raise LookupError(conversation_id)
    return int(seq)


async def add_message(session: AsyncSession, *, conversation_id: str, sender: str, body: str,
                      at: datetime, kind: str = "text", client_id: str | None = None,
                      question_id: str | None = None, adviser_id: int | None = None,
                      actions: dict[str, Any] | None = None,
                      decision: dict[str, Any] | None = None, handled: bool = True) -> Message:
    message = Message(
        conversation_id=conversation_id, seq=await allocate_seq(session, conversation_id),
        sender=sender, kind=kind, body=body, client_id=client_id, question_id=question_id,
        adviser_id=adviser_id, actions=actions, decision=decision, handled=handled, created_at=at,
    )
    session.add(message)
    await session.flush()
    return message


async def message_by_client_id(session: AsyncSession, conversation_id: str,
                               client_id: str) -> Message | None:
    return await session.scalar(select(Message).where(
        Message.conversation_id == conversation_id, Message.client_id == client_id))


async def message_by_seq(session: AsyncSession, conversation_id: str, seq: int) -> Message | None:
    return await session.scalar(select(Message).where(
        Message.conversation_id == conversation_id, Message.seq == seq))


async def messages_after(session: AsyncSession, conversation_id: str, after_seq: int,
                         limit: int = 500) -> Sequence[tuple[Message, str | None]]:
    """Messages with seq > after_seq in order, each with its adviser's display name."""
    rows = await session.execute(
        select(Message, User.display_name)
        .outerjoin(User, User.id == Message.adviser_id)
        .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(limit)
    )
    return [(message, name) for message, name in rows.all()]


async def suggested_entries(session: AsyncSession, question_id: str) -> set[str]:
    """The entries the FAQ offered the parent for this question."""
    rows = await session.scalars(select(Message).where(
        Message.question_id == question_id, Message.kind == "suggestions"))
    return {option["entry"] for message in rows
            for option in (message.actions or {}).get("suggestions", [])}


async def unhandled_parent_messages(session: AsyncSession) -> Sequence[Message]:
    return (await session.scalars(
        select(Message).where(Message.handled.is_(False)).order_by(Message.id))).all()


async def claim_unhandled(session: AsyncSession, message_id: int) -> bool:
    """Mark a parent message handled; False when another task or process got there first."""
    result = await session.execute(
        update(Message).where(Message.id == message_id, Message.handled.is_(False))
        .values(handled=True))
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


# Questions ------------------------------------------------------------------------------------

async def latest_question(session: AsyncSession, conversation_id: str) -> Question | None:
    return await session.scalar(
        select(Question).where(Question.conversation_id == conversation_id)
        .order_by(Question.created_at.desc(), Question.id.desc()).limit(1))


async def question_for_update(session: AsyncSession, question_id: str) -> Question | None:
    return await session.scalar(
        select(Question).where(Question.id == question_id).with_for_update())


async def waiting_questions(session: AsyncSession) -> Sequence[Question]:
    """Every question an adviser still has to answer (waiting or claimed)."""
    return (await session.scalars(
        select(Question).where(Question.status.in_(OPEN_STATUSES)))).all()


async def first_parent_messages(session: AsyncSession,
                                question_ids: Sequence[str]) -> dict[str, Message]:
    """The first thing the parent wrote, per question, in one query."""
    first = (select(Message.question_id, func.min(Message.seq).label("seq"))
             .where(Message.question_id.in_(question_ids), Message.sender == "parent")
             .group_by(Message.question_id).subquery())
    rows = await session.scalars(select(Message).join(
        first, (Message.question_id == first.c.question_id) & (Message.seq == first.c.seq)))
    return {message.question_id: message for message in rows if message.question_id}


async def record_event(session: AsyncSession, question: Question, kind: str, at: datetime, *,
                       adviser_id: int | None = None, topic: str | None = None,
                       score: float | None = None) -> None:
    session.add(QuestionEvent(
        question_id=question.id, kind=kind, at=at, channel=question.channel,
        municipality=question.municipality, adviser_id=adviser_id, topic=topic, score=score))


async def events_of_questions_created_between(
        session: AsyncSession, start: datetime, end: datetime,
        municipality: str | None) -> Sequence[QuestionEvent]:
    """Every event of the questions received in [start, end), in order."""
    query = (select(QuestionEvent)
             .join(Question, Question.id == QuestionEvent.question_id)
             .where(Question.created_at >= start, Question.created_at < end)
             .order_by(QuestionEvent.at, QuestionEvent.id))
    if municipality is not None:
        query = query.where(Question.municipality == municipality)
    return (await session.scalars(query)).all()


async def decisions_between(session: AsyncSession, start: datetime, end: datetime,
                            municipality: str | None,
                            limit: int) -> Sequence[tuple[datetime, dict[str, Any], str | None,
                                                          str | None]]:
    """The matcher's decisions on parent messages in [start, end), newest first (no text)."""
    query = (select(Message.created_at, Message.decision, Question.municipality, Question.id)
             .join(Question, Question.id == Message.question_id)
             .where(Message.sender == "parent", Message.decision.is_not(None),
                    Message.created_at >= start, Message.created_at < end)
             .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit))
    if municipality is not None:
        query = query.where(Question.municipality == municipality)
    return [(at, decision, place, question) for at, decision, place, question in
            (await session.execute(query)).all()]


async def feedback_on(session: AsyncSession, question_ids: Sequence[str]) -> dict[str, str]:
    """'yes' or 'no' per question whose FAQ answer the parent rated."""
    rows = await session.execute(
        select(QuestionEvent.question_id, QuestionEvent.kind)
        .where(QuestionEvent.question_id.in_(question_ids),
               QuestionEvent.kind.in_(("faq_helpful", "faq_not_helpful"))))
    return {question: "yes" if kind == "faq_helpful" else "no" for question, kind in rows.all()}


# Users and login sessions ---------------------------------------------------------------------

async def user_by_username(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username))


async def user_by_id(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def display_names(session: AsyncSession) -> dict[int, str]:
    return {user_id: name for user_id, name in
            (await session.execute(select(User.id, User.display_name))).all()}


async def login_session(session: AsyncSession, token_hash: str,
                        now: datetime) -> tuple[LoginSession, User] | None:
    row = (await session.execute(
        select(LoginSession, User).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == token_hash, LoginSession.expires_at > now,
               User.active.is_(True)))).first()
    return (row[0], row[1]) if row else None


async def record_login_attempt(session: AsyncSession, username: str, succeeded: bool,
                               at: datetime) -> None:
    session.add(LoginAttempt(username=username, succeeded=succeeded, at=at))


async def failed_logins_since(session: AsyncSession, username: str, since: datetime) -> int:
    """Failures for this username after `since` and after its last successful login."""
    last_success = await session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username,
                                                LoginAttempt.succeeded.is_(True)))
    if last_success is not None and last_success > since:
        since = last_success
    return await session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.username == username, LoginAttempt.succeeded.is_(False),
        LoginAttempt.at > since)) or 0


async def purge_login_attempts(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))


async def end_login_session(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash))


async def purge_expired_login_sessions(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    return result.rowcount  # type: ignore[attr-defined, no-any-return]


async def count_users(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(User.id))) or 0
