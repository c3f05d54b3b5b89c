"""On call: which waiting questions call someone in, whom, and the escalation after that.

An untaken question (nobody on duty took it within `after`) calls the first on-call adviser of
the rota; still untaken `further` after each call, the next on-call adviser on the rota, then the
coordinators. A crisis, and a question within `lead` of the answer time the parent was promised,
call every on-call adviser of the own desk and the pool and the coordinators at once. Each step
is taken once per question (the caller keeps the step and who was called). Pure: the question,
the staffing and the time in.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from routing.rota import REGIONAL_POOL
from routing.staffing import Staffing

CRISIS, UNTAKEN, DEADLINE = "crisis", "untaken", "deadline"
REASONS = (CRISIS, UNTAKEN, DEADLINE)
# The steps of one question's escalation; LAST: nobody is called for it any more.
NOT_CALLED, FIRST, NEXT, LAST = 0, 1, 2, 3


@dataclass(frozen=True)
class Waiter:
    """A question still waiting (not claimed), as on call sees it."""

    id: str
    municipality: str | None
    crisis: bool
    routed_to_pool: bool
    waiting_since: datetime
    answer_by: datetime | None = None
    step: int = NOT_CALLED                 # the last step taken for it
    last_call_at: datetime | None = None   # when
    called: frozenset[str] = frozenset()   # usernames called for it so far


@dataclass(frozen=True)
class Timing:
    after: timedelta     # untaken this long: the first on-call adviser
    further: timedelta   # still untaken this long after a call: the next step
    lead: timedelta      # this close to the promised time: everyone at once


@dataclass(frozen=True)
class Call:
    question_id: str
    reason: str
    advisers: tuple[str, ...]                # usernames, in rota order
    coordinators: tuple[str, ...] = ()
    step: int = FIRST                        # the step this call takes


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
    """The on-call advisers for this question in escalation order: the rota order of the desk
    that has it (its municipality, or the pool once it went there), then the pool's. A crisis
    or a question close to its promised time (escalated to the pool as well) starts at the own
    desk even when it is in the pool."""
    own = question.municipality if question.municipality in staffing.desks.municipalities \
        else None
    if own is None or (question.routed_to_pool and reason == UNTAKEN):
        desks = [REGIONAL_POOL]
    else:
        desks = [own, REGIONAL_POOL]
    chain: list[str] = []
    for desk in desks:
        chain.extend(name for name in staffing.on_call(now, desk) if name not in chain)
    return tuple(chain)


def call(question: Waiter, staffing: Staffing, now: datetime, timing: Timing,
         coordinators: Collection[str] = ()) -> Call | None:
    """The next step for this waiting question now, or None when none is due (yet). A step
    that would call nobody is not taken, except the last: with no coordinator to call either,
    the question's escalation ends there (the caller records and logs that)."""
    if question.step >= LAST:
        return None
    reason = reason_to_call(question, now, timing.after, timing.lead)
    if reason is None:
        return None
    chain = [name for name in on_call_for(question, staffing, now, reason)
             if name not in question.called]
    bosses = tuple(name for name in coordinators if name not in question.called)
    if reason in (CRISIS, DEADLINE):
        # At once: every on-call adviser of the own desk and the pool, and the coordinators.
        if not chain and not bosses:
            return None   # looked at again: an on-call shift may start later
        return Call(question.id, reason, tuple(chain), bosses, LAST)
    if question.step == NOT_CALLED:
        # Nobody on call yet: looked at again each round, so a shift that starts later calls.
        return Call(question.id, reason, tuple(chain[:1]), (), FIRST) if chain else None
    if question.last_call_at is None or now < question.last_call_at + timing.further:
        return None
    if question.step == FIRST and chain:
        return Call(question.id, reason, tuple(chain[:1]), (), NEXT)
    return Call(question.id, reason, (), bosses, LAST)
