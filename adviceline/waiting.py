"""Honest waiting times for parents: reads the queue, the advisers and the rota, asks
`routing.waiting`, and keeps `position` and `estimated_wait_minutes` of the queued message
current."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from adviceline.config import Config
from adviceline.queue_state import adviser_states, waiting_entry
from adviceline.rota import RotaBook
from adviceline.storage import repository as repo
from adviceline.storage.models import Question
from routing.queue import CRISIS_PRIORITY, queue_order
from routing.staffing import Staffing
from routing.waiting import Pace, Promise, position_in_queue, promise


class WaitingTimes:
    def __init__(self, config: Config, rota: RotaBook | None = None) -> None:
        self._config = config
        self._rota = rota

    @property
    def pace(self) -> Pace:
        return Pace(answer_within=self._config.desks.answer_within,
                    minutes_per_question=self._config.routing.minutes_per_question,
                    offer_minutes=self._config.routing.offer_seconds / 60)

    async def staffing(self, session: AsyncSession | None = None) -> Staffing:
        return await self._rota.staffing(session) if self._rota else self._config.staffing

    async def promises(self, session: AsyncSession, now: datetime,
                       staffing: Staffing | None = None) -> dict[str, Promise]:
        """A promise for every waiting question, from one read of the queue and the advisers."""
        staffing = staffing or await self.staffing(session)
        questions = list(await repo.waiting_questions(session))
        waiting = [q for q in questions if q.status == "waiting"]
        if not waiting:
            return {}
        last_parent = await repo.last_parent_message_at(
            session, [q.conversation_id for q in waiting])
        ordered = queue_order(waiting_entry(q, last_parent, self._config, now) for q in waiting)
        states = adviser_states(await repo.adviser_users(session), await repo.presences(session),
                                questions, self._config, now)
        found = {}
        for question in waiting:
            crisis = question.priority >= CRISIS_PRIORITY
            route = staffing.route(question.municipality, crisis, now)
            on_duty = set(route.advisers)
            free = sum(max(0, s.profile.max_live_chats - s.live_chats) for s in states
                       if s.username in on_duty and s.receives_offers())
            same_desk = {q.id for q in waiting if _same_desk(q, question)}
            position = position_in_queue(question.id, ordered, same_desk)
            found[question.id] = promise(question.municipality, crisis, position, free, now,
                                         staffing, self.pace)
        return found

    async def refresh_queued_messages(self, session: AsyncSession, now: datetime,
                                      staffing: Staffing | None = None) -> list[str]:
        """Bring `position` and `estimated_wait_minutes` on each waiting question's queued
        message up to date; returns the conversations whose numbers changed."""
        promises = await self.promises(session, now, staffing)
        if not promises:
            return []
        messages = await repo.queued_messages(session, list(promises))
        changed = []
        for question_id, message in messages.items():
            numbers = numbers_of(promises[question_id])
            actions = message.actions or {}
            if all(actions.get(key) == value for key, value in numbers.items()):
                continue
            message.actions = {**actions, **numbers}
            changed.append(message.conversation_id)
        return changed


def numbers_of(found: Promise) -> dict[str, Any]:
    return {"position": found.position,
            "estimated_wait_minutes": None if found.estimated_wait is None else
            max(1, math.ceil(found.estimated_wait / timedelta(minutes=1)))}


def _same_desk(one: Question, other: Question) -> bool:
    if one.routed_to_pool or other.routed_to_pool:
        return one.routed_to_pool == other.routed_to_pool
    return one.municipality == other.municipality


def escalation_due(question: Question, now: datetime, lead: timedelta) -> bool:
    """Close to the promised deadline and not yet escalated."""
    return (question.status == "waiting" and question.answer_by is not None and
            question.escalated_at is None and now >= question.answer_by - lead)


__all__: Sequence[str] = ("WaitingTimes", "escalation_due", "numbers_of")
