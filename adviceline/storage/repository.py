"""Small query functions, each named for the question it answers. Callers own the transaction."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Row,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, defer

from adviceline.domain import PARENT
from adviceline.storage.models import (
    AdviserPresence,
    AuditRecord,
    ChannelReceipt,
    ChannelUpdate,
    Conversation,
    ConversationToken,
    CrisisLabel,
    LoginAttempt,
    LoginDevice,
    LoginSession,
    Message,
    OnCallNotice,
    OutboxItem,
    PushSubscription,
    QuarantinedMessage,
    Question,
    QuestionEvent,
    RotaEntry,
    ServiceSetting,
    StaffMail,
    TransferNote,
    User,
)

OPEN_STATUSES = ("waiting", "claimed")
# The tables themselves, for Core statements on the hot path (no ORM objects built).
_conversations = cast(Table, Conversation.__table__)
_messages = cast(Table, Message.__table__)
_users = cast(Table, User.__table__)
_events = cast(Table, QuestionEvent.__table__)
_outbox = cast(Table, OutboxItem.__table__)


# Conversations and messages ------------------------------------------------------------------

async def conversation_by_token_hash(session: AsyncSession, token_hash: str) -> Conversation | None:
    """The conversation opened with this token, or one a resume code handed this token out for."""
    found = await session.scalar(select(Conversation).where(Conversation.token_hash == token_hash))
    if found is None:
        found = await session.scalar(
            select(Conversation).join(ConversationToken,
                                      ConversationToken.conversation_id == Conversation.id)
            .where(ConversationToken.token_hash == token_hash))
    return found


async def conversation_by_resume_code_hash(session: AsyncSession,
                                           code_hash: str) -> Conversation | None:
    return await session.scalar(select(Conversation)
                                .where(Conversation.resume_code_hash == code_hash))


async def add_device_token(session: AsyncSession, conversation_id: str, token_hash: str,
                           at: datetime) -> None:
    session.add(ConversationToken(token_hash=token_hash, conversation_id=conversation_id,
                                  created_at=at))


# Web Push ---------------------------------------------------------------------------------------

async def save_push_subscription(session: AsyncSession, conversation: Conversation,
                                 endpoint: str, p256dh: str, auth: str, at: datetime) -> None:
    """Subscribe (or renew the keys of) a browser; it hears only of messages from now on."""
    existing = await session.scalar(select(PushSubscription).where(
        PushSubscription.conversation_id == conversation.id,
        PushSubscription.endpoint == endpoint))
    if existing is None:
        session.add(PushSubscription(
            conversation_id=conversation.id, endpoint=endpoint, p256dh=p256dh, auth=auth,
            notified_seq=conversation.last_seq, failures=0, next_attempt_at=at, created_at=at))
    else:
        existing.p256dh, existing.auth = p256dh, auth


async def delete_push_subscription(session: AsyncSession, conversation_id: str,
                                   endpoint: str) -> None:
    await session.execute(delete(PushSubscription).where(
        PushSubscription.conversation_id == conversation_id,
        PushSubscription.endpoint == endpoint))


async def push_subscriptions_due(session: AsyncSession, senders: Sequence[str], now: datetime,
                                 limit: int = 100) -> Sequence[tuple[PushSubscription, int, str]]:
    """Subscriptions with a newer message from `senders`: (subscription, newest seq, language)."""
    newest = func.max(Message.seq)
    rows = await session.execute(
        select(PushSubscription, newest, Conversation.language)
        .join(Conversation, Conversation.id == PushSubscription.conversation_id)
        .join(Message, (Message.conversation_id == PushSubscription.conversation_id)
              & (Message.seq > PushSubscription.notified_seq))
        .where(Message.sender.in_(senders), PushSubscription.next_attempt_at <= now)
        .group_by(PushSubscription.id, Conversation.language)
        .order_by(PushSubscription.id).limit(limit))
    return [(subscription, int(seq), language) for subscription, seq, language in rows.all()]


async def claim_push(session: AsyncSession, subscription_id: int, seen: int, newest: int) -> bool:
    """Move the watermark; False when another process sent this push already."""
    result = await session.execute(
        update(PushSubscription)
        .where(PushSubscription.id == subscription_id, PushSubscription.notified_seq == seen)
        .values(notified_seq=newest))
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


async def push_failed(session: AsyncSession, subscription_id: int, seen: int, newest: int,
                      retry_at: datetime) -> None:
    """Put the watermark back so the push is tried again at `retry_at`."""
    await session.execute(
        update(PushSubscription)
        .where(PushSubscription.id == subscription_id, PushSubscription.notified_seq == newest)
        .values(notified_seq=seen, failures=PushSubscription.failures + 1,
                next_attempt_at=retry_at))


async def push_delivered(session: AsyncSession, subscription_id: int) -> None:
    await session.execute(update(PushSubscription).where(PushSubscription.id == subscription_id)
                          .values(failures=0))


async def drop_push_subscription(session: AsyncSession, subscription_id: int) -> None:
    await session.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id))


async def setting(session: AsyncSession, name: str) -> str | None:
    found = await session.get(ServiceSetting, name)
    return found.value if found else None


async def add_setting(session: AsyncSession, name: str, value: str) -> None:
    session.add(ServiceSetting(name=name, value=value))


async def conversation_by_id(session: AsyncSession, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def conversation_for_update(session: AsyncSession,
                                  conversation_id: str) -> Conversation | None:
    """The conversation, locked until the transaction ends (PostgreSQL; SQLite has one writer).

    Everything that changes a conversation's questions locks the conversation first, so two
    messages, clicks or advisers in one conversation take turns, always in the same lock order.
    """
    return await session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
        .execution_options(populate_existing=True))


async def allocate_seq(session: AsyncSession, conversation_id: str) -> int:
    """The next sequence number of a conversation; atomic on SQLite and PostgreSQL alike."""
    return (await _next_seq(session, conversation_id))[0]


async def _next_seq(session: AsyncSession, conversation_id: str) -> tuple[int, str, str | None]:
    """The next seq, with the conversation's channel and its channel address (if any)."""
    row = (await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(last_seq=Conversation.last_seq + 1)
        .returning(Conversation.last_seq, Conversation.channel, Conversation.channel_ref)
    )).first()
    if row is None:
        raise LookupError(conversation_id)
    return int(row[0]), str(row[1]), row[2]


async def add_message(session: AsyncSession, *, conversation_id: str, sender: str, body: str,
                      at: datetime, kind: str = "text", client_id: str | None = None,
                      question_id: str | None = None, adviser_id: int | None = None,
                      actions: dict[str, Any] | None = None,
                      decision: dict[str, Any] | None = None, handled: bool = True) -> Message:
    """Store a message. One for the parent on a conversation with a channel address (e-mail,
    Telegram) is queued in the outbox in the same transaction, so it is pushed exactly when it
    is stored; the web chat has no address and reads messages by seq instead."""
    seq, channel, address = await _next_seq(session, conversation_id)
    message = Message(
        conversation_id=conversation_id, seq=seq,
        sender=sender, kind=kind, body=body, client_id=client_id, question_id=question_id,
        adviser_id=adviser_id, actions=actions, decision=decision, handled=handled, created_at=at,
    )
    session.add(message)
    await session.flush()
    if _pushed(sender, address):
        session.add(OutboxItem(**_outbox_values(conversation_id, message.id, seq, channel, at)))
    return message


def _pushed(sender: str, address: str | None) -> bool:
    """Whether a message is queued in the outbox: one for the parent on a conversation with a
    channel address (e-mail, Telegram). The web chat has none; a parent's own message is never
    pushed back. The one rule for `add_message` and `add_reply`."""
    return sender != PARENT and address is not None


def _outbox_values(conversation_id: str, message_id: int, seq: int, channel: str,
                   at: datetime) -> dict[str, Any]:
    """A new outbox item, due at once."""
    return {"conversation_id": conversation_id, "message_id": message_id, "seq": seq,
            "channel": channel, "status": "pending", "attempts": 0, "next_attempt_at": at,
            "created_at": at}


async def append_parent_message(session: AsyncSession, *, conversation_id: str, body: str,
                                client_id: str | None, at: datetime) -> int | None:
    """Store a parent's message of a live conversation in two statements (every chat message
    takes this road before its ack): the conversation's next seq, then the row. None when the
    conversation does not exist or was erased. A client id this conversation already has raises
    IntegrityError (the unique constraint decides, so no read goes first). Core statements on
    the session's connection: the ORM's bookkeeping costs more than the statements here."""
    connection = await session.connection()
    seq = (await connection.execute(
        update(_conversations)
        .where(_conversations.c.id == conversation_id, _conversations.c.erased_at.is_(None))
        .values(last_seq=_conversations.c.last_seq + 1)
        .returning(_conversations.c.last_seq))).scalar()
    if seq is None:
        return None
    await connection.execute(insert(_messages).values(
        conversation_id=conversation_id, seq=seq, sender=PARENT, kind="text", body=body,
        client_id=client_id, handled=False, created_at=at))
    return int(seq)


# A group's messages per conversation added to its last seq at once (one executemany).
_ADD_TO_SEQ = (update(_conversations)
               .where(_conversations.c.id == bindparam("group_conversation"),
                      _conversations.c.erased_at.is_(None))
               .values(last_seq=_conversations.c.last_seq + bindparam("group_count")))
_LAST_SEQS = (select(_conversations.c.id, _conversations.c.last_seq)
              .where(_conversations.c.id.in_(bindparam("group_conversations", expanding=True)),
                     _conversations.c.erased_at.is_(None)))


async def append_parent_messages(session: AsyncSession, messages: Sequence[tuple[str, str,
                                                                                 str | None]],
                                 at: datetime) -> list[int | None]:
    """`append_parent_message` for a group of (conversation id, body, client id), in three
    statements whatever its size: every conversation's last seq raised by its number of
    messages, the new last seqs read back, all rows inserted. Messages of one conversation get
    their seqs in the group's order. The caller must hold the write lock (SQLite: BEGIN
    IMMEDIATE), so nobody takes a seq between the update and the read; a conversation on
    PostgreSQL is row-locked by the update. None for a message whose conversation does not
    exist or was erased; a client id the conversation already has raises IntegrityError for
    the whole group."""
    counts = Counter(conversation_id for conversation_id, _body, _client_id in messages)
    connection = await session.connection()
    await connection.execute(_ADD_TO_SEQ, [{"group_conversation": conversation_id,
                                            "group_count": count}
                                           for conversation_id, count in counts.items()])
    last = (await connection.execute(_LAST_SEQS, {"group_conversations": list(counts)})).all()
    # The seq before each live conversation's first message in this group.
    before = {conversation_id: int(seq) - counts[conversation_id] for conversation_id, seq in last}
    seqs: list[int | None] = []
    rows: list[dict[str, Any]] = []
    for conversation_id, body, client_id in messages:
        if conversation_id not in before:
            seqs.append(None)
            continue
        before[conversation_id] += 1
        seqs.append(before[conversation_id])
        rows.append({"conversation_id": conversation_id, "seq": before[conversation_id],
                     "sender": PARENT, "kind": "text", "body": body, "client_id": client_id,
                     "handled": False, "created_at": at})
    if rows:
        await connection.execute(_ADD_MESSAGE, rows)
    return seqs


# Built once: the hot path's statements take only their values at each execution.
_NEXT_SEQ = (update(_conversations)
             .where(_conversations.c.id == bindparam("seq_conversation"))
             .values(last_seq=_conversations.c.last_seq + 1)
             .returning(_conversations.c.last_seq, _conversations.c.channel,
                        _conversations.c.channel_ref))
_ADD_MESSAGE = insert(_messages)
_ADD_MESSAGE_RETURNING_ID = insert(_messages).returning(_messages.c.id)
_ADD_OUTBOX_ITEM = insert(_outbox)
_ADD_EVENT = insert(_events)


async def add_reply(session: AsyncSession, *, conversation_id: str, sender: str, kind: str,
                    body: str, question_id: str | None, at: datetime,
                    actions: dict[str, Any] | None = None) -> int:
    """`add_message` for what the service itself says while handling a parent's message (an FAQ
    answer, suggestions, a place in the queue, the crisis numbers), in Core statements: two for
    the web chat, three with the outbox item of a push channel. Returns the reply's seq."""
    connection = await session.connection()
    row = (await connection.execute(_NEXT_SEQ, {"seq_conversation": conversation_id})).first()
    if row is None:
        raise LookupError(conversation_id)
    seq, channel, address = int(row[0]), str(row[1]), row[2]
    values = {"conversation_id": conversation_id, "seq": seq, "sender": sender, "kind": kind,
              "body": body, "client_id": None, "question_id": question_id, "adviser_id": None,
              "actions": actions, "decision": None, "handled": True, "created_at": at}
    if not _pushed(sender, address):
        await connection.execute(_ADD_MESSAGE, values)
        return seq
    message_id = (await connection.execute(_ADD_MESSAGE_RETURNING_ID, values)).scalar_one()
    await connection.execute(_ADD_OUTBOX_ITEM,
                             _outbox_values(conversation_id, message_id, seq, channel, at))
    return seq


def _claim_statement() -> Any:
    """UPDATE ... RETURNING id, body, previous (see claim_parent_message), built once."""
    messages, earlier = _messages.c, _messages.alias("earlier").c
    # The subquery names the values, not the updated row's columns: in RETURNING, SQLite is
    # given those unqualified, and they would name the subquery's own columns.
    previous = (select(earlier.body)
                .where(earlier.conversation_id == bindparam("claim_conversation"),
                       earlier.sender == PARENT, earlier.seq < bindparam("claim_seq"),
                       earlier.created_at >= bindparam("claim_since"))
                .order_by(earlier.seq.desc()).limit(1).scalar_subquery())
    return (update(_messages)
            .where(messages.conversation_id == bindparam("claim_conversation"),
                   messages.seq == bindparam("claim_seq"), messages.handled.is_(False))
            .values(handled=True)
            .returning(messages.id, messages.body, previous.label("previous")))


_CLAIM = _claim_statement()


async def claim_parent_message(session: AsyncSession, conversation_id: str, seq: int,
                               since: datetime) -> Row[tuple[int, str, str | None]] | None:
    """Mark a stored parent message handled and return (id, body, previous) in one statement:
    `previous` is the parent's message just before it, if written after `since` (read with it
    for crisis detection: a crisis told in two short messages is still one). None when it was
    handled before (by another task or process) or there is no such parent message."""
    row = (await (await session.connection()).execute(
        _CLAIM, {"claim_conversation": conversation_id, "claim_seq": seq,
                 "claim_since": since})).first()
    return cast("Row[tuple[int, str, str | None]] | None", row)


_RECORD_HANDLING = update(_messages).where(_messages.c.id == bindparam("handled_id"))


async def record_handling(session: AsyncSession, message_id: int, question_id: str | None,
                          decision: dict[str, Any]) -> None:
    """Write what handling made of a parent's message: its question and the audit record."""
    await (await session.connection()).execute(_RECORD_HANDLING, {
        "handled_id": message_id, "question_id": question_id, "decision": decision})


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


async def live_messages_after(session: AsyncSession, conversation_id: str, after_seq: int,
                              limit: int = 500) -> Sequence[Row[*tuple[Any, ...]]] | None:
    """`messages_after` of a conversation that exists and was not erased, in one statement (an
    open chat reads this at every change), as rows (seq, sender, kind, body, actions,
    created_at, client_id, author): Core, no ORM objects to build. None when there is no such
    conversation."""
    messages, users = _messages.c, _users.c
    rows = (await (await session.connection()).execute(
        select(_conversations.c.erased_at, messages.seq, messages.sender, messages.kind,
               messages.body, messages.actions, messages.created_at, messages.client_id,
               users.display_name.label("author"))
        .select_from(_conversations)
        .outerjoin(_messages, and_(messages.conversation_id == _conversations.c.id,
                                   messages.seq > after_seq))
        .outerjoin(_users, users.id == messages.adviser_id)
        .where(_conversations.c.id == conversation_id)
        .order_by(messages.seq)
        .limit(limit)
    )).all()
    if not rows or rows[0].erased_at is not None:
        return None
    return [row for row in rows if row.seq is not None]


async def suggested_entries(session: AsyncSession, question_id: str) -> set[str]:
    """The entries the FAQ offered the parent for this question."""
    rows = await session.scalars(select(Message).where(
        Message.question_id == question_id, Message.kind == "suggestions"))
    return {option["entry"] for message in rows
            for option in (message.actions or {}).get("suggestions", [])}


async def latest_suggestions(session: AsyncSession, question_id: str) -> Message | None:
    """The last 'is it one of these?' message offered for a question."""
    return await session.scalar(
        select(Message).where(Message.question_id == question_id, Message.kind == "suggestions")
        .order_by(Message.seq.desc()).limit(1))


async def due_unhandled_messages(session: AsyncSession, now: datetime,
                                 limit: int) -> Sequence[Message]:
    """Parent messages whose handling never finished and is due again, oldest first; those
    set aside after their last attempt are left out (ix_messages_unhandled serves this)."""
    return (await session.scalars(
        select(Message).where(Message.handled.is_(False), Message.handle_failed_at.is_(None),
                              or_(Message.handle_after.is_(None), Message.handle_after <= now))
        .order_by(Message.id).limit(limit))).all()


async def handling_failed(session: AsyncSession, conversation_id: str, seq: int, error: str,
                          now: datetime, retry_in: Callable[[int], timedelta | None]) -> int:
    """Count a failed attempt at handling a parent message: try again after `retry_in(attempts)`,
    or set it aside for advisers when that is None. Returns the attempts so far."""
    message = await message_by_seq(session, conversation_id, seq)
    if message is None or message.handled:
        return 0
    message.handle_attempts += 1
    message.handle_error = error[:200]
    wait = retry_in(message.handle_attempts)
    if wait is None:
        message.handle_failed_at, message.handle_after = now, None
    else:
        message.handle_after = now + wait
    return message.handle_attempts


async def set_aside_messages(session: AsyncSession,
                             limit: int = 200) -> Sequence[tuple[Message, Conversation]]:
    """Parent messages whose handling failed for good, newest first, with their conversation."""
    rows = await session.execute(
        select(Message, Conversation).join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.handled.is_(False), Message.handle_failed_at.is_not(None))
        .order_by(Message.id.desc()).limit(limit))
    return [(message, conversation) for message, conversation in rows.all()]


async def retry_set_aside(session: AsyncSession, message_id: int) -> Message | None:
    """Put a set-aside message back in line with fresh attempts; None if it is not set aside."""
    message = await session.get(Message, message_id)
    if message is None or message.handled or message.handle_failed_at is None:
        return None
    message.handle_failed_at = message.handle_after = None
    message.handle_attempts = 0
    return message


# Push channels: the outbox, channel receipts and quarantine -----------------------------------

async def claim_deliveries(session: AsyncSession, channel: str, owner: str, now: datetime,
                           lease_until: datetime, conversations: int,
                           per_conversation: int) -> list[list[OutboxItem]]:
    """Lease the next items of up to `conversations` conversations for one worker, each
    conversation's pending items from its first one in seq order.

    Only a conversation's first pending item can be claimed, so its later items wait until it
    is delivered (or has failed for good) and go out in order; a leased first item keeps every
    other worker off the conversation. FOR UPDATE SKIP LOCKED lets PostgreSQL workers claim
    side by side without waiting for each other (SQLite has one writer at a time).
    """
    earlier = aliased(OutboxItem)
    heads = (await session.scalars(
        select(OutboxItem)
        .where(OutboxItem.channel == channel, OutboxItem.status == "pending",
               OutboxItem.next_attempt_at <= now,
               or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until < now),
               ~exists().where(earlier.conversation_id == OutboxItem.conversation_id,
                               earlier.channel == channel, earlier.status == "pending",
                               earlier.seq < OutboxItem.seq))
        .order_by(OutboxItem.id).limit(conversations)
        .with_for_update(skip_locked=True, of=OutboxItem)
        .execution_options(populate_existing=True))).all()
    batches = []
    for head in heads:
        items = (await session.scalars(
            select(OutboxItem)
            .where(OutboxItem.conversation_id == head.conversation_id,
                   OutboxItem.channel == channel, OutboxItem.status == "pending",
                   OutboxItem.seq >= head.seq)
            .order_by(OutboxItem.seq).limit(per_conversation)
            .execution_options(populate_existing=True))).all()
        for item in items:
            item.lease_owner, item.lease_until = owner, lease_until
        batches.append(list(items))
    await session.flush()
    return batches


async def delivery_done(session: AsyncSession, item_id: int, owner: str, *, status: str,
                        at: datetime, channel_message_id: str | None = None,
                        error: str | None = None) -> bool:
    """Record a delivered, skipped or failed item; False when this worker's lease was lost."""
    result = await session.execute(
        update(OutboxItem).where(OutboxItem.id == item_id, OutboxItem.lease_owner == owner)
        .values(status=status, delivered_at=at if status == "delivered" else None,
                channel_message_id=channel_message_id, last_error=error,
                attempts=OutboxItem.attempts + 1, lease_owner=None, lease_until=None))
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


async def delivery_retry(session: AsyncSession, item_id: int, owner: str, *, at: datetime,
                         error: str, count_attempt: bool = True) -> None:
    """Release an item to be tried again from `at`."""
    await session.execute(
        update(OutboxItem).where(OutboxItem.id == item_id, OutboxItem.lease_owner == owner)
        .values(next_attempt_at=at, last_error=error, lease_owner=None, lease_until=None,
                attempts=OutboxItem.attempts + (1 if count_attempt else 0)))


async def release_deliveries(session: AsyncSession, item_ids: Sequence[int], owner: str) -> None:
    """Give leased items back untried (the worker stops its round)."""
    if item_ids:
        await session.execute(
            update(OutboxItem).where(OutboxItem.id.in_(item_ids), OutboxItem.lease_owner == owner)
            .values(lease_owner=None, lease_until=None))


async def delivered_channel_ids(session: AsyncSession, conversation_id: str, channel: str,
                                after_seq: int, limit: int = 20) -> list[str]:
    """The channel's ids of what went out in a conversation after `after_seq`, oldest first."""
    rows = await session.scalars(
        select(OutboxItem.channel_message_id)
        .where(OutboxItem.conversation_id == conversation_id, OutboxItem.channel == channel,
               OutboxItem.status == "delivered", OutboxItem.seq > after_seq,
               OutboxItem.channel_message_id.is_not(None))
        .order_by(OutboxItem.seq.desc()).limit(limit))
    ids = [value for value in rows if value]
    return list(dict.fromkeys(reversed(ids)))


async def automatic_deliveries_since(session: AsyncSession, channel: str, address: str,
                                     since: datetime) -> int:
    """How many automatic messages (not an adviser's) went to this address since `since`,
    across all its conversations (one delivery may carry several items: counted once)."""
    return await session.scalar(
        select(func.count(func.distinct(OutboxItem.channel_message_id)))
        .join(Conversation, Conversation.id == OutboxItem.conversation_id)
        .join(Message, Message.id == OutboxItem.message_id)
        .where(Conversation.channel == channel, Conversation.channel_ref == address,
               OutboxItem.channel == channel, OutboxItem.status == "delivered",
               OutboxItem.delivered_at >= since, Message.sender != "adviser")) or 0


async def deliveries_of_conversation(session: AsyncSession,
                                     conversation_id: str) -> dict[int, OutboxItem]:
    """The outbox item of each message of a conversation that was (to be) pushed, by seq."""
    rows = await session.scalars(select(OutboxItem)
                                 .where(OutboxItem.conversation_id == conversation_id))
    return {item.seq: item for item in rows}


async def conversations_with_failed_deliveries(session: AsyncSession,
                                               conversation_ids: Sequence[str]) -> set[str]:
    rows = await session.scalars(
        select(OutboxItem.conversation_id).distinct()
        .where(OutboxItem.conversation_id.in_(conversation_ids), OutboxItem.status == "failed"))
    return set(rows)


async def failed_deliveries(session: AsyncSession,
                            limit: int = 200) -> Sequence[tuple[OutboxItem, Question | None]]:
    """Items that will not be delivered, newest first, with the question they belong to."""
    rows = await session.execute(
        select(OutboxItem, Question)
        .join(Message, Message.id == OutboxItem.message_id)
        .outerjoin(Question, Question.id == Message.question_id)
        .where(OutboxItem.status == "failed")
        .order_by(OutboxItem.id.desc()).limit(limit))
    return [(item, question) for item, question in rows.all()]


async def outbox_item(session: AsyncSession, item_id: int) -> OutboxItem | None:
    return await session.get(OutboxItem, item_id)


async def mark_bounced(session: AsyncSession, channel: str, channel_message_id: str,
                       reason: str) -> int:
    """A delivered item turned out undeliverable (a bounce): failed, so advisers see it."""
    result = await session.execute(
        update(OutboxItem).where(OutboxItem.channel == channel,
                                 OutboxItem.channel_message_id == channel_message_id,
                                 OutboxItem.status == "delivered")
        .values(status="failed", last_error=reason[:300]))
    return result.rowcount  # type: ignore[attr-defined, no-any-return]


async def channel_receipt(session: AsyncSession, channel: str,
                          external_id: str) -> ChannelReceipt | None:
    return await session.get(ChannelReceipt, (channel, external_id))


async def add_channel_receipt(session: AsyncSession, *, channel: str, external_id: str,
                              conversation_id: str, seq: int, reference: str | None,
                              context: dict[str, Any] | None, at: datetime) -> None:
    session.add(ChannelReceipt(channel=channel, external_id=external_id,
                               conversation_id=conversation_id, seq=seq, reference=reference,
                               context=context, received_at=at))
    await session.flush()


async def latest_channel_receipt(session: AsyncSession,
                                 conversation_id: str) -> ChannelReceipt | None:
    """What the parent sent last on their channel (to answer in the same thread)."""
    return await session.scalar(
        select(ChannelReceipt).where(ChannelReceipt.conversation_id == conversation_id)
        .order_by(ChannelReceipt.seq.desc()).limit(1))


async def latest_conversation_at_address(session: AsyncSession, channel: str,
                                         address: str) -> Conversation | None:
    # created_at ties (one clock tick) are broken by the id of the conversation's first
    # message, which the database hands out in order; the random conversation id was a coin toss.
    first_message = (select(func.min(Message.id)).where(Message.conversation_id == Conversation.id)
                     .correlate(Conversation).scalar_subquery())
    return await session.scalar(
        select(Conversation).where(Conversation.channel == channel,
                                   Conversation.channel_ref == address)
        .order_by(Conversation.created_at.desc(), first_message.desc().nulls_last(),
                  Conversation.id.desc()).limit(1))


async def conversations_at_address(session: AsyncSession, channel: str,
                                   address: str) -> Sequence[Conversation]:
    return (await session.scalars(select(Conversation).where(
        Conversation.channel == channel, Conversation.channel_ref == address))).all()


async def channel_update(session: AsyncSession, channel: str, account: str,
                         update_id: int) -> ChannelUpdate | None:
    return await session.get(ChannelUpdate, (channel, account, update_id))


async def add_channel_update(session: AsyncSession, update: ChannelUpdate) -> None:
    session.add(update)
    await session.flush()


async def unhandled_channel_updates(session: AsyncSession, channel: str, account: str,
                                    limit: int) -> Sequence[ChannelUpdate]:
    """Stored but not yet handled, oldest update first (a chat's updates keep their order)."""
    return (await session.scalars(
        select(ChannelUpdate).where(ChannelUpdate.channel == channel,
                                    ChannelUpdate.account == account,
                                    ChannelUpdate.handled_at.is_(None))
        .order_by(ChannelUpdate.update_id).limit(limit))).all()


async def forget_handled_channel_updates(session: AsyncSession, channel: str, account: str,
                                        before: datetime) -> int:
    """Drop the ids of updates handled long ago: no channel redelivers that late."""
    result = await session.execute(delete(ChannelUpdate).where(
        ChannelUpdate.channel == channel, ChannelUpdate.account == account,
        ChannelUpdate.handled_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


async def quarantined(session: AsyncSession, channel: str,
                      external_id: str) -> QuarantinedMessage | None:
    return await session.scalar(select(QuarantinedMessage).where(
        QuarantinedMessage.channel == channel, QuarantinedMessage.external_id == external_id))


async def add_quarantined(session: AsyncSession, item: QuarantinedMessage) -> None:
    session.add(item)
    await session.flush()


async def quarantine_list(session: AsyncSession,
                          limit: int = 200) -> Sequence[QuarantinedMessage]:
    """Newest first; the raw content stays unloaded until it is asked for."""
    return (await session.scalars(
        select(QuarantinedMessage).order_by(QuarantinedMessage.id.desc()).limit(limit)
        .options(defer(QuarantinedMessage.raw)))).all()


async def quarantined_by_id(session: AsyncSession, item_id: int) -> QuarantinedMessage | None:
    return await session.get(QuarantinedMessage, item_id)


async def delete_quarantined(session: AsyncSession, item_id: int) -> None:
    await session.execute(delete(QuarantinedMessage).where(QuarantinedMessage.id == item_id))


# Erasure and retention ------------------------------------------------------------------------

async def erase_conversation_content(session: AsyncSession, conversation_id: str) -> None:
    """Blank every message of a conversation and drop what leads back to the parent: device
    tokens, push subscriptions, queued deliveries and channel receipts (they hold addresses and
    subjects), and the advisers' transfer notes. The message rows stay, without text, for the
    anonymous statistics and the FAQ audit (decision, score), as do the questions and their
    events."""
    await session.execute(
        update(Message).where(Message.conversation_id == conversation_id)
        .values(body="", client_id=None, handled=True))
    for table in (ConversationToken, PushSubscription, OutboxItem, ChannelReceipt,
                  TransferNote):
        await session.execute(delete(table).where(
            table.conversation_id == conversation_id))


async def conversations_past_retention(session: AsyncSession, cutoff: datetime,
                                       limit: int) -> Sequence[str]:
    """Conversations not erased yet, with no question in the advisers' queue, whose last
    message (or, without messages, whose start) is before `cutoff`."""
    recent = exists().where(Message.conversation_id == Conversation.id,
                            Message.created_at >= cutoff)
    queued = exists().where(Question.conversation_id == Conversation.id,
                            Question.status.in_(OPEN_STATUSES))
    return (await session.scalars(
        select(Conversation.id)
        .where(Conversation.erased_at.is_(None), Conversation.created_at < cutoff,
               ~recent, ~queued)
        .order_by(Conversation.created_at, Conversation.id).limit(limit))).all()


async def delete_quarantined_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(delete(QuarantinedMessage)
                                   .where(QuarantinedMessage.received_at < cutoff))
    return result.rowcount  # type: ignore[attr-defined, no-any-return]


async def add_audit_record(session: AsyncSession, record: AuditRecord) -> None:
    session.add(record)


async def audit_records(session: AsyncSession, municipalities: Collection[str] | None,
                        limit: int = 200,
                        actions: Collection[str] | None = None) -> Sequence[AuditRecord]:
    """Newest first; only those about `municipalities` unless None (the whole region), and
    only `actions` unless None."""
    query = select(AuditRecord).order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
    if actions is not None:
        query = query.where(AuditRecord.action.in_(list(actions)))
    if municipalities is not None:
        query = query.where(AuditRecord.municipality.in_(list(municipalities)))
    return (await session.scalars(query.limit(limit))).all()


# Questions ------------------------------------------------------------------------------------

async def safety_events_since(session: AsyncSession, since: datetime, *,
                              source_hash: str | None = None,
                              conversation_id: str | None = None) -> int:
    """How many crisis and concern signals were raised since `since` by conversations opened
    from one source, or in one conversation."""
    query = (select(func.count()).select_from(QuestionEvent)
             .join(Question, Question.id == QuestionEvent.question_id)
             .where(QuestionEvent.kind.in_(("crisis", "concern")), QuestionEvent.at >= since))
    if source_hash is not None:
        query = query.join(Conversation, Conversation.id == Question.conversation_id) \
            .where(Conversation.source_hash == source_hash)
    if conversation_id is not None:
        query = query.where(Question.conversation_id == conversation_id)
    return int(await session.scalar(query) or 0)


async def open_and_latest_questions(session: AsyncSession,
                                    conversation_id: str) -> Sequence[Question]:
    """The conversation's open question (there is at most one) and its latest, in one read: no,
    one or two questions (one when the latest is the open one)."""
    latest = (select(func.max(Question.opened_seq))
              .where(Question.conversation_id == conversation_id).scalar_subquery())
    return (await session.scalars(
        select(Question).where(Question.conversation_id == conversation_id,
                               or_(Question.status.in_(OPEN_STATUSES),
                                   Question.opened_seq == latest))
        .execution_options(populate_existing=True))).all()


async def latest_question(session: AsyncSession, conversation_id: str) -> Question | None:
    return await session.scalar(
        select(Question).where(Question.conversation_id == conversation_id)
        .order_by(Question.opened_seq.desc()).limit(1))


async def open_question(session: AsyncSession, conversation_id: str) -> Question | None:
    """The conversation's question in the advisers' queue, if any (there is at most one)."""
    return await session.scalar(
        select(Question).where(Question.conversation_id == conversation_id,
                               Question.status.in_(OPEN_STATUSES)))


async def question_for_update(session: AsyncSession, question_id: str) -> Question | None:
    """The question as it is now, locked; populate_existing replaces a copy this session read
    earlier, which would otherwise be returned unchanged."""
    return await session.scalar(
        select(Question).where(Question.id == question_id).with_for_update()
        .execution_options(populate_existing=True))


async def record_crisis_alert(session: AsyncSession, question_id: str, at: datetime) -> bool:
    """Record that operators were alerted to this waiting crisis question; False when that was
    done before (by any process: the question row is locked while it is checked)."""
    question = await question_for_update(session, question_id)
    if question is None or await session.scalar(
            select(QuestionEvent.id).where(QuestionEvent.question_id == question_id,
                                           QuestionEvent.kind == CRISIS_ALERTED).limit(1)):
        return False
    await record_event(session, question, CRISIS_ALERTED, at)
    return True


CRISIS_ALERTED = "crisis_alerted"


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


async def adviser_handled(session: AsyncSession, question_id: str, adviser_id: int) -> bool:
    """Whether this adviser ever claimed, answered, released or closed the question."""
    found = await session.scalar(select(QuestionEvent.id).where(
        QuestionEvent.question_id == question_id, QuestionEvent.adviser_id == adviser_id)
        .limit(1))
    return found is not None


async def record_event(session: AsyncSession, question: Question, kind: str, at: datetime, *,
                       adviser_id: int | None = None, topic: str | None = None,
                       score: float | None = None) -> None:
    """Store the event at once, a Core statement: the question must be stored already."""
    await (await session.connection()).execute(_ADD_EVENT, {
        "question_id": question.id, "kind": kind, "at": at, "channel": question.channel,
        "municipality": question.municipality, "adviser_id": adviser_id, "topic": topic,
        "score": score})


async def events_of_questions_created_between(
        session: AsyncSession, start: datetime, end: datetime,
        municipalities: Collection[str] | None) -> Sequence[QuestionEvent]:
    """Every event of the questions received in [start, end), in order; only those of
    `municipalities` unless None (the whole region)."""
    query = (select(QuestionEvent)
             .join(Question, Question.id == QuestionEvent.question_id)
             .where(Question.created_at >= start, Question.created_at < end)
             .order_by(QuestionEvent.at, QuestionEvent.id))
    if municipalities is not None:
        query = query.where(Question.municipality.in_(list(municipalities)))
    return (await session.scalars(query)).all()


async def decisions_between(session: AsyncSession, start: datetime, end: datetime,
                            municipalities: Collection[str] | None,
                            limit: int) -> Sequence[tuple[datetime, dict[str, Any], str | None,
                                                          str | None]]:
    """The matcher's decisions on parent messages in [start, end), newest first (no text);
    only those of `municipalities` unless None (the whole region)."""
    query = (select(Message.created_at, Message.decision, Question.municipality, Question.id)
             .join(Question, Question.id == Message.question_id)
             .where(Message.sender == "parent", Message.decision.is_not(None),
                    Message.created_at >= start, Message.created_at < end)
             .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit))
    if municipalities is not None:
        query = query.where(Question.municipality.in_(list(municipalities)))
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


async def all_users(session: AsyncSession) -> Sequence[User]:
    return (await session.scalars(select(User).order_by(User.username))).all()


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


async def take_turn_to_sync_users(session: AsyncSession) -> None:
    """Until this transaction ends, other processes' syncs of the configured staff wait
    (SQLite: the writer lock does it)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                              {"key": _SYNC_USERS_LOCK})


_SYNC_USERS_LOCK = 0x0ADD1CE5   # the advisory lock of the staff sync on PostgreSQL


async def take_turn_to_log_in(session: AsyncSession, username: str) -> None:
    """Until this transaction ends, other logins for `username` wait, so counting the recent
    failures and recording this attempt happen as one step (SQLite: the writer lock does it)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"login:{username}".encode()).digest()[:8], "big",
                             signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def failed_logins(session: AsyncSession, username: str, *, source: str | None,
                        since: datetime) -> int:
    """Failures for `username` after `since`: from one source (and after that source's last
    success), or from all untrusted sources when `source` is None."""
    failures = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.username == username, LoginAttempt.succeeded.is_(False))
    if source is None:
        return await session.scalar(failures.where(
            LoginAttempt.trusted.is_(False), LoginAttempt.at > since)) or 0
    last_success = await session.scalar(
        select(func.max(LoginAttempt.id)).where(LoginAttempt.username == username,
                                                LoginAttempt.source == source,
                                                LoginAttempt.succeeded.is_(True)))
    return await session.scalar(failures.where(
        LoginAttempt.source == source, LoginAttempt.at > since,
        LoginAttempt.id > (last_success or 0))) or 0


async def add_login_attempt(session: AsyncSession, *, username: str, source: str, trusted: bool,
                            at: datetime) -> int:
    """Record an attempt as failed (until `login_attempt_succeeded`); returns its id."""
    attempt = LoginAttempt(username=username, source=source, trusted=trusted, succeeded=False,
                           at=at)
    session.add(attempt)
    await session.flush()
    return attempt.id


async def login_attempt_succeeded(session: AsyncSession, attempt_id: int) -> None:
    await session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id)
                          .values(succeeded=True))


async def purge_login_attempts(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))


async def is_login_device(session: AsyncSession, token_hash: str, username: str) -> bool:
    return await session.scalar(select(func.count()).select_from(LoginDevice).where(
        LoginDevice.token_hash == token_hash, LoginDevice.username == username)) == 1


async def remember_login_device(session: AsyncSession, token_hash: str, username: str,
                                at: datetime, forget_before: datetime) -> None:
    device = await session.get(LoginDevice, token_hash)
    if device is None or device.username != username:
        if device is not None:
            await session.delete(device)
            await session.flush()
        session.add(LoginDevice(token_hash=token_hash, username=username, created_at=at,
                                last_used_at=at))
    else:
        device.last_used_at = at
    await session.execute(delete(LoginDevice).where(LoginDevice.last_used_at < forget_before))


async def end_login_session(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash))


async def extend_login_session(session: AsyncSession, token_hash: str,
                               expires_at: datetime) -> None:
    await session.execute(update(LoginSession).where(LoginSession.token_hash == token_hash)
                          .values(expires_at=expires_at))


async def end_sessions_of_user(session: AsyncSession, user_id: int) -> None:
    """Every login of this user ends (their password changed)."""
    await session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))


async def purge_expired_login_sessions(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    return result.rowcount  # type: ignore[attr-defined, no-any-return]


async def count_users(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(User.id))) or 0


# Advisers' crisis marks ------------------------------------------------------------------------

async def mark_crisis(session: AsyncSession, message: Message, question_id: str, label: str,
                      category: str | None, detected: str, adviser_id: int | None,
                      at: datetime) -> CrisisLabel:
    """One mark per message: a second mark (an adviser changes their mind) replaces the first."""
    existing = await session.scalar(select(CrisisLabel).where(
        CrisisLabel.message_id == message.id).with_for_update())
    if existing is None:
        existing = CrisisLabel(message_id=message.id, question_id=question_id, label=label,
                               category=category, detected=detected, adviser_id=adviser_id,
                               created_at=at)
        session.add(existing)
    else:
        existing.label, existing.category, existing.adviser_id = label, category, adviser_id
        existing.created_at = at
    await session.flush()
    return existing


async def crisis_marks_of_question(session: AsyncSession,
                                   question_id: str) -> dict[int, CrisisLabel]:
    rows = await session.scalars(select(CrisisLabel).where(CrisisLabel.question_id == question_id))
    return {row.message_id: row for row in rows}


async def crisis_marks_for_export(session: AsyncSession) -> Sequence[tuple[CrisisLabel, str]]:
    """Every mark with its message's text (for the corpus file only, never for statistics)."""
    rows = await session.execute(
        select(CrisisLabel, Message.body).join(Message, Message.id == CrisisLabel.message_id)
        .where(Message.body != "")   # an erased conversation's words are gone for good
        .order_by(CrisisLabel.id))
    return [(label, body) for label, body in rows.all()]


async def crisis_mark_counts(session: AsyncSession,
                             municipalities: frozenset[str] | None = None
                             ) -> dict[tuple[str, str], int]:
    """(label, what the detector said) -> count: how often advisers disagreed, without text;
    `municipalities`: only marks on those municipalities' questions (None: all)."""
    query = select(CrisisLabel.label, CrisisLabel.detected, func.count())
    if municipalities is not None:
        query = query.join(Question, Question.id == CrisisLabel.question_id).where(
            Question.municipality.in_(municipalities))
    rows = await session.execute(query.group_by(CrisisLabel.label, CrisisLabel.detected))
    return {(label, detected): count for label, detected, count in rows.all()}


# Offer, then assign: presence and the dispatcher's reads ------------------------------------


async def adviser_users(session: AsyncSession) -> Sequence[User]:
    return (await session.scalars(select(User).where(User.role == "adviser",
                                                     User.active.is_(True)))).all()


async def active_staff(session: AsyncSession) -> Sequence[User]:
    """Every active adviser and coordinator (whom on call may call)."""
    return (await session.scalars(select(User).where(User.active.is_(True)))).all()


async def called_for(session: AsyncSession,
                     question_ids: Sequence[str]) -> dict[str, frozenset[str]]:
    """Per question, the usernames on call has called for it so far."""
    if not question_ids:
        return {}
    called: dict[str, set[str]] = {}
    rows = await session.execute(
        select(OnCallNotice.question_id, User.username)
        .join(User, User.id == OnCallNotice.user_id)
        .where(OnCallNotice.question_id.in_(question_ids)))
    for question_id, username in rows.all():
        called.setdefault(question_id, set()).add(username)
    return {question_id: frozenset(names) for question_id, names in called.items()}


async def take_on_call_step(session: AsyncSession, question_id: str, step_from: int,
                            step_to: int, at: datetime) -> bool:
    """Move a still waiting question's on-call escalation from one step to the next; False
    when another writer took that step already or the question was claimed meanwhile (the
    conditional UPDATE re-reads the row on PostgreSQL, so a step is taken once)."""
    result = await session.execute(
        update(Question).where(Question.id == question_id, Question.status == "waiting",
                               Question.on_call_step == step_from)
        .values(on_call_step=step_to, on_call_at=at)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


async def claim_staff_mail(session: AsyncSession, owner: str, now: datetime,
                           lease_until: datetime, limit: int) -> Sequence[StaffMail]:
    """Lease up to `limit` due staff mails for one worker (SKIP LOCKED: PostgreSQL workers
    claim side by side; an expired lease is taken over)."""
    mails = (await session.scalars(
        select(StaffMail)
        .where(StaffMail.status == "pending", StaffMail.next_attempt_at <= now,
               or_(StaffMail.lease_until.is_(None), StaffMail.lease_until < now))
        .order_by(StaffMail.id).limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True))).all()
    for mail in mails:
        mail.lease_owner, mail.lease_until = owner, lease_until
    await session.flush()
    return mails


async def release_staff_mail(session: AsyncSession, mail_ids: Sequence[int], owner: str) -> None:
    if mail_ids:
        await session.execute(update(StaffMail).where(StaffMail.id.in_(mail_ids),
                                                      StaffMail.lease_owner == owner)
                              .values(lease_owner=None, lease_until=None))


async def staff_mail(session: AsyncSession, mail_id: int) -> StaffMail | None:
    return await session.scalar(select(StaffMail).where(StaffMail.id == mail_id)
                                .with_for_update().execution_options(populate_existing=True))


async def on_call_notices(session: AsyncSession, user_id: int,
                          unseen_only: bool = True) -> Sequence[tuple[OnCallNotice, Question]]:
    """The on-call calls of one adviser with their questions, newest first."""
    query = (select(OnCallNotice, Question).join(Question, Question.id == OnCallNotice.question_id)
             .where(OnCallNotice.user_id == user_id)
             .order_by(OnCallNotice.at.desc(), OnCallNotice.id.desc()).limit(100))
    if unseen_only:
        query = query.where(OnCallNotice.seen_at.is_(None))
    return [(notice, question) for notice, question in (await session.execute(query)).all()]


async def called_questions(session: AsyncSession, user_id: int) -> set[str]:
    """The questions this adviser was called for while on call."""
    return set(await session.scalars(select(OnCallNotice.question_id)
                                     .where(OnCallNotice.user_id == user_id)))


async def on_call_notice_seen(session: AsyncSession, notice_id: int, user_id: int,
                              at: datetime) -> bool:
    notice = await session.scalar(select(OnCallNotice).where(
        OnCallNotice.id == notice_id, OnCallNotice.user_id == user_id))
    if notice is None:
        return False
    if notice.seen_at is None:
        notice.seen_at = at
    return True


async def transfer_notes(session: AsyncSession, question_id: str) -> Sequence[TransferNote]:
    return (await session.scalars(select(TransferNote).where(
        TransferNote.question_id == question_id).order_by(TransferNote.at, TransferNote.id))).all()


async def presences(session: AsyncSession) -> dict[int, AdviserPresence]:
    return {row.user_id: row for row in await session.scalars(select(AdviserPresence))}


async def presence_for_update(session: AsyncSession, user_id: int) -> AdviserPresence | None:
    return await session.scalar(
        select(AdviserPresence).where(AdviserPresence.user_id == user_id).with_for_update()
        .execution_options(populate_existing=True))


async def set_presence(session: AsyncSession, user_id: int, status: str,
                       now: datetime) -> AdviserPresence:
    presence = await presence_for_update(session, user_id)
    if presence is None:
        presence = AdviserPresence(user_id=user_id, status=status, changed_at=now, seen_at=now,
                                   idle_since=now)
        session.add(presence)
    else:
        presence.status, presence.changed_at, presence.seen_at = status, now, now
        presence.idle_since = now
    return presence


async def console_seen(session: AsyncSession, user_id: int, now: datetime,
                       every: timedelta) -> bool:
    """The adviser's console is open: refresh seen_at (at most once per `every`). False when
    there is no presence yet (the console sets one when it opens)."""
    result = await session.execute(
        update(AdviserPresence)
        .where(AdviserPresence.user_id == user_id, AdviserPresence.seen_at < now - every)
        .values(seen_at=now))
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    return await session.get(AdviserPresence, user_id) is not None


async def adviser_was_active(session: AsyncSession, user_id: int, now: datetime) -> None:
    await session.execute(update(AdviserPresence).where(AdviserPresence.user_id == user_id)
                          .values(idle_since=now))


async def last_parent_message_at(session: AsyncSession,
                                 conversation_ids: Sequence[str]) -> dict[str, datetime]:
    """When the parent last wrote, per conversation, in one query."""
    if not conversation_ids:
        return {}
    rows = await session.execute(
        select(Message.conversation_id, func.max(Message.created_at))
        .where(Message.conversation_id.in_(conversation_ids), Message.sender == "parent")
        .group_by(Message.conversation_id))
    return {conversation_id: at for conversation_id, at in rows.all() if at is not None}


async def conversation_languages(session: AsyncSession,
                                 conversation_ids: Sequence[str]) -> dict[str, str]:
    if not conversation_ids:
        return {}
    rows = await session.execute(select(Conversation.id, Conversation.language)
                                 .where(Conversation.id.in_(conversation_ids)))
    return {conversation_id: language for conversation_id, language in rows.all()}


# The rota as coordinators change it ---------------------------------------------------------


async def rota_entries(session: AsyncSession) -> Sequence[RotaEntry]:
    """Every rota line coordinators added and did not remove, oldest first."""
    return (await session.scalars(select(RotaEntry).where(RotaEntry.removed_at.is_(None))
                                  .order_by(RotaEntry.id))).all()


async def rota_entry_for_update(session: AsyncSession, entry_id: int) -> RotaEntry | None:
    return await session.scalar(select(RotaEntry).where(RotaEntry.id == entry_id)
                                .with_for_update())


async def queued_messages(session: AsyncSession,
                          question_ids: Sequence[str]) -> dict[str, Message]:
    """The latest 'queued' message (what the parent was promised) per question."""
    if not question_ids:
        return {}
    rows = await session.scalars(select(Message).where(
        Message.question_id.in_(question_ids), Message.kind == "queued").order_by(Message.seq))
    return {message.question_id: message for message in rows if message.question_id}


async def escalated_questions(session: AsyncSession,
                              municipalities: Collection[str] | None) -> Sequence[Question]:
    """Open questions escalated for nearing their promised answer time, oldest first."""
    query = select(Question).where(Question.status.in_(OPEN_STATUSES),
                                   Question.escalated_at.is_not(None))
    if municipalities is not None:
        query = query.where(Question.municipality.in_(list(municipalities)))
    return (await session.scalars(query.order_by(Question.escalated_at))).all()
