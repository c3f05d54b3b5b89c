"""All tables, as SQLAlchemy 2 typed declarative models. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back timezone-aware values (SQLite itself keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # SQLAlchemy reads this mapping once, when the class is created.
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}  # noqa: RUF012


class Conversation(Base):
    """One parent's thread with the advice line, on one channel."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    # The channel's own address of the parent (a Telegram chat id, an e-mail address); web: none.
    channel_ref: Mapped[str | None] = mapped_column(String(320), index=True)
    municipality: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="nl")
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class Question(Base):
    """A parent's question, from arrival until answered by the FAQ or closed by an adviser."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_status_priority", "status", "priority"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    municipality: Mapped[str | None] = mapped_column(String(64), index=True)
    # faq_answered | suggested | waiting | claimed | closed
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    crisis_category: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    waiting_since: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("conversation_id", "client_id", name="uq_messages_conversation_client"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    # parent | faq | adviser | system
    sender: Mapped[str] = mapped_column(String(16))
    # text | faq_answer | suggestions | queued | crisis | closed
    kind: Mapped[str] = mapped_column(String(16), default="text")
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64))
    question_id: Mapped[str | None] = mapped_column(ForeignKey("questions.id"), index=True)
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What the parent can do with this message (feedback, suggestions), shown by the channel.
    actions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The matcher's decision for a parent message: outcome, entry, topic, score, runner-up.
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A parent message is handled (matched, queued) after it is stored and acknowledged.
    handled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class QuestionEvent(Base):
    """What happened to a question and when; all statistics are computed from these rows."""

    __tablename__ = "question_events"
    __table_args__ = (Index("ix_question_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    # received | faq_answered | faq_helpful | faq_not_helpful | suggested | queued | crisis |
    # claimed | released | adviser_replied | closed
    kind: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(32))
    municipality: Mapped[str | None] = mapped_column(String(64))
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    topic: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)


class User(Base):
    """An adviser or coordinator who logs in to the console."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    municipalities: Mapped[list[str]] = mapped_column(JSON)
    regional_pool: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LoginAttempt(Base):
    """A staff login attempt; recent failures lock a username for a while (guessing is slow)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]


class LoginSession(Base):
    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
