"""What a parent is told: their place in the queue, an estimated wait, and an answer deadline.

Honest rather than hopeful: the deadline counts only time the answering desk is open (desk hours,
holidays, closures) from the first moment someone is on duty, and adds the backlog ahead of the
question at the rate advisers actually answer. Pure: queue, staffing and time in, numbers out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from routing.queue import CRISIS, Waiting, rank
from routing.rota import REGIONAL_POOL
from routing.staffing import Staffing

QUARTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Pace:
    """How fast the advisers work through the queue, and the promise made while they do."""

    answer_within: timedelta               # the promise for an empty queue while staffed
    minutes_per_question: float = 15.0     # one adviser, one question, claim to first reply
    offer_minutes: float = 2.0             # until an offer is taken when someone has room


@dataclass(frozen=True)
class Promise:
    position: int                          # 1: next in line
    estimated_wait: timedelta | None       # None: nobody is on duty within the horizon
    answer_by: datetime | None             # the deadline in business hours (None: as above)
    staffed_now: bool
    where: str                             # the desk that answers (municipality or pool)


def position_in_queue(question_id: str, ordered: Sequence[Waiting],
                      same_desk: set[str]) -> int:
    """1-based place among the questions the same desk answers (crises count for every desk:
    they go first everywhere). `same_desk` holds the ids that desk answers, this one included."""
    place = 1
    for item in ordered:
        if item.question_id == question_id:
            return place
        if item.question_id in same_desk or rank(item) == CRISIS:
            place += 1
    return place


def round_up(moment: datetime) -> datetime:
    """To the next quarter hour: 'uiterlijk 11:15', never a promise to the minute."""
    seconds = (moment - moment.replace(minute=0, second=0, microsecond=0)).total_seconds()
    quarters = math.ceil(seconds / QUARTER.total_seconds() - 1e-9)
    return moment.replace(minute=0, second=0, microsecond=0) + quarters * QUARTER


def promise(municipality: str | None, crisis: bool, position: int, free_places: int,
            now: datetime, staffing: Staffing, pace: Pace) -> Promise:
    """The parent's promise for a question at `position`, with `free_places` open live-chat
    places among the advisers on duty for it now."""
    route = staffing.route(municipality, crisis, now)
    where = route.where if route.where in staffing.desks.municipalities else REGIONAL_POOL
    staffed = bool(route.advisers)
    per_question = timedelta(minutes=pace.minutes_per_question)
    offer = timedelta(minutes=pace.offer_minutes)

    # Staffed now: the desk that has it. Otherwise whichever of the own desk and the pool (which
    # switches in while the own desk is closed) is staffed first.
    desks = [where] if staffed else \
        [d for d in ((municipality if municipality in staffing.desks.municipalities
                      else None), REGIONAL_POOL) if d is not None]
    best: tuple[datetime, datetime, str] | None = None   # (deadline, start, desk)
    for desk in desks:
        start = staffing.next_staffed(now, desk)
        hours = staffing.hours(desk)
        if start is None or hours is None:
            continue
        working = max(1, len(staffing.on_duty(start, desk)))
        backlog = per_question * (max(0, position - 1) / working)
        deadline = hours.add_open_time(start, pace.answer_within + backlog)
        if deadline is not None and (best is None or deadline < best[0]):
            best = (deadline, start, desk)
    if best is None:
        return Promise(position, None, None, staffed, where)
    deadline, start, desk = best
    if staffed and position <= free_places:
        wait = offer
    else:
        working = max(1, len(staffing.on_duty(start, desk)))
        ahead = max(0, position - max(free_places, 0))
        wait = (start - now) + offer + per_question * math.ceil(ahead / working)
    return Promise(position, wait, round_up(deadline), staffed, where if staffed else desk)
