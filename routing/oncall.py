"""On call: which waiting questions call in the on-call advisers of the rota, and whom.

A crisis calls them at once. Any other question calls them once it has waited `after` without
being taken (nobody on duty, or nobody on duty took it), or once it is within `lead` of the
answer time the parent was promised. Each question calls once (the caller keeps that record).
Pure: the question, the staffing and the time in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from routing.rota import REGIONAL_POOL
from routing.staffing import Staffing

CRISIS, UNTAKEN, DEADLINE = "crisis", "untaken", "deadline"
REASONS = (CRISIS, UNTAKEN, DEADLINE)


@dataclass(frozen=True)
class Waiter:
    """A question still waiting (not claimed), as on call sees it."""

    id: str
    municipality: str | None
    crisis: bool
    routed_to_pool: bool
    waiting_since: datetime
    answer_by: datetime | None = None


@dataclass(frozen=True)
class Call:
    question_id: str
    reason: str
    advisers: tuple[str, ...]   # usernames, in rota order


def reason_to_call(question: Waiter, now: datetime, after: timedelta,
                   lead: timedelta) -> str | None:
    if question.crisis:
        return CRISIS
    if question.answer_by is not None and now >= question.answer_by - lead:
        return DEADLINE
    if now - question.waiting_since >= after:
        return UNTAKEN
    return None


def on_call_for(question: Waiter, staffing: Staffing, now: datetime,
                reason: str = UNTAKEN) -> tuple[str, ...]:
    """Who is called: the on-call advisers of the desk that has the question (its municipality,
    or the pool once it went there), and the pool's when that desk has none on call. A crisis
    or a question close to its promised time (escalated to the pool as well) calls both the
    own desk's and the pool's."""
    own = question.municipality if question.municipality in staffing.desks.municipalities \
        else None
    both = reason in (CRISIS, DEADLINE)
    if own is None or (question.routed_to_pool and not both):
        desks = [REGIONAL_POOL]
    else:
        desks = [own, REGIONAL_POOL]
    called: list[str] = []
    for desk in desks:
        if called and not both:
            break   # the own desk has someone on call: the pool's are not needed
        called.extend(name for name in staffing.on_call(now, desk) if name not in called)
    return tuple(called)


def call(question: Waiter, staffing: Staffing, now: datetime, after: timedelta,
         lead: timedelta) -> Call | None:
    """Whom to call for this waiting question now; None when it need not call (yet) or nobody
    is on call for it."""
    reason = reason_to_call(question, now, after, lead)
    if reason is None:
        return None
    advisers = on_call_for(question, staffing, now, reason)
    return Call(question.id, reason, advisers) if advisers else None
