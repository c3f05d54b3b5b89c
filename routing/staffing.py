"""Who is at work for a desk right now: the rota within the desk hours, and where a question goes.

A desk (a municipality or the regional pool) is staffed while it is open (desk hours, holidays,
closures) and someone is on duty for it on the rota. A desk the rota says nothing about is staffed
by every adviser of its municipality (or every regional pool adviser) during its desk hours, so a
region can start without a rota. On call is not bound to desk hours.

Crisis policy (one, documented in the README): a crisis goes to every adviser on duty anywhere in
the region at once, whatever their municipality, and the on-call advisers and the coordinator are
alerted at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from routing.assignment import AdviserScope, Desks
from routing.desks import DeskHours
from routing.rota import ON_CALL, ON_DUTY, REGIONAL_POOL, Rota


@dataclass(frozen=True)
class Route:
    """Where a question goes now: the desk that answers it and who on duty gets it."""

    where: str                 # a municipality id, REGIONAL_POOL, or EVERYONE for a crisis
    advisers: tuple[str, ...]  # on duty now, in rota order; empty: nobody is at work


EVERYONE = "everyone"


@dataclass(frozen=True)
class Staffing:
    desks: Desks
    rota: Rota = field(default_factory=Rota)
    scopes: Mapping[str, AdviserScope] = field(default_factory=dict)   # username -> scope

    def hours(self, where: str) -> DeskHours | None:
        if where == REGIONAL_POOL:
            return self.desks.regional_pool
        return self.desks.municipalities.get(where)

    def _members(self, where: str) -> list[str]:
        if where == REGIONAL_POOL:
            return [name for name, scope in self.scopes.items() if scope.regional_pool]
        return [name for name, scope in self.scopes.items() if where in scope.municipalities]

    def on_duty(self, moment: datetime, where: str) -> list[str]:
        hours = self.hours(where)
        if hours is None or not hours.is_open(moment):
            return []
        if self.rota.covers(where):
            return self.rota.advisers(moment, where, ON_DUTY)
        return self._members(where)

    def on_call(self, moment: datetime, where: str) -> list[str]:
        """The on-call advisers for `where`, in escalation order (rota order)."""
        return self.rota.advisers(moment, where, ON_CALL)

    def staffed(self, moment: datetime, where: str) -> bool:
        return bool(self.on_duty(moment, where))

    def next_staffed(self, moment: datetime, where: str, horizon_days: int = 14) -> \
            datetime | None:
        """The first moment at or after `moment` when someone is on duty for `where`."""
        hours = self.hours(where)
        if hours is None:
            return None
        if not self.rota.covers(where):
            return hours.next_opening(moment, horizon_days) if self._members(where) else None
        candidate: datetime | None = moment
        for _ in range(200):   # alternate: next opening, then next duty, until both agree
            if candidate is None:
                return None
            opening = hours.next_opening(candidate, horizon_days)
            if opening is None:
                return None
            duty = self.rota.next_duty(opening, where, ON_DUTY, horizon_days)
            if duty is None:
                return None
            if hours.is_open(duty) and self.rota.advisers(duty, where, ON_DUTY):
                return duty
            candidate = duty
        return None

    def route(self, municipality: str | None, crisis: bool, moment: datetime) -> Route:
        """Where a new question goes: its own desk while staffed, else the regional pool; a
        crisis to everyone on duty in the region."""
        if crisis:
            everyone: list[str] = []
            for where in (*self.desks.municipalities, REGIONAL_POOL):
                everyone.extend(name for name in self.on_duty(moment, where)
                                if name not in everyone)
            return Route(EVERYONE, tuple(everyone))
        if municipality is not None and municipality in self.desks.municipalities:
            own = self.on_duty(moment, municipality)
            if own:
                return Route(municipality, tuple(own))
        return Route(REGIONAL_POOL, tuple(self.on_duty(moment, REGIONAL_POOL)))

    def next_staffed_anywhere(self, moment: datetime) -> datetime | None:
        openings = [found for found in (self.next_staffed(moment, where) for where in
                                        (*self.desks.municipalities, REGIONAL_POOL))
                    if found is not None]
        return min(openings, default=None)
