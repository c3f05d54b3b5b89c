"""The dispatcher: every few seconds, decides offers, lapsed offers, the pool and reclaims.

The decisions are `routing.offers`'; this module reads the state from the database, applies the
decisions in one write transaction and wakes the consoles. On PostgreSQL one dispatcher at a time
runs (a transaction-scoped advisory lock); SQLite writers are serialised anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.clock import Clock
from adviceline.config import COORDINATOR, REGIONAL_COORDINATOR, Config
from adviceline.notify import QUEUE, STAFF_MAIL, Notifier, conversation_topic
from adviceline.oncall_mail import CallFacts
from adviceline.oncall_mail import compose as compose_mail
from adviceline.queue_state import adviser_states, back_to_queue, waiting_entry
from adviceline.rota import RotaBook
from adviceline.storage import repository as repo
from adviceline.storage.models import OnCallNotice, Question, StaffMail, User
from adviceline.tasks import finish_round
from adviceline.waiting import WaitingTimes, escalation_due
from routing.offers import (
    Claim,
    Offer,
    OpenQuestion,
    ToPool,
    next_step,
    reclaim,
)
from routing.oncall import LAST, Timing, Waiter, call
from routing.queue import CRISIS_PRIORITY, queue_order
from routing.staffing import Staffing

log = logging.getLogger(__name__)
_LOCK_KEY = 0x0ADD1CE   # the advisory lock of the dispatcher on PostgreSQL


class Dispatcher:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], config: Config, clock: Clock,
                 notifier: Notifier, rota: RotaBook | None = None) -> None:
        self._rota = rota   # None: the configured rota only
        self._sessions = sessions
        self._config = config
        self._clock = clock
        self._notifier = notifier
        self._staff_mail_queued = False

    async def tick(self) -> dict[str, int]:
        """One round of decisions; returns how many of each were made (for tests and logs)."""
        now = self._clock.now()
        counts = {"offered": 0, "lapsed": 0, "to_pool": 0, "reclaimed": 0, "escalated": 0,
                  "on_call": 0}
        changed: list[str] = []
        staffing = await self._rota.staffing() if self._rota else self._config.staffing
        async with self._sessions.begin() as session:
            if not await _only_dispatcher(session):
                return counts
            users = await repo.adviser_users(session)
            presences = await repo.presences(session)
            questions = list(await repo.waiting_questions(session))
            states = adviser_states(users, presences, questions, self._config, now)
            by_id = {q.id: q for q in questions}
            reply_within = timedelta(minutes=self._config.routing.claim_reply_minutes)
            claims = [Claim(q.id, q.claimed_by, q.claimed_at or now,
                            q.replied_at is not None and q.claimed_at is not None
                            and q.replied_at >= q.claimed_at)
                      for q in questions if q.status == "claimed" and q.claimed_by is not None]
            for question_id in reclaim(claims, states, now, reply_within):
                question = await repo.question_for_update(session, question_id)
                if question is None or question.status != "claimed":
                    continue
                adviser = question.claimed_by
                back_to_queue(question)
                await repo.record_event(session, question, "reclaimed", now, adviser_id=adviser)
                counts["reclaimed"] += 1
            states = adviser_states(users, presences, questions, self._config, now)
            waiting = [q for q in questions if q.status == "waiting"]
            for question in waiting:
                if question.offered_to is not None and question.offered_until is not None \
                        and question.offered_until <= now:
                    question.declined_by = [*(question.declined_by or []), question.offered_to]
                    question.last_declined_at = now
                    await repo.record_event(session, question, "offer_lapsed", now,
                                            adviser_id=question.offered_to)
                    question.offered_to = question.offered_until = None
                    counts["lapsed"] += 1
            busy = {q.offered_to for q in waiting if q.offered_to is not None}
            languages = await repo.conversation_languages(
                session, [q.conversation_id for q in waiting])
            last_parent = await repo.last_parent_message_at(
                session, [q.conversation_id for q in waiting])
            ordered = queue_order(waiting_entry(q, last_parent, self._config, now)
                                  for q in waiting)
            for entry in ordered:
                question = by_id[entry.question_id]
                step = next_step(self._open(question, languages), states,
                                 staffing, now, self._config.routing.offer_time,
                                 busy)
                if isinstance(step, Offer):
                    if step.new_round:
                        question.declined_by = []
                    question.offered_to, question.offered_until = step.adviser_id, step.until
                    busy.add(step.adviser_id)
                    await repo.record_event(session, question, "offered", now,
                                            adviser_id=step.adviser_id)
                    counts["offered"] += 1
                elif isinstance(step, ToPool):
                    question.routed_to_pool = True
                    await repo.record_event(session, question, "to_pool", now)
                    counts["to_pool"] += 1
            lead = timedelta(minutes=self._config.routing.escalate_before_minutes)
            for question in waiting:
                if escalation_due(question, now, lead):
                    # Close to what the parent was promised: the pool takes it too, and the
                    # coordinators see it (GET /coordinator/api/escalations).
                    question.escalated_at = now
                    question.routed_to_pool = True
                    await repo.record_event(session, question, "escalated", now)
                    counts["escalated"] += 1
            counts["on_call"] = await self._call_on_call(session, waiting, staffing, now)
            changed = await WaitingTimes(self._config, self._rota).refresh_queued_messages(
                session, now, staffing)
        if any(counts.values()):
            self._notifier.publish(QUEUE)
        if self._staff_mail_queued:
            self._staff_mail_queued = False
            self._notifier.publish(STAFF_MAIL)
        if changed:
            # The parents' pages read their place in the queue again.
            self._notifier.publish(*(conversation_topic(c) for c in changed))
        return counts

    async def _call_on_call(self, session: AsyncSession, waiting: list[Question],
                            staffing: Staffing, now: datetime) -> int:
        """Take the next on-call step for the waiting questions that need one
        (routing.oncall): a notice in each called person's console, an e-mail through the
        staff mail outbox to those with an address, and a question event each. A step is
        taken once: the conditional UPDATE of `on_call_step` (and, on PostgreSQL, the
        dispatcher's advisory lock) keeps a second writer from repeating it."""
        staff = await repo.active_staff(session)
        by_name = {user.username: user for user in staff}
        routing = self._config.routing
        timing = Timing(after=timedelta(minutes=routing.on_call_after_minutes),
                        further=timedelta(minutes=routing.on_call_escalate_minutes),
                        lead=timedelta(minutes=routing.escalate_before_minutes))
        candidates = [q for q in waiting if q.status == "waiting" and q.on_call_step < LAST]
        called = await repo.called_for(session, [q.id for q in candidates if q.on_call_step])
        steps = mails = 0
        for question in candidates:
            found = call(Waiter(question.id, question.municipality,
                                question.priority >= CRISIS_PRIORITY, question.routed_to_pool,
                                question.waiting_since or question.created_at,
                                question.answer_by, question.on_call_step, question.on_call_at,
                                called.get(question.id, frozenset())),
                         staffing, now, timing, coordinators_for(question.municipality, staff))
            if found is None:
                continue
            if not await repo.take_on_call_step(session, question.id, question.on_call_step,
                                                found.step, now):
                continue
            advisers = [by_name[name] for name in found.advisers if name in by_name]
            bosses = [by_name[name] for name in found.coordinators if name in by_name]
            for user in (*advisers, *bosses):
                coordinator = user in bosses
                session.add(OnCallNotice(question_id=question.id, user_id=user.id,
                                         reason=found.reason, at=now))
                await repo.record_event(
                    session, question, "coordinator_notified" if coordinator
                    else "on_call_notified", now, adviser_id=user.id)
                if user.email and self._config.email is not None:
                    mails += 1
                    session.add(self._mail(question, user.id, user.email, found.reason,
                                           coordinator, now))
            if not advisers and not bosses:
                await repo.record_event(session, question, "on_call_exhausted", now)
            # An operator can alert on these lines; never any content.
            log.warning("on-call advisers called" if advisers or bosses
                        else "on call: nobody left to call", extra={
                            "question": question.id, "municipality": question.municipality,
                            "reason": found.reason, "step": found.step,
                            "advisers": len(advisers), "coordinators": len(bosses)})
            steps += 1
        if mails:
            self._staff_mail_queued = True
        return steps

    def _mail(self, question: Question, user_id: int, address: str, reason: str,
              coordinator: bool, now: datetime) -> StaffMail:
        config = self._config
        place = config.municipalities.get(question.municipality or "")
        origin = config.public_origin or f"http://{config.host}:{config.port}"
        mail = compose_mail(CallFacts(
            question_id=question.id, municipality_name=place.name if place else config.region_name,
            channel=question.channel, priority=question.priority, topic=question.topic,
            reason=reason, waiting_since=question.waiting_since or question.created_at,
            answer_by=question.answer_by), coordinator=coordinator, now=now,
            zone=ZoneInfo(config.time_zone),
            link=f"{origin}/coordinator" if coordinator else f"{origin}/console")
        return StaffMail(user_id=user_id, question_id=question.id, to_address=address,
                         subject=mail.subject, body=mail.body, status="pending", attempts=0,
                         next_attempt_at=now, created_at=now)

    @staticmethod
    def _open(question: Question, languages: dict[str, str]) -> OpenQuestion:
        return OpenQuestion(
            id=question.id, municipality=question.municipality,
            crisis=question.priority >= CRISIS_PRIORITY,
            language=languages.get(question.conversation_id, "nl"), topic=question.topic,
            routed_to_pool=question.routed_to_pool,
            waiting_since=question.waiting_since or question.created_at,
            offered_to=question.offered_to, offered_until=question.offered_until,
            declined_by=frozenset(question.declined_by or ()),
            last_declined_at=question.last_declined_at)

    async def run(self) -> None:
        """Tick forever (a cleanup_ctx task); a failed round is logged and the next one runs."""
        while True:
            try:
                await finish_round(self.tick())
            except Exception:
                log.exception("dispatch round failed")
            await asyncio.sleep(self._config.routing.dispatch_seconds)


def coordinators_for(municipality: str | None, staff: Sequence[User]) -> tuple[str, ...]:
    """Whom on call calls as coordinators for a question: the coordinators of its
    municipality and the regional coordinators."""
    return tuple(user.username for user in staff
                 if user.role == REGIONAL_COORDINATOR
                 or (user.role == COORDINATOR and municipality in user.municipalities))


async def _only_dispatcher(session: AsyncSession) -> bool:
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return True
    return bool(await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                     {"key": _LOCK_KEY}))


@asynccontextmanager
async def dispatching(dispatcher: Dispatcher) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(dispatcher.run(), name="dispatcher")
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
