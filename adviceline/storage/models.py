"""All tables, as SQLAlchemy 2 typed declarative models. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
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
    __table_args__ = (Index("uq_conversations_resume_code_hash", "resume_code_hash",
                            unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    # The channel's own address of the parent (a Telegram chat id, an e-mail address); web: none.
    channel_ref: Mapped[str | None] = mapped_column(String(320), index=True)
    municipality: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="nl")
    # Set when the parent picked the language: from then on replies follow it, not detection.
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    # SHA-256 of the parent's current resume code (opens the conversation on another device).
    resume_code_hash: Mapped[str | None] = mapped_column(String(64))
    # Whether the parent's channel can offer a choice (suggested entries, "did this help?"
    # buttons); where it cannot (e-mail), a 'suggest' outcome goes to an adviser instead.
    choices: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Set when the conversation was erased (by the parent, an adviser on the parent's request, or
    # the retention period): its messages keep no text and nothing leads back to the parent.
    erased_at: Mapped[datetime | None]
    erased_by: Mapped[str | None] = mapped_column(String(16))   # parent | adviser | retention
    # Where the conversation was opened from, as a keyed hash of the client's address (never the
    # address): how many crises one address raises is counted by it (a possible flood). Erased
    # with the conversation.
    source_hash: Mapped[str | None] = mapped_column(String(64), index=True)


class ConversationToken(Base):
    """Another device's key to a conversation, handed out for its resume code (hash only)."""

    __tablename__ = "conversation_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]


class PushSubscription(Base):
    """A browser's Web Push subscription for 'there is an answer'; gone with the conversation."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (UniqueConstraint("conversation_id", "endpoint",
                                       name="uq_push_subscriptions_endpoint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(Text)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    # The last message seq the parent was told about; a push goes out for anything newer.
    notified_seq: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]


class ServiceSetting(Base):
    """Values the service makes once and every process shares (the Web Push VAPID key)."""

    __tablename__ = "service_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


PENDING_DELIVERY = "status = 'pending'"


class OutboxItem(Base):
    """A message for the parent on a push channel (e-mail, Telegram), queued for delivery in the
    same transaction that stored the message; the channel's delivery worker sends it.

    A conversation's items go out in seq order; an item is delivered by one worker at a time,
    which holds its lease while sending.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_outbox_message"),
        Index("ix_outbox_conversation_seq", "conversation_id", "seq"),
        Index("ix_outbox_pending", "channel", "next_attempt_at",
              sqlite_where=text(PENDING_DELIVERY), postgresql_where=text(PENDING_DELIVERY)),
        Index("ix_outbox_channel_message_id", "channel", "channel_message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    # pending | delivered | skipped (the channel does not carry this kind) | failed (for good)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    # The worker sending it now, until when; an expired lease is taken over by another worker.
    lease_owner: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None]
    # The channel's own id of what it sent (a Message-ID, a Telegram message id).
    channel_message_id: Mapped[str | None] = mapped_column(String(998))
    # Why the last attempt failed or the item was skipped; never the message text.
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class ChannelReceipt(Base):
    """A parent's message as its channel identified it (a Message-ID, a Telegram update id): the
    same id never makes a second message. Also what the channel needs to answer in the same
    thread (the id it replies to, e.g. a subject)."""

    __tablename__ = "channel_receipts"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(998))
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime]


class ChannelUpdate(Base):
    """What a channel handed over (a Telegram update), stored before it is acknowledged and
    handled afterwards, in update order. An update id is stored once per bot (`account`), so a
    redelivery is recognised; once handled only the id stays (the payload is the parent's)."""

    __tablename__ = "channel_updates"
    __table_args__ = (Index("ix_channel_updates_pending", "channel", "account", "handled_at"),)

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]


class QuarantinedMessage(Base):
    """What a channel received but could not take in as a parent's message (a mail that cannot
    be parsed, an automatic reply), kept whole with the reason so advisers can read it."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_quarantine_external"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(300))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    sender: Mapped[str | None] = mapped_column(String(320))
    # The municipality whose address it came in on (None: the regional address); scopes who sees it.
    municipality: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(index=True)


OPEN_QUESTION = "status IN ('waiting', 'claimed')"


class Question(Base):
    """A parent's question, from arrival until answered by the FAQ or closed by an adviser."""

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_status_priority", "status", "priority"),
        # Statistics select the questions received in a period.
        Index("ix_questions_created_at", "created_at"),
        # A conversation's questions in a total order (created_at ties under one clock tick).
        Index("uq_questions_conversation_seq", "conversation_id", "opened_seq", unique=True),
        # One conversation never has two questions in the advisers' queue at once.
        Index("uq_questions_open_per_conversation", "conversation_id", unique=True,
              sqlite_where=text(OPEN_QUESTION), postgresql_where=text(OPEN_QUESTION)),
    )

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
    # The seq of the parent message that opened the question.
    opened_seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    waiting_since: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Offer, then assign (routing.offers): the adviser it is offered to, until when, and who
    # declined or let an offer lapse (user ids); set once nobody at the own desk took it.
    offered_to: Mapped[int | None] = mapped_column(Integer)   # a users.id
    offered_until: Mapped[datetime | None]
    declined_by: Mapped[list[int] | None] = mapped_column(JSON)
    last_declined_at: Mapped[datetime | None]   # the latest of those; a new round waits for it
    routed_to_pool: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())
    # A crisis or concern over [rate_limits] crisis_per_*: queued as an ordinary question,
    # marked "possible flood" for advisers (the parent still got the emergency numbers).
    flood: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the adviser holding it claimed it, and their last reply: a claim without a reply in
    # time goes back to the queue.
    claimed_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    # The answer time promised to the parent (business hours, backlog included): close to it,
    # the question is escalated to the regional pool and the coordinators.
    answer_by: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    # The last on-call step taken for it (routing.oncall: 1 the first on-call adviser, 2 the
    # next on the rota, 3 the coordinators) and when; each step once per question.
    on_call_at: Mapped[datetime | None]
    on_call_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("conversation_id", "client_id", name="uq_messages_conversation_client"),
        # The coordinators' decisions page: a period's messages, newest first.
        Index("ix_messages_created_at", "created_at", "id"),
        # The retry loop's scan: only the few unhandled messages are in this index.
        Index("ix_messages_unhandled", "id", postgresql_where=text("NOT handled"),
              sqlite_where=text("handled = 0")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    # parent | faq | adviser | system
    sender: Mapped[str] = mapped_column(String(16))
    # text | faq_answer | suggestions | queued | crisis | concern | small_talk | closed
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
    # Failed handling is retried with backoff (handle_after); after the last attempt the
    # message is set aside (handle_failed_at) for advisers to see, and blocks nothing.
    handle_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    handle_after: Mapped[datetime | None]
    handle_failed_at: Mapped[datetime | None]
    handle_error: Mapped[str | None] = mapped_column(String(200))   # where and what, no text
    created_at: Mapped[datetime]


class QuestionEvent(Base):
    """What happened to a question and when; all statistics are computed from these rows."""

    __tablename__ = "question_events"
    __table_args__ = (Index("ix_question_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    # received | faq_answered | faq_helpful | faq_not_helpful | suggested | queued | crisis |
    # concern | claimed | released | adviser_replied | closed | withdrawn (its conversation was
    # erased) | crisis_alerted (operators were alerted: it waited too long; adviceline.alerts)
    kind: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(32))
    municipality: Mapped[str | None] = mapped_column(String(64))
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    topic: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)


class CrisisLabel(Base):
    """An adviser's mark on a parent message: "was a crisis" or "was not a crisis". The corpus
    grows from these (`kb export-labels`); statistics count them without any text."""

    __tablename__ = "crisis_labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    label: Mapped[str] = mapped_column(String(16))  # crisis | not_crisis
    category: Mapped[str | None] = mapped_column(String(32))
    detected: Mapped[str] = mapped_column(String(16))  # what the detector said: crisis|concern|none
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class User(Base):
    """An adviser or coordinator who logs in to the console."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))   # adviser|coordinator|regional_coordinator
    municipalities: Mapped[list[str]] = mapped_column(JSON)
    regional_pool: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "config": a [[user]] of the configuration file (it rules them at every start);
    # "cli": added with `adviceline users add`, managed with that command
    managed: Mapped[str] = mapped_column(String(16), default="config", server_default="config")
    # Where on-call calls (and a crisis, for coordinators) are e-mailed; None: the console only.
    email: Mapped[str | None] = mapped_column(String(320))


class AdviserPresence(Base):
    """An adviser's own available / busy / away, and when their console was last seen open."""

    __tablename__ = "adviser_presence"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))   # available | busy | away
    changed_at: Mapped[datetime]
    seen_at: Mapped[datetime]
    idle_since: Mapped[datetime]   # last claim, reply, close or status change


class LoginAttempt(Base):
    """A staff login attempt; recent failures from one source lock that source out for a while.

    An attempt is stored as failed before the password is checked and marked as succeeded after,
    so parallel guesses count as they are made.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    # A hash of where the attempt came from: a device cookie of this user, or a client address.
    source: Mapped[str] = mapped_column(String(64), default="")
    # Whether the source was a device this user logged in from before.
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]


class LoginDevice(Base):
    """A browser a user logged in from (a device cookie); guesses made elsewhere never lock it."""

    __tablename__ = "login_devices"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime]


class AuditRecord(Base):
    """Something a staff member did that must be accountable later (erasing a conversation on a
    parent's request); never any content."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    question_id: Mapped[str | None] = mapped_column(String(36))
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    municipality: Mapped[str | None] = mapped_column(String(64))
    # What was changed, for rota changes (kind, adviser, dates); never any parent content.
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OnCallNotice(Base):
    """An on-call adviser called for a waiting question (a crisis, waiting too long, or close
    to the promised time); their console shows it until they mark it seen. No content."""

    __tablename__ = "on_call_notices"
    __table_args__ = (UniqueConstraint("question_id", "user_id",
                                       name="uq_on_call_notices_question_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))   # crisis | untaken | deadline
    at: Mapped[datetime]
    seen_at: Mapped[datetime | None]


class StaffMail(Base):
    """An e-mail for a staff member (an on-call call), queued in the transaction that made the
    call and sent by the staff mail worker: retried with backoff, never dropped. It names the
    question, its municipality and why; never anything the parent wrote."""

    __tablename__ = "staff_mail"
    __table_args__ = (Index("ix_staff_mail_pending", "next_attempt_at",
                            sqlite_where=text(PENDING_DELIVERY),
                            postgresql_where=text(PENDING_DELIVERY)),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    question_id: Mapped[str | None] = mapped_column(String(36))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # pending | delivered | failed (refused for good, or given up on: logged as an error)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class TransferNote(Base):
    """An adviser handed a claimed question to a colleague, another municipality's desk or the
    regional pool, with a note for whoever takes it. Staff only: the parent never sees it, and
    it goes when the conversation is erased."""

    __tablename__ = "transfer_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    from_user: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_user: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_desk: Mapped[str | None] = mapped_column(String(64))   # a municipality or regional_pool
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class RotaEntry(Base):
    """A rota line a coordinator added in the browser or the API: a weekly shift, an absence
    (leave, sickness) or a swap, as JSON; removing it keeps the row (removed_at) for the log."""

    __tablename__ = "rota_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))   # shift | absence | swap
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    municipality: Mapped[str | None] = mapped_column(String(64))   # a shift's desk
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]


class LoginSession(Base):
    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
