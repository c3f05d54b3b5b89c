"""Which advisers a waiting question goes to, and when the parent can expect an answer.

The parent's own municipality answers while its desk is staffed; while it is closed the desk
switches through to the regional backup pool. Crisis questions go to every adviser of the region
at once (the crisis policy, see `routing.staffing`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from routing.desks import DeskHours

MUNICIPALITY = "municipality"
REGIONAL = "regional"


@dataclass(frozen=True)
class Desks:
    """Desk hours of every municipality in the region plus the regional pool's."""

    municipalities: Mapping[str, DeskHours]
    regional_pool: DeskHours
    answer_within: timedelta   # the promise made to a parent while someone is on duty


@dataclass(frozen=True)
class Expectation:
    """What the parent is told: who picks the question up and from when."""

    pool: str                  # MUNICIPALITY or REGIONAL
    staffed_now: bool
    answer_by: datetime | None  # while staffed: now + answer_within; else first opening + that


def expectation(municipality: str | None, now: datetime, desks: Desks) -> Expectation:
    own = desks.municipalities.get(municipality) if municipality else None
    if own is not None and own.is_open(now):
        return Expectation(MUNICIPALITY, True, now + desks.answer_within)
    if desks.regional_pool.is_open(now):
        return Expectation(REGIONAL, True, now + desks.answer_within)
    openings = [(opening, pool) for opening, pool in (
        (own.next_opening(now) if own is not None else None, MUNICIPALITY),
        (desks.regional_pool.next_opening(now), REGIONAL),
    ) if opening is not None]
    if not openings:
        return Expectation(REGIONAL, False, None)
    first, pool = min(openings, key=lambda item: item[0])   # a tie goes to the own desk
    return Expectation(pool, False, first + desks.answer_within)

@dataclass(frozen=True)
class AdviserScope:
    """The municipalities an adviser works for, and whether they take regional pool shifts."""

    municipalities: Collection[str]
    regional_pool: bool


def adviser_sees(scope: AdviserScope, question_municipality: str | None, crisis: bool,
                 now: datetime, desks: Desks) -> bool:
    """Whether a waiting question belongs in this adviser's queue right now.

    A crisis belongs in every adviser's queue, whatever their municipality: whoever is at work
    reads it first (the README's crisis policy)."""
    if crisis:
        return True
    if question_municipality is not None and question_municipality in scope.municipalities:
        return True
    if not scope.regional_pool:
        return False
    if question_municipality is None:
        return True
    own = desks.municipalities.get(question_municipality)
    return own is None or not own.is_open(now)


def next_opening_anywhere(now: datetime, desks: Desks) -> datetime | None:
    """When the first desk of the region (any municipality or the regional pool) is staffed.

    A crisis is visible to every adviser, so this is when someone can pick it up; `now` when a
    desk is open now, None when no desk opens within the horizon.
    """
    openings = [opening for opening in
                (hours.next_opening(now) for hours in
                 (*desks.municipalities.values(), desks.regional_pool))
                if opening is not None]
    return min(openings, default=None)
