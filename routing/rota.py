"""The rota: who is on duty or on call, for which municipality or the regional pool, and when.

Recurring weekly shifts plus exceptions (leave and sickness take an adviser off, a swap hands one
adviser's shifts of a day to a colleague). Advisers are named by username; everything is in the
region's local time. Pure: the moment is always passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from routing.desks import WEEKDAYS, DeskHoursError, Span, parse_span

ON_DUTY = "on_duty"   # receives work: questions are offered to them
ON_CALL = "on_call"   # is notified when a question waits too long or a crisis comes in
ROLES = (ON_DUTY, ON_CALL)
REGIONAL_POOL = "regional_pool"   # the `where` of a regional pool shift
LEAVE, SICKNESS = "leave", "sickness"
ABSENCE_REASONS = (LEAVE, SICKNESS)


class RotaError(ValueError):
    """A rota entry that cannot be understood; the message says which part."""


@dataclass(frozen=True)
class Shift:
    """Every `day` of the week from span.start to span.end: `adviser` is `role` for `where`."""

    adviser: str
    where: str          # a municipality id or REGIONAL_POOL
    role: str           # ON_DUTY or ON_CALL
    day: str            # mon .. sun
    span: Span


@dataclass(frozen=True)
class Absence:
    """Leave or sickness: the adviser has no shifts from `first` to `last` (both included)."""

    adviser: str
    first: date
    last: date
    reason: str = LEAVE


@dataclass(frozen=True)
class Swap:
    """On `day`, `stand_in` works the shifts `adviser` had that day."""

    day: date
    adviser: str
    stand_in: str


@dataclass(frozen=True)
class Duty:
    """One shift as it falls on a real day, exceptions applied."""

    adviser: str
    where: str
    role: str
    start: datetime
    end: datetime

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class AdviserProfile:
    """What an adviser can take on: live chats at once, languages, and (optionally) topics."""

    username: str
    max_live_chats: int = 3
    languages: tuple[str, ...] = ("nl",)
    topics: tuple[str, ...] = ()   # empty: every topic

    def speaks(self, language: str) -> bool:
        return language in self.languages

    def takes_topic(self, topic: str | None) -> bool:
        return not self.topics or topic is None or topic in self.topics


@dataclass(frozen=True)
class Rota:
    shifts: tuple[Shift, ...] = ()
    absences: tuple[Absence, ...] = ()
    swaps: tuple[Swap, ...] = ()
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Amsterdam"))

    def covers(self, where: str) -> bool:
        """Whether the rota says anything about `where` (a desk without shifts is staffed by
        its advisers during desk hours: see `routing.staffing`)."""
        return any(shift.where == where for shift in self.shifts)

    def absent(self, adviser: str, day: date) -> bool:
        return any(a.adviser == adviser and a.first <= day <= a.last for a in self.absences)

    def duties_on(self, day: date) -> list[Duty]:
        """Every duty of this local day, in rota order: absences removed, swaps applied."""
        duties = []
        weekday = WEEKDAYS[day.weekday()]
        for shift in self.shifts:
            if shift.day != weekday:
                continue
            adviser = shift.adviser
            for swap in self.swaps:
                if swap.day == day and swap.adviser == adviser:
                    adviser = swap.stand_in
                    break
            if self.absent(adviser, day):
                continue
            duties.append(Duty(adviser, shift.where, shift.role,
                               datetime.combine(day, shift.span.start, self.time_zone),
                               datetime.combine(day, shift.span.end, self.time_zone)))
        return duties

    def duties_at(self, moment: datetime) -> list[Duty]:
        local = moment.astimezone(self.time_zone)
        return [duty for duty in self.duties_on(local.date()) if duty.covers(local)]

    def advisers(self, moment: datetime, where: str, role: str = ON_DUTY) -> list[str]:
        """Who is `role` for `where` at `moment`, in rota order (the escalation order for on
        call), each once."""
        found: list[str] = []
        for duty in self.duties_at(moment):
            if duty.where == where and duty.role == role and duty.adviser not in found:
                found.append(duty.adviser)
        return found

    def next_duty(self, moment: datetime, where: str, role: str = ON_DUTY,
                  horizon_days: int = 14) -> datetime | None:
        """The first moment at or after `moment` when someone is `role` for `where`."""
        local = moment.astimezone(self.time_zone)
        for offset in range(horizon_days + 1):
            starts = [max(duty.start, local)
                      for duty in self.duties_on(local.date() + timedelta(days=offset))
                      if duty.where == where and duty.role == role and duty.end > local]
            if starts:
                return min(starts)
        return None

    def week(self, monday: date) -> list[Duty]:
        """The seven days from `monday`, for the coordinators' week view."""
        return [duty for offset in range(7)
                for duty in self.duties_on(monday + timedelta(days=offset))]


def shifts_from_mapping(adviser: str, where: str, role: str, days: Iterable[str],
                        hours: Iterable[str]) -> list[Shift]:
    """One rota line ('adviser, where, role, days, hours') as shifts; RotaError names the fault."""
    if role not in ROLES:
        raise RotaError(f"role {role!r} is not one of {', '.join(ROLES)}")
    day_list = list(days)
    if not day_list:
        raise RotaError("days: at least one day is needed")
    for day in day_list:
        if day not in WEEKDAYS:
            raise RotaError(f"unknown day {day!r}; use {', '.join(WEEKDAYS)}")
    try:
        spans = [parse_span(text) for text in hours]
    except DeskHoursError as exc:
        raise RotaError(str(exc)) from exc
    if not spans:
        raise RotaError("hours: at least one span like '09:00-17:00' is needed")
    return [Shift(adviser, where, role, day, span) for day in day_list for span in spans]


def check_names(rota: Rota, advisers: Sequence[str], places: Mapping[str, object]) -> None:
    """Every adviser of the rota is a known user and every `where` a known desk."""
    known = set(advisers)
    for shift in rota.shifts:
        if shift.adviser not in known:
            raise RotaError(f"unknown adviser {shift.adviser!r}")
        if shift.where != REGIONAL_POOL and shift.where not in places:
            raise RotaError(f"unknown municipality {shift.where!r} (or '{REGIONAL_POOL}')")
    for absence in rota.absences:
        if absence.adviser not in known:
            raise RotaError(f"unknown adviser {absence.adviser!r}")
        if absence.reason not in ABSENCE_REASONS:
            raise RotaError(f"reason {absence.reason!r} is not one of "
                            f"{', '.join(ABSENCE_REASONS)}")
        if absence.last < absence.first:
            raise RotaError(f"absence of {absence.adviser!r} ends before it starts")
    for swap in rota.swaps:
        for name in (swap.adviser, swap.stand_in):
            if name not in known:
                raise RotaError(f"unknown adviser {name!r}")
