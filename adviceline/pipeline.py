"""The one road every parent message travels, whatever channel carried it.

stored (acknowledged only after the commit) -> crisis check and FAQ match -> an answer from the
knowledge base, suggestions, or a place in the advisers' queue. Replies are stored as messages in
the conversation; channels deliver them in sequence order.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio.session import _AsyncSessionContextManager

from adviceline import texts
from adviceline.clock import Clock
from adviceline.config import Config
from adviceline.domain import (
    FAQ,
    LANGUAGES,
    MAX_SEQ,
    PARENT,
    SYSTEM,
    ChannelInbound,
    Conflict,
    ConversationView,
    Inbound,
    Invalid,
    NewConversation,
    NotFound,
    OutboundMessage,
    Receipt,
    storable,
)
from adviceline.faq import Faq
from adviceline.handling_queue import TURN_SECONDS, HandlingQueue, Waiting
from adviceline.notify import QUEUE, Notifier, conversation_topic
from adviceline.queue_state import LIVE_CHANNELS
from adviceline.settings import shared_secret
from adviceline.storage import repository as repo
from adviceline.storage.engine import Sessions
from adviceline.storage.group_commit import GroupCommit
from adviceline.storage.models import Conversation, Message, Question
from adviceline.tasks import BackgroundTasks
from adviceline.waiting import WaitingTimes, numbers_of
from knowledge_base import Decision
from knowledge_base.small_talk import SmallTalk, small_talk
from routing.assignment import expectation, next_opening_anywhere
from routing.queue import CONCERN_PRIORITY, CRISIS_PRIORITY

log = logging.getLogger(__name__)
MAX_CLIENT_ID = 64
# Tokens are URL-safe base64 (secrets.token_urlsafe); anything else is no conversation's token.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")


# Outcomes after which a message may still be small talk; a safety signal never is.
_ORDINARY = ("answer", "suggest", "route")
# A follow-up is read for crisis signs together with the parent's message before it, if recent.
CONTEXT_WINDOW = timedelta(hours=24)
_SAFETY_PRIORITY = {"crisis": CRISIS_PRIORITY, "concern": CONCERN_PRIORITY}
# The key of the source hashes (service_settings), made at the first start, shared by processes.
SOURCE_KEY = "sources"


# Handling a parent message that failed is tried again after 30 s, 2, 8, 32 minutes; after the
# fifth attempt it is set aside for advisers (the console's "Vastgelopen berichten").
HANDLE_ATTEMPTS = 5
FIRST_HANDLING_RETRY = timedelta(seconds=30)


def handling_retry_in(attempts: int) -> timedelta | None:
    """How long after its `attempts`-th failed attempt a message is tried again; None: never."""
    if attempts >= HANDLE_ATTEMPTS:
        return None
    return FIRST_HANDLING_RETRY * (1 << 2 * max(attempts - 1, 0))   # x4 per attempt


def _where(exc: BaseException) -> str:
    """The exception's type and the line it came from, never its text."""
    frames = traceback.extract_tb(exc.__traceback__)
    place = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{place}"


@dataclass
class _ParentMessage:
    """The parent's message being handled: what handling read of it and will write back."""
    id: int
    seq: int
    body: str
    decision: dict[str, Any]
    question_id: str | None = None


@dataclass
class _Known:
    """What handling read of one conversation in the current transaction, kept for its next
    messages in the same group instead of read again: the conversation (locked) and its open
    and latest questions, changed as handling changes them. Valid only in that transaction, and
    dropped when a savepoint rolls back (its objects are then out of date)."""
    conversation: Conversation
    questions: list[Question]

    def open_question(self) -> Question | None:
        return next((q for q in self.questions if q.status in repo.OPEN_STATUSES), None)

    def latest_question(self) -> Question | None:
        return max(self.questions, key=lambda question: question.opened_seq, default=None)


@dataclass
class _GroupOutcome:
    """A group's handling so far, in its transaction: what each conversation's messages read
    (`_Known`), the decisions to announce and the failures to log once it is committed."""
    known: dict[str, _Known] = field(default_factory=dict)
    handled: list[tuple[str, Decision]] = field(default_factory=list)
    failed: list[tuple[str, int]] = field(default_factory=list)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _seq(value: int, name: str) -> int:
    if not 0 <= value <= MAX_SEQ:
        raise Invalid(f"'{name}' must be a whole number from 0 to {MAX_SEQ}.")
    return value


class Pipeline:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], faq: Faq, config: Config,
                 clock: Clock, notifier: Notifier, tasks: BackgroundTasks,
                 waiting: WaitingTimes | None = None) -> None:
        self._waiting = waiting or WaitingTimes(config)
        self._sessions = sessions
        self._faq = faq
        self._config = config
        self._clock = clock
        self._notifier = notifier
        self._tasks = tasks
        self._source_key: bytes | None = None
        self._zone = ZoneInfo(config.time_zone)
        # Set when a message could not get a task of its own; the retry loop waits on it.
        self.backlog = asyncio.Event()
        one_writer = isinstance(sessions, Sessions) and sessions.one_writer
        # On SQLite a chat message is handled in the transaction that stores it, with the
        # others of its group (one writer: a commit for each would queue them), so its ack
        # waits for its handling and handling keeps up with storing.
        self._group = (GroupCommit(sessions, clock, after_store=self._handle_stored)
                       if isinstance(sessions, Sessions) and one_writer else None)
        # What is stored otherwise (another channel, a group whose handling failed as a
        # whole) is handled in groups of its own on SQLite; on PostgreSQL each message has a
        # task and a transaction of its own, in parallel.
        self._handling = (HandlingQueue(self.handle_group, tasks, self.backlog)
                          if one_writer else None)

    def _write(self, short: bool = False) -> _AsyncSessionContextManager[AsyncSession]:
        """A writer's session; `short`: only short, indexed statements (Sessions.begin)."""
        if isinstance(self._sessions, Sessions):
            return self._sessions.begin(short=short)
        return self._sessions.begin()

    def _read(self, short: bool = False) -> AsyncSession:
        """A reader's session; `short`: only short, indexed statements (Sessions.short)."""
        if short and isinstance(self._sessions, Sessions):
            return self._sessions.short()
        return self._sessions()

    # Conversations -----------------------------------------------------------------------------

    async def open_conversation(self, channel: str, municipality: str | None, language: str,
                                channel_ref: str | None = None,
                                source: str | None = None) -> NewConversation:
        """`source`: where the conversation is opened from (a client address), kept only as a
        keyed hash to count the crises raised from there (a possible flood)."""
        if language not in LANGUAGES:
            raise Invalid(f"language must be one of {', '.join(LANGUAGES)}")
        if municipality is not None and municipality not in self._config.municipalities:
            raise Invalid(f"unknown municipality {municipality!r}")
        token = secrets.token_urlsafe(32)
        conversation = Conversation(
            id=str(uuid.uuid4()), token_hash=hash_token(token), channel=channel,
            channel_ref=channel_ref, municipality=municipality, language=language, last_seq=0,
            created_at=self._clock.now(),
            source_hash=await self._source_hash(source) if source is not None else None)
        async with self._sessions.begin() as session:
            session.add(conversation)
        log.info("conversation opened", extra={"channel": channel, "municipality": municipality})
        return NewConversation(conversation.id, token, municipality, language)

    async def conversation_for_token(self, token: str) -> ConversationView | None:
        if not _TOKEN.fullmatch(token):
            return None
        async with self._sessions() as session:
            conversation = await repo.conversation_by_token_hash(session, hash_token(token))
        return _view(conversation) if conversation else None

    async def choose_language(self, conversation_id: str, language: str) -> ConversationView:
        """The parent switched language: every reply from now on is in it, whatever they type."""
        if language not in LANGUAGES:
            raise Invalid(f"Kies een taal: {', '.join(LANGUAGES)}. / language must be one of "
                          f"{', '.join(LANGUAGES)}.")
        async with self._sessions.begin() as session:
            conversation = _alive(await repo.conversation_by_id(session, conversation_id))
            conversation.language = language
            conversation.language_chosen = True
            return _view(conversation)

    async def messages_after(self, conversation_id: str, after_seq: int,
                             limit: int = 500) -> list[OutboundMessage]:
        after_seq = _seq(after_seq, "after")
        async with self._read(short=True) as session:
            rows = await repo.live_messages_after(session, conversation_id, after_seq, limit)
        if rows is None:
            # An erased conversation says so (a socket of another device then closes).
            raise NotFound("Dit gesprek bestaat niet. / This conversation does not exist.")
        return [OutboundMessage(seq=row.seq, sender=row.sender, kind=row.kind, text=row.body,
                                actions=row.actions, created_at=row.created_at,
                                author=row.author, client_id=row.client_id) for row in rows]

    async def queue_status(self, conversation_id: str) -> dict[str, Any]:
        """Where the conversation's question stands: waiting (with its place in the queue, the
        expected wait and the promised time, kept current by the dispatcher), with an adviser,
        or none."""
        async with self._sessions() as session:
            _alive(await repo.conversation_by_id(session, conversation_id))
            question = await repo.open_question(session, conversation_id)
            if question is None:
                return {"status": "none"}
            if question.status != "waiting":
                return {"status": "with_adviser"}
            queued = (await repo.queued_messages(session, [question.id])).get(question.id)
        actions = (queued.actions or {}) if queued is not None else {}
        return {"status": "waiting", "position": actions.get("position"),
                "estimated_wait_minutes": actions.get("estimated_wait_minutes"),
                "answer_by": actions.get("answer_by")}

    # Inbound -----------------------------------------------------------------------------------

    def _checked_text(self, text: str) -> str:
        text = text.strip()
        if not text:
            raise Invalid("Je bericht is leeg. / Your message is empty.")
        if len(text) > self._config.max_message_chars:
            raise Invalid(f"Je bericht is te lang (maximaal {self._config.max_message_chars} "
                          f"tekens). / Your message is too long.")
        if not storable(text):
            raise Invalid("Je bericht bevat tekens die we niet kunnen opslaan (zoals een "
                          "NUL-teken). / Your message contains characters we cannot store.")
        return text

    async def receive(self, inbound: Inbound) -> Receipt:
        """Store a parent's message; once this returns, the message is safe and may be acked."""
        text = self._checked_text(inbound.text)
        client_id = inbound.client_id
        if client_id is not None and not (0 < len(client_id) <= MAX_CLIENT_ID
                                          and client_id.isprintable()):
            raise Invalid(f"client_id must be 1-{MAX_CLIENT_ID} printable characters")
        handled = False
        try:
            receipt, handled = await self._store_parent_message(inbound.conversation_id, text,
                                                                client_id)
        except IntegrityError:
            # This client id was stored before (a resend after a lost ack), perhaps at this
            # very moment by a twin of this request: acknowledge the stored one again.
            stored = await self._stored_before(inbound.conversation_id, client_id)
            if stored is None:
                raise
            receipt = stored
        if not receipt.duplicate and not handled:
            # (Handled with its group: the group woke the conversation once for both.)
            self._notifier.publish(conversation_topic(inbound.conversation_id))
            self.spawn_handling(inbound.conversation_id, receipt.seq)
        return receipt

    async def receive_from_channel(self, inbound: ChannelInbound) -> Receipt:
        """Store a parent's message from a push channel once per channel id, in the conversation
        it continues or in a new one; once this returns, the channel may acknowledge it."""
        text = self._checked_text(inbound.text)
        if not (0 < len(inbound.external_id) <= 128 and inbound.external_id.isprintable()):
            raise Invalid("external_id must be 1-128 printable characters")
        if not (0 < len(inbound.address) <= 320 and storable(inbound.address)):
            raise Invalid("address must be 1-320 characters")
        if inbound.language not in LANGUAGES:
            raise Invalid(f"language must be one of {', '.join(LANGUAGES)}")
        if inbound.municipality is not None and \
                inbound.municipality not in self._config.municipalities:
            raise Invalid(f"unknown municipality {inbound.municipality!r}")
        try:
            receipt = await self._store_channel_message(inbound, text)
        except IntegrityError:
            # The same message raced in twice (two processes, a redelivery); the other stored it.
            receipt = await self._store_channel_message(inbound, text)
        if not receipt.duplicate:
            self._notifier.publish(conversation_topic(receipt.conversation_id))
            self.spawn_handling(receipt.conversation_id, receipt.seq)
        return receipt

    async def _store_channel_message(self, inbound: ChannelInbound, text: str) -> Receipt:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            seen = await repo.channel_receipt(session, inbound.channel, inbound.external_id)
            if seen is not None:
                return Receipt(seen.conversation_id, seen.seq, None, duplicate=True)
            conversation = None
            if inbound.conversation_id is not None:
                conversation = await repo.conversation_by_id(session, inbound.conversation_id)
                if conversation is not None and (conversation.channel != inbound.channel or
                                                 conversation.channel_ref != inbound.address):
                    conversation = None   # not this sender's: never join someone else's thread
            if conversation is None:
                conversation = Conversation(
                    id=str(uuid.uuid4()), token_hash=hash_token(secrets.token_urlsafe(32)),
                    channel=inbound.channel, channel_ref=inbound.address,
                    municipality=inbound.municipality, language=inbound.language,
                    choices=inbound.choices, last_seq=0, created_at=now)
                session.add(conversation)
                await session.flush()
                log.info("conversation opened", extra={"channel": inbound.channel,
                                                       "municipality": inbound.municipality})
            message = await repo.add_message(
                session, conversation_id=conversation.id, sender=PARENT, body=text, at=now,
                handled=False)
            await repo.add_channel_receipt(
                session, channel=inbound.channel, external_id=inbound.external_id,
                conversation_id=conversation.id, seq=message.seq, reference=inbound.reference,
                context=inbound.context, at=now)
            return Receipt(conversation.id, message.seq, None, duplicate=False)

    async def _store_parent_message(self, conversation_id: str, text: str,
                                    client_id: str | None) -> tuple[Receipt, bool]:
        """The receipt, and whether the message was handled in the same commit (its handling
        done, or its failure counted for the retry loop)."""
        handled = False
        if self._group is not None:
            stored = await self._group.store(conversation_id, text, client_id)
            seq, handled = stored.seq, stored.with_after_store
        else:
            async with self._sessions.begin() as session:
                seq = await repo.append_parent_message(
                    session, conversation_id=conversation_id, body=text, client_id=client_id,
                    at=self._clock.now())
        if seq is None:
            raise NotFound("Dit gesprek bestaat niet. / This conversation does not exist.")
        return Receipt(conversation_id, seq, client_id, duplicate=False), handled

    async def _stored_before(self, conversation_id: str,
                             client_id: str | None) -> Receipt | None:
        """The receipt of a message whose client id the conversation already has, if any."""
        if client_id is None:
            return None
        async with self._sessions() as session:
            existing = await repo.message_by_client_id(session, conversation_id, client_id)
        if existing is None:
            return None
        return Receipt(conversation_id, existing.seq, client_id, duplicate=True)

    async def handle_pending(self, batch: int = 100, batches: int = 10) -> int:
        """Handle stored messages whose handling never finished (a crash, a shutdown, a fault)
        and is due again; returns how many were tried. Each message is tried on its own: one
        that keeps failing waits longer each time and is set aside in the end, and never holds
        up the ones after it."""
        tried = 0
        for _ in range(batches):
            async with self._sessions() as session:
                due = [(m.conversation_id, m.seq) for m in await repo.due_unhandled_messages(
                    session, self._clock.now(), batch)]
            if self._handling is not None:
                waiting: Waiting = deque(due)
                while waiting:
                    await self.handle_group(waiting, TURN_SECONDS)
            else:
                for conversation_id, seq in due:
                    await self.handle_safely(conversation_id, seq)
            tried += len(due)
            if len(due) < batch:
                break
        return tried

    async def handle_safely(self, conversation_id: str, seq: int) -> bool:
        """`handle`, with a failure counted against the message (backoff, then set aside)
        instead of raised. False when it failed."""
        try:
            await self.handle(conversation_id, seq)
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = _where(exc)
            try:
                async with self._sessions.begin() as session:
                    attempts = await repo.handling_failed(
                        session, conversation_id, seq, error, self._clock.now(), handling_retry_in)
            except Exception as recording:
                # The database itself is failing: the message stays due and is tried again.
                log.error("recording a failed handling failed too",
                          extra={"error": error, "recording_error": _where(recording)})
                return False
            self._handling_failed(error, attempts)
            return False

    def _handling_failed(self, error: str, attempts: int) -> None:
        # Only where and what failed: an exception's text may quote the parent.
        log.error("handling a parent message failed",
                  extra={"error": error, "attempt": attempts,
                         "set_aside": attempts >= HANDLE_ATTEMPTS})
        if attempts >= HANDLE_ATTEMPTS:
            self._notifier.publish(QUEUE)   # advisers see it among the set-aside messages

    def spawn_handling(self, conversation_id: str, seq: int) -> None:
        """Handle a just-stored message in the background; when too much is running already,
        the retry loop takes it (it is stored, so nothing is lost) and is woken for it."""
        if self._handling is not None:
            self._handling.add(conversation_id, seq)
        elif self._tasks.spawn(self.handle_safely(conversation_id, seq),
                               name="handle-message") is None:
            self.backlog.set()

    async def handle(self, conversation_id: str, seq: int) -> None:
        async with self._write(short=True) as session:
            decision = await self._handle_in(session, conversation_id, seq, {})
        if decision is not None:
            self._handled(conversation_id, decision)

    async def handle_group(self, waiting: Waiting, turn: float) -> int:
        """Handle messages from the left of `waiting` in one transaction (one commit, one fsync
        for all), each in a savepoint of its own: one that fails is rolled back alone and its
        failure counted (backoff, then set aside) in the same transaction, the others' handling
        stays. Takes at least one message, and more while the group is younger than `turn`
        seconds (messages that arrive meanwhile come along). Returns how many it took."""
        taken: list[tuple[str, int]] = []
        outcome = _GroupOutcome()
        try:
            async with self._write(short=True) as session:
                # The turn counts from the transaction's start: waiting for the lock (and for
                # a connection and BEGIN) is no work done.
                await session.connection()
                until = asyncio.get_running_loop().time() + turn
                while waiting and (not taken or asyncio.get_running_loop().time() < until):
                    conversation_id, seq = waiting.popleft()
                    taken.append((conversation_id, seq))
                    await self._handle_one(session, conversation_id, seq, outcome)
        except Exception as exc:
            # The group as a whole failed (its commit, the connection): nothing of it was
            # stored, so each message is tried again on its own.
            log.warning("handling a group of messages failed; each is tried on its own",
                        extra={"error": _where(exc), "messages": len(taken)})
            for conversation_id, seq in taken:
                await self.handle_safely(conversation_id, seq)
            return len(taken)
        self._after_group(outcome)
        return len(taken)

    async def _handle_stored(self, session: AsyncSession,
                             stored: list[tuple[str, int]]) -> Callable[[], None]:
        """Handle a group of chat messages in the transaction that stores them (SQLite), each
        in a savepoint of its own as in `handle_group`: its ack then means stored and handled
        (or its failure counted, for the retry loop), in one commit. Returns what to do once
        that is committed. Should the transaction fail after all, the group is stored again
        without its handling and queued as before (GroupCommit)."""
        outcome = _GroupOutcome()
        for conversation_id, seq in stored:
            await self._handle_one(session, conversation_id, seq, outcome)
            # Short statements never wait (sqlite_driver), so without this a group of a
            # hundred would keep the event loop from every socket and reader for its whole
            # handling (half a second and more): readers need no write lock (WAL), so let
            # them run between messages.
            await asyncio.sleep(0)
        # Every conversation of the group is woken once, for its message and its replies.
        return lambda: self._after_group(outcome, {conversation_id for conversation_id, _seq
                                                   in stored})

    async def _handle_one(self, session: AsyncSession, conversation_id: str, seq: int,
                          outcome: _GroupOutcome) -> None:
        """Handle one message of a group in a savepoint; a failure is rolled back alone and
        counted against the message (backoff, then set aside) in the group's transaction."""
        try:
            async with session.begin_nested():
                decision = await self._handle_in(session, conversation_id, seq, outcome.known)
        except Exception as exc:
            outcome.known.clear()   # the rollback expired what the savepoint changed
            error = _where(exc)
            attempts = await repo.handling_failed(
                session, conversation_id, seq, error, self._clock.now(), handling_retry_in)
            outcome.failed.append((error, attempts))
            return
        if decision is not None:
            outcome.handled.append((conversation_id, decision))

    def _after_group(self, outcome: _GroupOutcome, stored: Collection[str] = ()) -> None:
        """Once a group's handling is committed: wake its listeners (once per conversation,
        `stored`: conversations whose new messages they have not heard of yet), log its
        failures."""
        conversations = set(stored)
        for conversation_id, decision in outcome.handled:
            _log_handled(decision)
            conversations.add(conversation_id)
        if conversations:
            self._notifier.publish(*map(conversation_topic, conversations), QUEUE)
        for error, attempts in outcome.failed:
            self._handling_failed(error, attempts)

    async def _handle_in(self, session: AsyncSession, conversation_id: str, seq: int,
                         known: dict[str, _Known]) -> Decision | None:
        """Handle one stored message in `session`; None when there is nothing to do (handled
        before, or the conversation is gone). `known`: what this transaction read before of
        the conversations it handled (empty at its start), read once and kept current here."""
        here = known.get(conversation_id)
        if here is None:
            # Locked first: a second message of this conversation waits until this one is
            # done, so both never open a question each. The lock lasts the transaction.
            conversation = await repo.conversation_for_update(session, conversation_id)
            if conversation is None or conversation.erased_at is not None:
                return None
        else:
            conversation = here.conversation
        claimed = await repo.claim_parent_message(
            session, conversation_id, seq, self._clock.now() - CONTEXT_WINDOW)
        if claimed is None:
            return None
        decision = self._faq.decide(claimed.body, claimed.previous)
        message = _ParentMessage(claimed.id, seq, claimed.body, _audit(decision))
        if here is None:
            here = known[conversation_id] = _Known(conversation, list(
                await repo.open_and_latest_questions(session, conversation_id)))
        question = here.open_question()
        talk = small_talk(message.body) if decision.outcome in _ORDINARY else None
        if question is not None:
            await self._follow_up(session, conversation, question, message, decision)
        elif talk is not None:
            await self._small_talk(session, here, message, talk)
        else:
            await self._new_question(session, here, message, decision)
        await repo.record_handling(session, message.id, message.question_id, message.decision)
        return decision

    def _handled(self, conversation_id: str, decision: Decision) -> None:
        _log_handled(decision)
        self._notifier.publish(conversation_topic(conversation_id), QUEUE)

    async def _follow_up(self, session: AsyncSession, conversation: Conversation,
                         question: Question, message: _ParentMessage,
                         decision: Decision) -> None:
        """A parent writes again while an adviser has the question: no FAQ, but a crisis or a
        concern raises the question's priority (never lowers it)."""
        message.question_id = question.id
        signal = decision.crisis
        if signal is not None and question.priority < _SAFETY_PRIORITY[signal.level] and \
                not question.flood:   # a possible flood was shown the numbers once
            await self._safety(session, conversation, question, decision)

    async def _small_talk(self, session: AsyncSession, known: _Known, message: _ParentMessage,
                          talk: SmallTalk) -> None:
        """Hello, thanks, bye: a friendly reply, and the questions stay as they were (no new
        question, no queue, the conversation's language unchanged)."""
        conversation, previous = known.conversation, known.latest_question()
        message.question_id = previous.id if previous is not None else None
        message.decision = {**message.decision, "decision": "small_talk", "small_talk": talk}
        await repo.add_reply(
            session, conversation_id=conversation.id, sender=SYSTEM, kind="small_talk",
            body=texts.small_talk(talk, conversation.language, previous is not None),
            question_id=message.question_id, at=self._clock.now())

    async def _new_question(self, session: AsyncSession, known: _Known,
                            message: _ParentMessage, decision: Decision) -> None:
        now = self._clock.now()
        conversation, previous = known.conversation, known.latest_question()
        if not conversation.language_chosen:
            conversation.language = decision.language
        if previous is not None and previous.status == "suggested":
            question = previous   # the parent rephrased instead of picking a suggestion
        else:
            question = Question(
                id=str(uuid.uuid4()), conversation_id=conversation.id,
                channel=conversation.channel, municipality=conversation.municipality,
                status="new", priority=0, opened_seq=message.seq, created_at=now)
            session.add(question)
            await session.flush()
            known.questions.append(question)
            await repo.record_event(session, question, "received", now)
        message.question_id = question.id
        if decision.crisis is not None:
            await self._safety(session, conversation, question, decision)
        elif decision.outcome == "answer" and decision.entry is not None:
            await self._answer(session, conversation, question, decision.entry, decision.score)
        elif decision.outcome == "suggest" and decision.candidates:
            await self._suggest(session, conversation, question, decision)
            if not conversation.choices:
                # No buttons to pick from (e-mail): an adviser answers, and the receipt lists
                # the suggested entries that might already help.
                await self._enqueue(session, conversation, question)
        else:
            await self._enqueue(session, conversation, question)

    async def _safety(self, session: AsyncSession, conversation: Conversation,
                      question: Question, decision: Decision) -> None:
        """A crisis: the numbers at once and the head of the queue. A concern: a calm safety
        line with the numbers and an adviser before ordinary questions. Never an FAQ answer."""
        signal = decision.crisis
        assert signal is not None
        now = self._clock.now()
        if question.flood or (question.priority < _SAFETY_PRIORITY[signal.level] and
                              await self._possible_flood(session, conversation, now)):
            # Queued as an ordinary question, marked for advisers, so a flood of fake crises
            # does not bury the real ones; the parent still gets the numbers below.
            if not question.flood:
                log.warning("possible flood of crisis messages",
                            extra={"municipality": conversation.municipality,
                                   "level": signal.level})
            question.flood = True
        else:
            question.priority = max(question.priority, _SAFETY_PRIORITY[signal.level])
        question.crisis_category = signal.category
        await repo.record_event(session, question, signal.level, now)
        body = (texts.emergency(conversation.language) if signal.level == "crisis"
                else texts.concern(conversation.language))
        # The category lets a channel show the line that fits first (113 for suicidal thoughts).
        await repo.add_reply(session, conversation_id=conversation.id, sender=SYSTEM,
                             kind=signal.level, body=body, question_id=question.id, at=now,
                             actions={"level": signal.level, "category": signal.category})
        if question.status not in repo.OPEN_STATUSES:
            await self._enqueue(session, conversation, question,
                                crisis=signal.level == "crisis" and not question.flood)

    async def _possible_flood(self, session: AsyncSession, conversation: Conversation,
                              now: datetime) -> bool:
        """Whether this conversation, or the address it was opened from, raised more crisis and
        concern signals lately than [rate_limits] allows."""
        limits = self._config.rate_limits
        if not limits.enabled:
            return False
        per_conversation = limits.crisis_per_conversation_per_day
        if per_conversation > 0 and await repo.safety_events_since(
                session, now - timedelta(days=1),
                conversation_id=conversation.id) >= per_conversation:
            return True
        per_address = limits.crisis_per_address_per_hour
        return per_address > 0 and conversation.source_hash is not None and \
            await repo.safety_events_since(session, now - timedelta(hours=1),
                                           source_hash=conversation.source_hash) >= per_address

    async def _source_hash(self, source: str) -> str:
        if self._source_key is None:
            self._source_key = await shared_secret(self._sessions, SOURCE_KEY)
        return hmac.new(self._source_key, source.encode(), hashlib.sha256).hexdigest()

    async def _answer(self, session: AsyncSession, conversation: Conversation, question: Question,
                      entry_id: str, score: float | None) -> None:
        now = self._clock.now()
        language = conversation.language
        entry = self._faq.kb.entry(entry_id)
        question.status = "faq_answered"
        question.topic = entry.topic
        await repo.record_event(session, question, "faq_answered", now, topic=entry.topic,
                                score=score)
        body = self._faq.answer(entry_id, language, conversation.municipality)
        await repo.add_reply(
            session, conversation_id=conversation.id, sender=FAQ, kind="faq_answer", body=body,
            question_id=question.id, at=now,
            actions={"entry": entry_id, "title": self._faq.question_title(entry_id, language),
                     "feedback": None, "prompt": texts.faq_feedback_question(language)})

    async def _suggest(self, session: AsyncSession, conversation: Conversation,
                       question: Question, decision: Decision) -> None:
        now = self._clock.now()
        language = conversation.language
        question.status = "suggested"
        await repo.record_event(session, question, "suggested", now, score=decision.score)
        options = [{"entry": c.entry, "title": self._faq.question_title(c.entry, language)}
                   for c in decision.candidates[: self._config.matcher.max_suggestions]]
        await repo.add_reply(
            session, conversation_id=conversation.id, sender=FAQ, kind="suggestions",
            body=texts.suggestions_intro(language), question_id=question.id, at=now,
            actions={"suggestions": options, "adviser": True})

    async def _enqueue(self, session: AsyncSession, conversation: Conversation,
                       question: Question, crisis: bool = False) -> None:
        now = self._clock.now()
        question.status = "waiting"
        question.waiting_since = now
        await repo.record_event(session, question, "queued", now)
        if crisis:
            # Every adviser on duty anywhere sees a crisis; say what happens next, calmly.
            opening = next_opening_anywhere(now, self._config.desks)
            await repo.add_reply(
                session, conversation_id=conversation.id, sender=SYSTEM, kind="queued",
                body=texts.crisis_queued(conversation.language, opening, now, self._zone),
                question_id=question.id, at=now,
                actions={"answer_by": None, "pool": "everyone", "crisis": True,
                         "advisers_from": opening.isoformat() if opening else None})
            return
        municipality = self._config.municipalities.get(conversation.municipality or "")
        # Place in the queue, expected wait and a deadline in business hours (routing.waiting).
        found = (await self._waiting.promises(session, now)).get(question.id)
        if found is not None:
            question.answer_by = found.answer_by
            await repo.add_reply(
                session, conversation_id=conversation.id, sender=SYSTEM, kind="queued",
                body=texts.queued_with_promise(
                    conversation.language, found, municipality.name if municipality else None,
                    question.channel in LIVE_CHANNELS, now, self._zone),
                question_id=question.id, at=now,
                actions={"answer_by": found.answer_by.isoformat() if found.answer_by else None,
                         "pool": "municipality" if found.where == conversation.municipality
                         else "regional", **numbers_of(found)})
            return
        promise = expectation(conversation.municipality, now, self._config.desks)
        await repo.add_reply(
            session, conversation_id=conversation.id, sender=SYSTEM, kind="queued",
            body=texts.queued(conversation.language, promise,
                              municipality.name if municipality else None, now, self._zone),
            question_id=question.id, at=now,
            actions={"answer_by": promise.answer_by.isoformat() if promise.answer_by else None,
                     "pool": promise.pool})

    # What the parent does with a reply ------------------------------------------------------------

    async def feedback(self, conversation_id: str, seq: int, helpful: bool) -> None:
        """'Did this help?' on an FAQ answer; 'no' puts the question in the advisers' queue."""
        seq = _seq(seq, "seq")
        async with self._sessions.begin() as session:
            conversation = _alive(await repo.conversation_for_update(session, conversation_id))
            message = await repo.message_by_seq(session, conversation_id, seq)
            if message is None or message.kind != "faq_answer" or message.question_id is None:
                raise NotFound("There is no FAQ answer with that seq in this conversation")
            if message.actions and message.actions.get("feedback") is not None:
                if message.actions["feedback"] == ("yes" if helpful else "no"):
                    return   # a resend of the same click
                raise Conflict("Feedback on this answer was already given")
            question = await repo.question_for_update(session, message.question_id)
            if question is None:
                raise NotFound("question not found")
            message.actions = {**(message.actions or {}), "feedback": "yes" if helpful else "no"}
            now = self._clock.now()
            if helpful:
                await repo.record_event(session, question, "faq_helpful", now, topic=question.topic)
                await repo.add_message(session, conversation_id=conversation_id, sender=SYSTEM,
                                       body=texts.thanks_for_feedback(conversation.language),
                                       question_id=question.id, at=now)
            else:
                await repo.record_event(session, question, "faq_not_helpful", now,
                                        topic=question.topic)
                # Into the queue, unless a later question already is: the adviser who takes
                # that one reads the whole conversation, this answer and its "no" included.
                if question.status == "faq_answered" and \
                        await repo.open_question(session, conversation_id) is None:
                    await self._enqueue(session, conversation, question)
        self._notifier.publish(conversation_topic(conversation_id), QUEUE)

    async def choose(self, conversation_id: str, entry_id: str) -> None:
        """The parent picked one of the suggested entries."""
        async with self._sessions.begin() as session:
            question, conversation = await self._latest(session, conversation_id)
            offer = await repo.latest_suggestions(session, question.id)
            if question.status != "suggested":
                if offer is not None and (offer.actions or {}).get("chosen") == entry_id:
                    return   # a resend of the same click
                raise Conflict("Deze keuze is niet meer mogelijk. / This question has no open "
                               "suggestions.")
            if entry_id not in await repo.suggested_entries(session, question.id):
                raise Invalid("Dat was geen van de voorgestelde vragen. / That entry was not one "
                              "of the suggestions.")
            await self._answer(session, conversation, question, entry_id, None)
            if offer is not None:   # the page shows the choice, also after a reload
                offer.actions = {**(offer.actions or {}), "chosen": entry_id}
        self._notifier.publish(conversation_topic(conversation_id))

    async def ask_adviser(self, conversation_id: str) -> None:
        """The parent wants a person rather than (more) FAQ answers."""
        async with self._sessions.begin() as session:
            question, conversation = await self._latest(session, conversation_id)
            if await repo.open_question(session, conversation_id) is not None:
                return
            if question.status == "closed":
                raise Conflict("Deze vraag is afgesloten; typ een nieuw bericht. / This question "
                               "is closed; write a new message to ask again.")
            await self._enqueue(session, conversation, question)
            offer = await repo.latest_suggestions(session, question.id)
            if offer is not None and not (offer.actions or {}).get("chosen"):
                offer.actions = {**(offer.actions or {}), "chosen": "adviser"}
        self._notifier.publish(conversation_topic(conversation_id), QUEUE)

    async def _latest(self, session: AsyncSession,
                      conversation_id: str) -> tuple[Question, Conversation]:
        conversation = _alive(await repo.conversation_for_update(session, conversation_id))
        question = await repo.latest_question(session, conversation_id)
        if question is None:
            raise Invalid("Stel eerst je vraag. / Ask your question first.")
        locked = await repo.question_for_update(session, question.id)
        return locked or question, conversation


def _log_handled(decision: Decision) -> None:
    log.info("message handled", extra={"outcome": decision.outcome, "entry": decision.entry,
                                       "score": round(decision.score, 1)})


def _alive(conversation: Conversation | None) -> Conversation:
    """The conversation, unless there is none or it was erased (then: not found)."""
    if conversation is None or conversation.erased_at is not None:
        raise NotFound("Dit gesprek bestaat niet. / This conversation does not exist.")
    return conversation


def _view(conversation: Conversation) -> ConversationView:
    return ConversationView(conversation.id, conversation.channel, conversation.municipality,
                            conversation.language, conversation.last_seq)


def outbound(message: Message, author: str | None = None) -> OutboundMessage:
    return OutboundMessage(seq=message.seq, sender=message.sender, kind=message.kind,
                           text=message.body, actions=message.actions,
                           created_at=message.created_at, author=author,
                           client_id=message.client_id)


def _audit(decision: Decision) -> dict[str, object]:
    """What coordinators need to audit a decision; never the parent's text."""
    record = decision.to_json()
    record["runner_up"] = (
        {"entry": decision.runner_up.entry, "topic": decision.runner_up.topic,
         "score": decision.runner_up.score} if decision.runner_up else None)
    return record
