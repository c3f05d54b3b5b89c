"""The one road every parent message travels, whatever channel carried it.

stored (acknowledged only after the commit) -> crisis check and FAQ match -> an answer from the
knowledge base, suggestions, or a place in the advisers' queue. Replies are stored as messages in
the conversation; channels deliver them in sequence order.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline import texts
from adviceline.clock import Clock
from adviceline.config import Config
from adviceline.domain import (
    FAQ,
    LANGUAGES,
    PARENT,
    SYSTEM,
    Conflict,
    ConversationView,
    Inbound,
    Invalid,
    NewConversation,
    NotFound,
    OutboundMessage,
    Receipt,
)
from adviceline.faq import Faq
from adviceline.notify import QUEUE, Notifier, conversation_topic
from adviceline.storage import repository as repo
from adviceline.storage.models import Conversation, Message, Question
from adviceline.tasks import BackgroundTasks
from knowledge_base import Decision
from routing.assignment import expectation
from routing.queue import CRISIS_PRIORITY

log = logging.getLogger(__name__)
MAX_CLIENT_ID = 64


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Pipeline:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], faq: Faq, config: Config,
                 clock: Clock, notifier: Notifier, tasks: BackgroundTasks) -> None:
        self._sessions = sessions
        self._faq = faq
        self._config = config
        self._clock = clock
        self._notifier = notifier
        self._tasks = tasks
        self._zone = ZoneInfo(config.time_zone)

    # Conversations -----------------------------------------------------------------------------

    async def open_conversation(self, channel: str, municipality: str | None, language: str,
                                channel_ref: str | None = None) -> NewConversation:
        if language not in LANGUAGES:
            raise Invalid(f"language must be one of {', '.join(LANGUAGES)}")
        if municipality is not None and municipality not in self._config.municipalities:
            raise Invalid(f"unknown municipality {municipality!r}")
        token = secrets.token_urlsafe(32)
        conversation = Conversation(
            id=str(uuid.uuid4()), token_hash=hash_token(token), channel=channel,
            channel_ref=channel_ref, municipality=municipality, language=language, last_seq=0,
            created_at=self._clock.now())
        async with self._sessions.begin() as session:
            session.add(conversation)
        log.info("conversation opened", extra={"channel": channel, "municipality": municipality})
        return NewConversation(conversation.id, token, municipality, language)

    async def conversation_for_token(self, token: str) -> ConversationView | None:
        async with self._sessions() as session:
            conversation = await repo.conversation_by_token_hash(session, hash_token(token))
        return _view(conversation) if conversation else None

    async def messages_after(self, conversation_id: str, after_seq: int,
                             limit: int = 500) -> list[OutboundMessage]:
        async with self._sessions() as session:
            rows = await repo.messages_after(session, conversation_id, after_seq, limit)
        return [outbound(message, name) for message, name in rows]

    # Inbound -----------------------------------------------------------------------------------

    async def receive(self, inbound: Inbound) -> Receipt:
        """Store a parent's message; once this returns, the message is safe and may be acked."""
        text = inbound.text.strip()
        if not text:
            raise Invalid("Je bericht is leeg. / Your message is empty.")
        if len(text) > self._config.max_message_chars:
            raise Invalid(f"Je bericht is te lang (maximaal {self._config.max_message_chars} "
                          f"tekens). / Your message is too long.")
        client_id = inbound.client_id
        if client_id is not None and not (0 < len(client_id) <= MAX_CLIENT_ID
                                          and client_id.isprintable()):
            raise Invalid(f"client_id must be 1-{MAX_CLIENT_ID} printable characters")
        try:
            receipt = await self._store_parent_message(inbound.conversation_id, text, client_id)
        except IntegrityError:
            # The same client id raced in twice; the other attempt stored it.
            receipt = await self._store_parent_message(inbound.conversation_id, text, client_id)
        if not receipt.duplicate:
            self._notifier.publish(conversation_topic(inbound.conversation_id))
            self._tasks.spawn(self.handle(inbound.conversation_id, receipt.seq),
                              name="handle-message")
        return receipt

    async def _store_parent_message(self, conversation_id: str, text: str,
                                    client_id: str | None) -> Receipt:
        async with self._sessions.begin() as session:
            if await repo.conversation_by_id(session, conversation_id) is None:
                raise NotFound("Dit gesprek bestaat niet. / This conversation does not exist.")
            if client_id is not None:
                existing = await repo.message_by_client_id(session, conversation_id, client_id)
                if existing is not None:
                    return Receipt(conversation_id, existing.seq, client_id, duplicate=True)
            message = await repo.add_message(
                session, conversation_id=conversation_id, sender=PARENT, body=text,
                client_id=client_id, at=self._clock.now(), handled=False)
            return Receipt(conversation_id, message.seq, client_id, duplicate=False)

    async def handle_pending(self) -> int:
        """Handle stored messages whose handling never finished (a crash, a shutdown)."""
        async with self._sessions() as session:
            pending = [(m.conversation_id, m.seq)
                       for m in await repo.unhandled_parent_messages(session)]
        for conversation_id, seq in pending:
            await self.handle(conversation_id, seq)
        return len(pending)

    async def handle(self, conversation_id: str, seq: int) -> None:
        async with self._sessions.begin() as session:
            message = await repo.message_by_seq(session, conversation_id, seq)
            if message is None or not await repo.claim_unhandled(session, message.id):
                return
            conversation = await repo.conversation_by_id(session, conversation_id)
            if conversation is None:
                return
            decision = self._faq.decide(message.body)
            message.decision = _audit(decision)
            question = await repo.latest_question(session, conversation_id)
            if question is not None and question.status in repo.OPEN_STATUSES:
                await self._follow_up(session, conversation, question, message, decision)
            else:
                await self._new_question(session, conversation, question, message, decision)
        log.info("message handled", extra={"outcome": decision.outcome, "entry": decision.entry,
                                           "score": round(decision.score, 1)})
        self._notifier.publish(conversation_topic(conversation_id), QUEUE)

    async def _follow_up(self, session: AsyncSession, conversation: Conversation,
                         question: Question, message: Message, decision: Decision) -> None:
        """A parent writes again while an adviser has the question: no FAQ, but crisis counts."""
        message.question_id = question.id
        if decision.crisis is not None and question.priority < CRISIS_PRIORITY:
            await self._crisis(session, conversation, question, decision)

    async def _new_question(self, session: AsyncSession, conversation: Conversation,
                            previous: Question | None, message: Message,
                            decision: Decision) -> None:
        now = self._clock.now()
        conversation.language = decision.language
        if previous is not None and previous.status == "suggested":
            question = previous   # the parent rephrased instead of picking a suggestion
        else:
            question = Question(
                id=str(uuid.uuid4()), conversation_id=conversation.id,
                channel=conversation.channel, municipality=conversation.municipality,
                status="new", priority=0, created_at=now)
            session.add(question)
            await session.flush()
            await repo.record_event(session, question, "received", now)
        message.question_id = question.id
        if decision.outcome == "crisis":
            await self._crisis(session, conversation, question, decision)
        elif decision.outcome == "answer" and decision.entry is not None:
            await self._answer(session, conversation, question, decision.entry, decision.score)
        elif decision.outcome == "suggest" and decision.candidates:
            await self._suggest(session, conversation, question, decision)
        else:
            await self._enqueue(session, conversation, question)

    async def _crisis(self, session: AsyncSession, conversation: Conversation, question: Question,
                      decision: Decision) -> None:
        now = self._clock.now()
        question.priority = CRISIS_PRIORITY
        question.crisis_category = decision.crisis.category if decision.crisis else "unknown"
        await repo.record_event(session, question, "crisis", now)
        await repo.add_message(session, conversation_id=conversation.id, sender=SYSTEM,
                               kind="crisis", body=texts.emergency(conversation.language),
                               question_id=question.id, at=now)
        if question.status not in repo.OPEN_STATUSES:
            await self._enqueue(session, conversation, question)

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
        await repo.add_message(
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
        await repo.add_message(
            session, conversation_id=conversation.id, sender=FAQ, kind="suggestions",
            body=texts.suggestions_intro(language), question_id=question.id, at=now,
            actions={"suggestions": options, "adviser": True})

    async def _enqueue(self, session: AsyncSession, conversation: Conversation,
                       question: Question) -> None:
        now = self._clock.now()
        question.status = "waiting"
        question.waiting_since = now
        await repo.record_event(session, question, "queued", now)
        promise = expectation(conversation.municipality, now, self._config.desks)
        municipality = self._config.municipalities.get(conversation.municipality or "")
        await repo.add_message(
            session, conversation_id=conversation.id, sender=SYSTEM, kind="queued",
            body=texts.queued(conversation.language, promise,
                              municipality.name if municipality else None, now, self._zone),
            question_id=question.id, at=now,
            actions={"answer_by": promise.answer_by.isoformat() if promise.answer_by else None,
                     "pool": promise.pool})

    # What the parent does with a reply ------------------------------------------------------------

    async def feedback(self, conversation_id: str, seq: int, helpful: bool) -> None:
        """'Did this help?' on an FAQ answer; 'no' puts the question in the advisers' queue."""
        async with self._sessions.begin() as session:
            message = await repo.message_by_seq(session, conversation_id, seq)
            if message is None or message.kind != "faq_answer" or message.question_id is None:
                raise NotFound("There is no FAQ answer with that seq in this conversation")
            if message.actions and message.actions.get("feedback") is not None:
                if message.actions["feedback"] == ("yes" if helpful else "no"):
                    return   # a resend of the same click
                raise Conflict("Feedback on this answer was already given")
            question = await repo.question_for_update(session, message.question_id)
            conversation = await repo.conversation_by_id(session, conversation_id)
            if question is None or conversation is None:
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
                if question.status == "faq_answered":
                    await self._enqueue(session, conversation, question)
        self._notifier.publish(conversation_topic(conversation_id), QUEUE)

    async def choose(self, conversation_id: str, entry_id: str) -> None:
        """The parent picked one of the suggested entries."""
        async with self._sessions.begin() as session:
            question, conversation = await self._latest(session, conversation_id)
            if question.status != "suggested":
                raise Conflict("This question has no open suggestions")
            if entry_id not in await repo.suggested_entries(session, question.id):
                raise Invalid("That entry was not one of the suggestions")
            await self._answer(session, conversation, question, entry_id, None)
        self._notifier.publish(conversation_topic(conversation_id))

    async def ask_adviser(self, conversation_id: str) -> None:
        """The parent wants a person rather than (more) FAQ answers."""
        async with self._sessions.begin() as session:
            question, conversation = await self._latest(session, conversation_id)
            if question.status in repo.OPEN_STATUSES:
                return
            if question.status == "closed":
                raise Conflict("This question is closed; write a new message to ask again")
            await self._enqueue(session, conversation, question)
        self._notifier.publish(conversation_topic(conversation_id), QUEUE)

    async def _latest(self, session: AsyncSession,
                      conversation_id: str) -> tuple[Question, Conversation]:
        conversation = await repo.conversation_by_id(session, conversation_id)
        if conversation is None:
            raise NotFound("This conversation does not exist")
        question = await repo.latest_question(session, conversation_id)
        if question is None:
            raise Invalid("Stel eerst je vraag. / Ask your question first.")
        locked = await repo.question_for_update(session, question.id)
        return locked or question, conversation


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
    record["crisis"] = ({"category": decision.crisis.category, "rule": decision.crisis.rule}
                       if decision.crisis else None)
    return record
