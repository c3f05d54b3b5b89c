"""What advisers do with waiting questions: see the queue, claim, reply, release and close."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline import texts
from adviceline.clock import Clock
from adviceline.config import Config
from adviceline.domain import (
    ADVISER,
    PARENT,
    SYSTEM,
    Conflict,
    Invalid,
    NotFound,
    storable,
)
from adviceline.erasure import ADVISER as ERASED_BY_ADVISER
from adviceline.erasure import erase_conversation
from adviceline.notify import QUEUE, Notifier, conversation_topic
from adviceline.pipeline import outbound
from adviceline.queue_state import back_to_queue, waiting_entry
from adviceline.storage import repository as repo
from adviceline.storage.models import (
    AuditRecord,
    Message,
    OutboxItem,
    Question,
    TransferNote,
    User,
)
from knowledge_base.crisis import CATEGORIES
from routing.assignment import AdviserScope, adviser_sees
from routing.offers import AVAILABLE, AWAY, PRESENCES
from routing.queue import CONCERN_PRIORITY, CRISIS_PRIORITY, queue_order
from routing.rota import REGIONAL_POOL

log = logging.getLogger(__name__)
# Question ids are UUIDs; anything else is looked up nowhere.
_ID = re.compile(r"[0-9a-f-]{36}")


@dataclass(frozen=True)
class Adviser:
    """The logged-in adviser, as the console knows them."""

    id: int
    display_name: str
    municipalities: tuple[str, ...]
    regional_pool: bool

    @classmethod
    def from_user(cls, user: User) -> Adviser:
        return cls(user.id, user.display_name, tuple(user.municipalities), user.regional_pool)

    @property
    def scope(self) -> AdviserScope:
        return AdviserScope(self.municipalities, self.regional_pool)


NO_SUCH_QUESTION = "Deze vraag bestaat niet, of hoort niet bij jou."
MAX_NOTE_CHARS = 2000


class AdviserDesk:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], config: Config,
                 clock: Clock, notifier: Notifier,
                 topics: Callable[[], Collection[str]]) -> None:
        self._sessions = sessions
        self._config = config
        self._clock = clock
        self._notifier = notifier
        # A callable: the knowledge base's topics change when it is reloaded.
        self._topics = topics

    def _visible(self, adviser: Adviser, question: Question, now: datetime,
                 called: Collection[str] = ()) -> bool:
        if question.claimed_by == adviser.id or question.offered_to == adviser.id:
            return True
        if question.id in called:
            return True   # they were called for it while on call
        if question.routed_to_pool and adviser.regional_pool:
            return True   # nobody at the own desk took it in time
        return adviser_sees(adviser.scope, question.municipality,
                            question.priority >= CRISIS_PRIORITY, now, self._config.desks)

    async def queue(self, adviser: Adviser) -> list[dict[str, Any]]:
        """The questions this adviser may take, most urgent first, with a preview."""
        now = self._clock.now()
        async with self._sessions() as session:
            called = await repo.called_questions(session, adviser.id)
            questions = {q.id: q for q in await repo.waiting_questions(session)
                         if self._visible(adviser, q, now, called)}
            names = await repo.display_names(session)
            last_parent = await repo.last_parent_message_at(
                session, [q.conversation_id for q in questions.values()])
            ordered = queue_order(waiting_entry(q, last_parent, self._config, now)
                                  for q in questions.values())
            firsts = await repo.first_parent_messages(session, list(questions))
            undelivered = await repo.conversations_with_failed_deliveries(
                session, [q.conversation_id for q in questions.values()])
            items = []
            for waiting in ordered:
                question = questions[waiting.question_id]
                first = firsts.get(question.id)
                items.append({
                    **self._summary(question, names),
                    "undelivered": question.conversation_id in undelivered,
                    "preview": (first.body[:160] if first else ""),
                    "waiting_minutes": int((now - waiting.waiting_since).total_seconds() // 60),
                    "parent_waiting": waiting.parent_waiting,
                    "offered_to_me": question.offered_to == adviser.id and
                    question.status == "waiting",
                    "offered_until": question.offered_until.isoformat()
                    if question.offered_to == adviser.id and question.offered_until else None,
                })
        return items

    def _summary(self, question: Question, names: dict[int, str]) -> dict[str, Any]:
        municipality = self._config.municipalities.get(question.municipality or "")
        return {
            "id": question.id,
            "status": question.status,
            "crisis": question.priority >= CRISIS_PRIORITY,
            "concern": CONCERN_PRIORITY <= question.priority < CRISIS_PRIORITY,
            "crisis_category": question.crisis_category,
            # A crisis or concern over the per-address or per-conversation cap: queued as an
            # ordinary question; the console says "mogelijke flood".
            "flood": question.flood,
            "municipality": question.municipality,
            "municipality_name": municipality.name if municipality else None,
            "channel": question.channel,
            "topic": question.topic,
            "claimed_by": question.claimed_by,
            "claimed_by_name": names.get(question.claimed_by) if question.claimed_by else None,
            "routed_to_pool": question.routed_to_pool,
            "waiting_since": (question.waiting_since or question.created_at).isoformat(),
        }

    async def conversation(self, adviser: Adviser, question_id: str) -> dict[str, Any]:
        now = self._clock.now()
        async with self._sessions() as session:
            question = await self._get(session, adviser, question_id, now)
            names = await repo.display_names(session)
            conversation = await repo.conversation_by_id(session, question.conversation_id)
            rows = await repo.messages_after(session, question.conversation_id, 0, limit=1000)
            deliveries = await repo.deliveries_of_conversation(session, question.conversation_id)
            marks = await repo.crisis_marks_of_question(session, question.id)
            notes = await repo.transfer_notes(session, question.id)
            colleagues = [user for user in await repo.adviser_users(session)
                          if user.id != adviser.id]
        messages = []
        for message, author in rows:
            shown = outbound(message, author).to_json()
            shown["decision"] = message.decision
            item = deliveries.get(message.seq)
            # On a push channel (e-mail): whether the parent got it, or why not.
            shown["delivery"] = _delivery(item) if item is not None else None
            mark = marks.get(message.id)
            shown["crisis_mark"] = ({"label": mark.label, "category": mark.category}
                                    if mark is not None else None)
            messages.append(shown)
        erased = conversation.erased_at if conversation is not None else None
        return {"question": self._summary(question, names), "messages": messages,
                "topics": sorted(self._topics()), "crisis_categories": list(CATEGORIES),
                # For advisers only: the parent never sees transfer notes.
                "notes": [{"at": n.at.isoformat(), "from": names.get(n.from_user),
                           "to": names.get(n.to_user) if n.to_user else
                           self._desk_name(n.to_desk), "note": n.note} for n in notes],
                "transfer_targets": {
                    "advisers": [{"username": u.username, "name": u.display_name}
                                 for u in sorted(colleagues, key=lambda u: u.display_name)],
                    "desks": [{"id": REGIONAL_POOL, "name": self._desk_name(REGIONAL_POOL)},
                              *({"id": key, "name": m.name}
                                for key, m in sorted(self._config.municipalities.items()))]},
                "erased": {"at": erased.isoformat(), "by": conversation.erased_by}
                if erased is not None and conversation is not None else None}

    async def mark_crisis(self, adviser: Adviser, question_id: str, seq: int, label: str,
                          category: str | None) -> None:
        """'Was a crisis' / 'was not a crisis' on a parent message of a question this adviser
        may see: the corpus grows from these (`kb export-labels`)."""
        if label not in ("crisis", "not_crisis"):
            raise Invalid("'label' must be 'crisis' or 'not_crisis'.")
        if label == "crisis" and category not in CATEGORIES:
            raise Invalid(f"'category' must be one of: {', '.join(CATEGORIES)}.")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            question = await self._get(session, adviser, question_id, now)
            message = await repo.message_by_seq(session, question.conversation_id, seq)
            if message is None or message.sender != PARENT or message.question_id != question.id:
                raise NotFound("Dit bericht van de ouder hoort niet bij deze vraag.")
            said = (message.decision or {}).get("crisis") or {}
            detected = str(said.get("level") or ("crisis" if said else "none"))
            await repo.mark_crisis(session, message, question.id, label,
                                   category if label == "crisis" else None, detected,
                                   adviser.id, now)

    async def _get(self, session: AsyncSession, adviser: Adviser, question_id: str,
                   now: datetime, lock: bool = False) -> Question:
        question = await session.get(Question, question_id) if _ID.fullmatch(question_id) \
            else None
        if question is not None and lock:
            # The same lock order as the pipeline: the conversation, then the question.
            await repo.conversation_for_update(session, question.conversation_id)
            question = await repo.question_for_update(session, question_id)
        # One answer for a question that does not exist and one that is not yours: a 403 would
        # tell an adviser which question ids exist elsewhere.
        if question is None or not await self._may_read(session, adviser, question, now):
            raise NotFound(NO_SUCH_QUESTION)
        return question

    async def _may_read(self, session: AsyncSession, adviser: Adviser, question: Question,
                        now: datetime) -> bool:
        """A question of the adviser's own municipalities; one they may act on now (waiting in
        their queue, or theirs); or one they handled themselves. A regional-pool adviser (and
        anyone reading a crisis from elsewhere) thus cannot browse other municipalities'
        conversations once they are no longer theirs to take."""
        if question.claimed_by == adviser.id:
            return True
        if question.municipality is not None and question.municipality in adviser.municipalities:
            return True
        if question.status == "waiting" and self._visible(
                adviser, question, now, await repo.called_questions(session, adviser.id)):
            return True
        return await repo.adviser_handled(session, question.id, adviser.id)

    async def claim(self, adviser: Adviser, question_id: str) -> None:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            question = await self._get(session, adviser, question_id, now, lock=True)
            if question.status == "claimed" and question.claimed_by == adviser.id:
                return
            if question.status != "waiting":
                raise Conflict("Deze vraag is al opgepakt of afgesloten.")
            question.status = "claimed"
            question.claimed_by = adviser.id
            question.claimed_at = now
            question.offered_to = question.offered_until = None
            await repo.record_event(session, question, "claimed", now, adviser_id=adviser.id)
            await repo.adviser_was_active(session, adviser.id, now)
            conversation = await repo.conversation_by_id(session, question.conversation_id)
            language = conversation.language if conversation else "nl"
            await repo.add_message(session, conversation_id=question.conversation_id,
                                   sender=SYSTEM, kind="claimed", question_id=question.id,
                                   body=texts.claimed(language, adviser.display_name), at=now)
        self._notifier.publish(QUEUE, conversation_topic(question.conversation_id))

    async def release(self, adviser: Adviser, question_id: str) -> None:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            question = await self._claimed_by(session, adviser, question_id, now)
            back_to_queue(question)   # at its old place: waiting_since is kept
            question.declined_by = [*(question.declined_by or []), adviser.id]
            question.last_declined_at = now
            await repo.record_event(session, question, "released", now, adviser_id=adviser.id)
        self._notifier.publish(QUEUE)

    async def decline(self, adviser: Adviser, question_id: str) -> None:
        """'Not now' to an offer: the dispatcher offers it to the next adviser."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            question = await self._get(session, adviser, question_id, now, lock=True)
            if question.offered_to != adviser.id or question.status != "waiting":
                raise Conflict("Deze vraag is niet (meer) aan jou aangeboden.")
            question.offered_to = question.offered_until = None
            question.declined_by = [*(question.declined_by or []), adviser.id]
            question.last_declined_at = now
            await repo.record_event(session, question, "offer_declined", now,
                                    adviser_id=adviser.id)
        self._notifier.publish(QUEUE)

    async def on_call(self, adviser: Adviser) -> list[dict[str, Any]]:
        """The calls this adviser got while on call and has not marked seen, newest first: which
        question, why (crisis, untaken, deadline) and whether it is still waiting. No content."""
        now = self._clock.now()
        async with self._sessions() as session:
            rows = await repo.on_call_notices(session, adviser.id)
        return [{"id": notice.id, "question_id": question.id, "reason": notice.reason,
                 "at": notice.at.isoformat(), "status": question.status,
                 "crisis": question.priority >= CRISIS_PRIORITY,
                 "municipality": question.municipality,
                 "municipality_name": self._municipality_name(question.municipality),
                 "waiting_minutes": int((now - (question.waiting_since or question.created_at))
                                        .total_seconds() // 60)}
                for notice, question in rows]

    async def on_call_seen(self, adviser: Adviser, notice_id: int) -> None:
        async with self._sessions.begin() as session:
            if not await repo.on_call_notice_seen(session, notice_id, adviser.id,
                                                  self._clock.now()):
                raise NotFound("Deze melding bestaat niet, of is niet voor jou.")

    def _municipality_name(self, municipality: str | None) -> str | None:
        found = self._config.municipalities.get(municipality or "")
        return found.name if found else None

    def _desk_name(self, desk: str | None) -> str | None:
        if desk == REGIONAL_POOL:
            return "Regionale pool"
        found = self._config.municipalities.get(desk or "")
        return found.name if found else desk

    async def transfer(self, adviser: Adviser, question_id: str, *, to_adviser: str | None,
                       to_desk: str | None, note: str) -> str:
        """Hand a question this adviser holds to a colleague (who holds it from then on) or to a
        desk (a municipality or the regional pool, where it waits at its old place), with a
        note for the receiver that the parent never sees. The audit log records who, what and
        to whom, never the note. Returns the question's status."""
        note = note.strip()
        if (to_adviser is None) == (to_desk is None):
            raise Invalid("Kies een collega ('to_adviser') of een balie ('to_desk').")
        if not note:
            raise Invalid("Schrijf een notitie voor wie de vraag overneemt ('note').")
        if len(note) > MAX_NOTE_CHARS:
            raise Invalid(f"De notitie is te lang (maximaal {MAX_NOTE_CHARS} tekens).")
        if not storable(note):
            raise Invalid("De notitie bevat tekens die niet kunnen worden opgeslagen.")
        if to_desk is not None and to_desk != REGIONAL_POOL and \
                to_desk not in self._config.municipalities:
            raise Invalid(f"Onbekende balie {to_desk!r}: een gemeente of '{REGIONAL_POOL}'.")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            question = await self._claimed_by(session, adviser, question_id, now)
            receiver = None
            if to_adviser is not None:
                receiver = await repo.user_by_username(session, to_adviser)
                if receiver is None or receiver.role != "adviser" or not receiver.active \
                        or receiver.id == adviser.id:
                    raise Invalid("Deze collega bestaat niet (of ben jij zelf).")
                found = (await repo.presences(session)).get(receiver.id)
                if found is not None and found.status == AWAY:
                    raise Conflict(f"{receiver.display_name} is afwezig; kies een ander of een "
                                   "balie.")
            # The event and the audit record under the desk it leaves.
            await repo.record_event(session, question, "transferred", now, adviser_id=adviser.id)
            await repo.add_audit_record(session, AuditRecord(
                at=now, user_id=adviser.id, action="transfer", question_id=question.id,
                conversation_id=question.conversation_id, municipality=question.municipality,
                detail={"to_adviser": to_adviser} if receiver is not None
                else {"to_desk": to_desk}))
            session.add(TransferNote(question_id=question.id,
                                     conversation_id=question.conversation_id,
                                     from_user=adviser.id,
                                     to_user=receiver.id if receiver is not None else None,
                                     to_desk=to_desk, note=note, at=now))
            if receiver is not None:
                question.claimed_by, question.claimed_at = receiver.id, now
                conversation = await repo.conversation_by_id(session, question.conversation_id)
                await repo.add_message(
                    session, conversation_id=question.conversation_id, sender=SYSTEM,
                    kind="claimed", question_id=question.id, at=now,
                    body=texts.claimed(conversation.language if conversation else "nl",
                                       receiver.display_name))
            else:
                back_to_queue(question)   # at its old place: waiting_since is kept
                question.declined_by = [*(question.declined_by or []), adviser.id]
                question.last_declined_at = now
                if to_desk == REGIONAL_POOL:
                    question.routed_to_pool = True
                else:
                    question.municipality, question.routed_to_pool = to_desk, False
            await repo.adviser_was_active(session, adviser.id, now)
            status = question.status
        self._notifier.publish(QUEUE, conversation_topic(question.conversation_id))
        return status

    async def presence(self, adviser: Adviser) -> dict[str, Any]:
        async with self._sessions() as session:
            found = (await repo.presences(session)).get(adviser.id)
        return {"status": found.status if found else None,
                "since": found.changed_at.isoformat() if found else None}

    async def set_presence(self, adviser: Adviser, status: str) -> None:
        """Available (offers come in), busy (keeps what they hold, no offers) or away (what
        they hold goes back to the queue at its old place)."""
        if status not in PRESENCES:
            raise Invalid(f"'status' must be one of: {', '.join(PRESENCES)}.")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            await repo.set_presence(session, adviser.id, status, now)
            if status != AVAILABLE:
                for question in await repo.waiting_questions(session):
                    if question.offered_to == adviser.id and question.status == "waiting":
                        question.offered_to = question.offered_until = None
            if status == AWAY:
                for question in await repo.waiting_questions(session):
                    if question.claimed_by != adviser.id or question.status != "claimed":
                        continue
                    locked = await repo.question_for_update(session, question.id)
                    if locked is None or locked.claimed_by != adviser.id:
                        continue
                    back_to_queue(locked)
                    await repo.record_event(session, locked, "reclaimed", now,
                                            adviser_id=adviser.id)
        self._notifier.publish(QUEUE)

    async def console_seen(self, adviser: Adviser) -> None:
        """The adviser's console is open (called from its websocket); the first time it sets
        them available."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            if not await repo.console_seen(session, adviser.id, now, timedelta(seconds=15)):
                await repo.set_presence(session, adviser.id, AVAILABLE, now)

    async def reply(self, adviser: Adviser, question_id: str, text: str) -> int:
        text = text.strip()
        if not text:
            raise Invalid("Een leeg antwoord kan niet worden verstuurd.")
        if len(text) > self._config.max_message_chars:
            raise Invalid(f"Het antwoord is te lang (maximaal {self._config.max_message_chars} "
                          "tekens).")
        if not storable(text):
            raise Invalid("Het antwoord bevat tekens die niet kunnen worden opgeslagen.")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            question = await self._claimed_by(session, adviser, question_id, now)
            message = await repo.add_message(
                session, conversation_id=question.conversation_id, sender=ADVISER, body=text,
                question_id=question.id, adviser_id=adviser.id, at=now)
            await repo.record_event(session, question, "adviser_replied", now,
                                    adviser_id=adviser.id)
            question.replied_at = now
            await repo.adviser_was_active(session, adviser.id, now)
        self._notifier.publish(conversation_topic(question.conversation_id), QUEUE)
        return message.seq

    async def close(self, adviser: Adviser, question_id: str, topic: str) -> None:
        if topic not in self._topics():
            raise Invalid(f"Onbekend onderwerp {topic!r}.")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            question = await self._claimed_by(session, adviser, question_id, now)
            question.status = "closed"
            question.topic = topic
            question.closed_at = now
            await repo.record_event(session, question, "closed", now, adviser_id=adviser.id,
                                    topic=topic)
            question.offered_to = question.offered_until = None
            await repo.adviser_was_active(session, adviser.id, now)
            conversation = await repo.conversation_by_id(session, question.conversation_id)
            await repo.add_message(session, conversation_id=question.conversation_id,
                                   sender=SYSTEM, kind="closed", question_id=question.id,
                                   body=texts.closed(conversation.language if conversation
                                                     else "nl"), at=now)
        self._notifier.publish(QUEUE, conversation_topic(question.conversation_id))

    async def erase(self, adviser: Adviser, question_id: str) -> None:
        """Erase the question's conversation on the parent's request; the audit log records who
        did it and when (never any content)."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            question = await self._get(session, adviser, question_id, now, lock=True)
            conversation = await repo.conversation_for_update(session, question.conversation_id)
            if conversation is None or not await erase_conversation(
                    session, conversation, ERASED_BY_ADVISER, now):
                raise Conflict("Dit gesprek is al verwijderd.")
            await repo.add_audit_record(session, AuditRecord(
                at=now, user_id=adviser.id, action="erase_conversation", question_id=question.id,
                conversation_id=conversation.id, municipality=question.municipality))
        log.info("conversation erased", extra={"by": ERASED_BY_ADVISER, "adviser": adviser.id})
        self._notifier.publish(QUEUE, conversation_topic(question.conversation_id))

    async def _claimed_by(self, session: AsyncSession, adviser: Adviser, question_id: str,
                          now: datetime) -> Question:
        question = await self._get(session, adviser, question_id, now, lock=True)
        if question.status != "claimed" or question.claimed_by != adviser.id:
            raise Conflict("Pak de vraag eerst op; alleen wie hem heeft opgepakt kan antwoorden.")
        return question

    # Push channels: what did not reach the parent, and what could not be read ------------------

    def _sees_municipality(self, adviser: Adviser, municipality: str | None,
                           now: datetime) -> bool:
        return adviser_sees(adviser.scope, municipality, False, now, self._config.desks)

    async def undelivered(self, adviser: Adviser) -> list[dict[str, Any]]:
        """Messages that will not reach the parent (an address that bounced, a channel that
        gave up), newest first, for the questions this adviser may see."""
        now = self._clock.now()
        found = []
        async with self._sessions() as session:
            rows = await repo.failed_deliveries(session)
            for item, question in rows:
                conversation = await repo.conversation_by_id(session, item.conversation_id)
                municipality = question.municipality if question else \
                    (conversation.municipality if conversation else None)
                # The same rule as opening the question (its "view" button must work).
                visible = await self._may_read(session, adviser, question, now) if question \
                    else self._sees_municipality(adviser, municipality, now)
                if not visible:
                    continue
                found.append({"id": item.id,
                              "question_id": question.id if question else None,
                              "channel": item.channel, "seq": item.seq,
                              "reason": item.last_error, "attempts": item.attempts,
                              "municipality": municipality,
                              "created_at": item.created_at.isoformat()})
        return found

    async def retry_delivery(self, adviser: Adviser, outbox_id: int) -> None:
        """Send a failed message again (say the parent's mailbox was full)."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            item = await repo.outbox_item(session, outbox_id)
            if item is None or item.status != "failed":
                raise NotFound("Dit bericht staat niet als niet-afgeleverd.")
            conversation = await repo.conversation_by_id(session, item.conversation_id)
            message = await session.get(Message, item.message_id)
            question = await session.get(Question, message.question_id) \
                if message is not None and message.question_id else None
            if conversation is None or not (
                    await self._may_read(session, adviser, question, now) if question
                    else self._sees_municipality(adviser, conversation.municipality, now)):
                raise NotFound("Dit bericht staat niet als niet-afgeleverd.")
            item.status, item.next_attempt_at, item.created_at = "pending", now, now
            item.attempts, item.lease_owner, item.lease_until = 0, None, None
        self._notifier.publish(QUEUE, conversation_topic(item.conversation_id))

    async def set_aside(self, adviser: Adviser) -> list[dict[str, Any]]:
        """Parent messages whose handling kept failing (HANDLE_ATTEMPTS times): stored, so
        acknowledged to the parent, but neither answered nor queued until someone acts."""
        now = self._clock.now()
        async with self._sessions() as session:
            rows = await repo.set_aside_messages(session)
        return [{"id": message.id, "seq": message.seq, "channel": conversation.channel,
                 "municipality": conversation.municipality, "attempts": message.handle_attempts,
                 "error": message.handle_error, "preview": message.body[:160],
                 "received_at": message.created_at.isoformat(),
                 "set_aside_at": message.handle_failed_at.isoformat()
                 if message.handle_failed_at else None}
                for message, conversation in rows
                if self._sees_municipality(adviser, conversation.municipality, now)]

    async def retry_set_aside(self, adviser: Adviser, message_id: int) -> None:
        """Try a set-aside message again (after the fault was fixed), with fresh attempts."""
        async with self._sessions.begin() as session:
            message = await session.get(Message, message_id)
            conversation = await repo.conversation_by_id(session, message.conversation_id) \
                if message is not None else None
            if conversation is None or not self._sees_municipality(
                    adviser, conversation.municipality, self._clock.now()) \
                    or await repo.retry_set_aside(session, message_id) is None:
                raise NotFound("Dit bericht staat niet (meer) apart.")
        self._notifier.publish(QUEUE)

    async def quarantine(self, adviser: Adviser) -> list[dict[str, Any]]:
        """What came in on a channel but could not be taken in, with the reason."""
        now = self._clock.now()
        async with self._sessions() as session:
            rows = await repo.quarantine_list(session)
        return [{"id": item.id, "channel": item.channel, "reason": item.reason,
                 "sender": item.sender, "municipality": item.municipality,
                 "received_at": item.received_at.isoformat()}
                for item in rows if self._sees_municipality(adviser, item.municipality, now)]

    async def quarantined(self, adviser: Adviser, item_id: int) -> tuple[str, bytes]:
        """(channel, raw content) of one quarantined message."""
        async with self._sessions() as session:
            item = await repo.quarantined_by_id(session, item_id)
            if item is None or not self._sees_municipality(adviser, item.municipality,
                                                           self._clock.now()):
                raise NotFound("Dit bericht bestaat niet (meer).")
            return item.channel, item.raw

    async def dismiss_quarantined(self, adviser: Adviser, item_id: int) -> None:
        """An adviser dealt with it (answered from their own mailbox, or it was spam)."""
        async with self._sessions.begin() as session:
            item = await repo.quarantined_by_id(session, item_id)
            if item is None or not self._sees_municipality(adviser, item.municipality,
                                                           self._clock.now()):
                raise NotFound("Dit bericht bestaat niet (meer).")
            await repo.delete_quarantined(session, item_id)
        self._notifier.publish(QUEUE)


def _delivery(item: OutboxItem) -> dict[str, Any]:
    return {"status": item.status, "attempts": item.attempts, "reason": item.last_error,
            "delivered_at": item.delivered_at.isoformat() if item.delivered_at else None}
