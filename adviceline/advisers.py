"""What advisers do with waiting questions: see the queue, claim, reply, release and close."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline import texts
from adviceline.clock import Clock
from adviceline.config import Config
from adviceline.domain import ADVISER, SYSTEM, Conflict, Forbidden, Invalid, NotFound
from adviceline.notify import QUEUE, Notifier, conversation_topic
from adviceline.pipeline import outbound
from adviceline.storage import repository as repo
from adviceline.storage.models import Question, User
from routing.assignment import AdviserScope, adviser_sees
from routing.queue import CRISIS_PRIORITY, Waiting, queue_order


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


class AdviserDesk:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], config: Config,
                 clock: Clock, notifier: Notifier, topics: Collection[str]) -> None:
        self._sessions = sessions
        self._config = config
        self._clock = clock
        self._notifier = notifier
        self._topics = topics

    def _visible(self, adviser: Adviser, question: Question, now: datetime) -> bool:
        if question.claimed_by == adviser.id:
            return True
        return adviser_sees(adviser.scope, question.municipality,
                            question.priority >= CRISIS_PRIORITY, now, self._config.desks)

    async def queue(self, adviser: Adviser) -> list[dict[str, Any]]:
        """The questions this adviser may take, most urgent first, with a preview."""
        now = self._clock.now()
        async with self._sessions() as session:
            questions = {q.id: q for q in await repo.waiting_questions(session)
                         if self._visible(adviser, q, now)}
            names = await repo.display_names(session)
            ordered = queue_order(Waiting(q.id, q.priority, q.waiting_since or q.created_at)
                                  for q in questions.values())
            firsts = await repo.first_parent_messages(session, list(questions))
            items = []
            for waiting in ordered:
                question = questions[waiting.question_id]
                first = firsts.get(question.id)
                items.append({
                    **self._summary(question, names),
                    "preview": (first.body[:160] if first else ""),
                    "waiting_minutes": int((now - waiting.waiting_since).total_seconds() // 60),
                })
        return items

    def _summary(self, question: Question, names: dict[int, str]) -> dict[str, Any]:
        municipality = self._config.municipalities.get(question.municipality or "")
        return {
            "id": question.id,
            "status": question.status,
            "crisis": question.priority >= CRISIS_PRIORITY,
            "crisis_category": question.crisis_category,
            "municipality": question.municipality,
            "municipality_name": municipality.name if municipality else None,
            "channel": question.channel,
            "topic": question.topic,
            "claimed_by": question.claimed_by,
            "claimed_by_name": names.get(question.claimed_by) if question.claimed_by else None,
            "waiting_since": (question.waiting_since or question.created_at).isoformat(),
        }

    async def conversation(self, adviser: Adviser, question_id: str) -> dict[str, Any]:
        now = self._clock.now()
        async with self._sessions() as session:
            question = await self._get(session, adviser, question_id, now)
            names = await repo.display_names(session)
            rows = await repo.messages_after(session, question.conversation_id, 0, limit=1000)
        messages = []
        for message, author in rows:
            shown = outbound(message, author).to_json()
            shown["decision"] = message.decision
            messages.append(shown)
        return {"question": self._summary(question, names), "messages": messages,
                "topics": sorted(self._topics)}

    async def _get(self, session: AsyncSession, adviser: Adviser, question_id: str,
                   now: datetime, lock: bool = False) -> Question:
        question = await (repo.question_for_update(session, question_id) if lock
                          else session.get(Question, question_id))
        if question is None:
            raise NotFound("Deze vraag bestaat niet.")
        if not self._visible(adviser, question, now):
            raise Forbidden("Deze vraag hoort niet bij jouw gemeenten.")
        return question

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
            await repo.record_event(session, question, "claimed", now, adviser_id=adviser.id)
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
            question.status = "waiting"
            question.claimed_by = None
            await repo.record_event(session, question, "released", now, adviser_id=adviser.id)
        self._notifier.publish(QUEUE)

    async def reply(self, adviser: Adviser, question_id: str, text: str) -> int:
        text = text.strip()
        if not text:
            raise Invalid("Een leeg antwoord kan niet worden verstuurd.")
        if len(text) > self._config.max_message_chars:
            raise Invalid(f"Het antwoord is te lang (maximaal {self._config.max_message_chars} "
                          "tekens).")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            question = await self._claimed_by(session, adviser, question_id, now)
            message = await repo.add_message(
                session, conversation_id=question.conversation_id, sender=ADVISER, body=text,
                question_id=question.id, adviser_id=adviser.id, at=now)
            await repo.record_event(session, question, "adviser_replied", now,
                                    adviser_id=adviser.id)
        self._notifier.publish(conversation_topic(question.conversation_id), QUEUE)
        return message.seq

    async def close(self, adviser: Adviser, question_id: str, topic: str) -> None:
        if topic not in self._topics:
            raise Invalid(f"Onbekend onderwerp {topic!r}.")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            question = await self._claimed_by(session, adviser, question_id, now)
            question.status = "closed"
            question.topic = topic
            question.closed_at = now
            await repo.record_event(session, question, "closed", now, adviser_id=adviser.id,
                                    topic=topic)
            conversation = await repo.conversation_by_id(session, question.conversation_id)
            await repo.add_message(session, conversation_id=question.conversation_id,
                                   sender=SYSTEM, kind="closed", question_id=question.id,
                                   body=texts.closed(conversation.language if conversation
                                                     else "nl"), at=now)
        self._notifier.publish(QUEUE, conversation_topic(question.conversation_id))

    async def _claimed_by(self, session: AsyncSession, adviser: Adviser, question_id: str,
                          now: datetime) -> Question:
        question = await self._get(session, adviser, question_id, now, lock=True)
        if question.status != "claimed" or question.claimed_by != adviser.id:
            raise Conflict("Pak de vraag eerst op; alleen wie hem heeft opgepakt kan antwoorden.")
        return question
