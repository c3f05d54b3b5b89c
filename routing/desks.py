"""Desk hours: when a municipality's desk (or the regional pool) is staffed, and when it opens next.

A desk "switches through" to the regional pool while it is closed; that decision is made in
`routing.assignment` from what this module says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DeskHoursError(ValueError):
    """Desk hours that cannot be understood; the message says which part."""


@dataclass(frozen=True)
class Span:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end


def parse_span(text: str) -> Span:
    """'09:00-17:00' -> Span; end must be after start (no spans across midnight)."""
    try:
        start_text, end_text = (part.strip() for part in text.split("-"))
        start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    except ValueError as exc:
        raise DeskHoursError(f"{text!r} is not a span like '09:00-17:00'") from exc
    if end <= start:
        raise DeskHoursError(f"{text!r} ends before it starts")
    return Span(start, end)


@dataclass(frozen=True)
class Closure:
    """A day (or part of a day) the desk is closed although its week says open: a training day."""

    day: date
    span: Span | None = None   # None: the whole day

    def covers(self, moment: datetime) -> bool:
        return moment.date() == self.day and (self.span is None or
                                               self.span.contains(moment.time()))


def parse_closure(text: str) -> Closure:
    """'2026-12-08' (the whole day) or '2026-12-08 13:00-17:00' -> Closure."""
    day_text, _, span_text = text.strip().partition(" ")
    try:
        day = date.fromisoformat(day_text)
    except ValueError as exc:
        raise DeskHoursError(f"{text!r} is not a closure like '2026-12-08' or "
                             f"'2026-12-08 13:00-17:00'") from exc
    return Closure(day, parse_span(span_text) if span_text.strip() else None)


@dataclass(frozen=True)
class DeskHours:
    """A weekly schedule in local time; public holidays closed unless told otherwise, and closures
    (a training day, an afternoon) on top."""

    week: Mapping[str, tuple[Span, ...]]
    time_zone: ZoneInfo
    closed_on_public_holidays: bool = True
    closures: tuple[Closure, ...] = ()
    _holidays: holidays.HolidayBase = field(
        default_factory=lambda: holidays.country_holidays("NL"), compare=False, repr=False
    )

    @classmethod
    def from_mapping(
        cls,
        week: Mapping[str, Iterable[str]],
        time_zone: str = "Europe/Amsterdam",
        closed_on_public_holidays: bool = True,
        closures: Iterable[str] = (),
    ) -> DeskHours:
        unknown = set(week) - set(WEEKDAYS)
        if unknown:
            raise DeskHoursError(f"unknown day {sorted(unknown)[0]!r}; use {', '.join(WEEKDAYS)}")
        spans = {day: tuple(sorted((parse_span(s) for s in week.get(day, ())),
                                   key=lambda s: s.start)) for day in WEEKDAYS}
        return cls(spans, ZoneInfo(time_zone), closed_on_public_holidays,
                   tuple(parse_closure(text) for text in closures))

    def _closed_all_day(self, day: date) -> bool:
        if self.closed_on_public_holidays and day in self._holidays:
            return True
        return any(c.day == day and c.span is None for c in self.closures)

    def _closed_by_closure(self, local: datetime) -> bool:
        return any(closure.covers(local) for closure in self.closures)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.time_zone)
        if self._closed_all_day(local.date()) or self._closed_by_closure(local):
            return False
        return any(span.contains(local.time()) for span in self.week[WEEKDAYS[local.weekday()]])

    def open_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The periods the desk is open on this local day, closures cut out, in order."""
        if self._closed_all_day(day):
            return []
        periods: list[tuple[datetime, datetime]] = []
        for span in self.week[WEEKDAYS[day.weekday()]]:
            pieces = [(span.start, span.end)]
            for closure in self.closures:
                if closure.day != day or closure.span is None:
                    continue
                cut = closure.span
                pieces = [part for start, end in pieces for part in (
                    ((start, min(end, cut.start)), (max(start, cut.end), end)))
                    if part[0] < part[1]]
            periods.extend((datetime.combine(day, start, self.time_zone),
                            datetime.combine(day, end, self.time_zone))
                           for start, end in pieces)
        return periods

    def next_opening(self, moment: datetime, horizon_days: int = 14) -> datetime | None:
        """The first moment at or after `moment` when the desk is open (None: not in horizon)."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self.time_zone)
        for offset in range(horizon_days + 1):
            for start, _end in self.open_periods(local.date() + timedelta(days=offset)):
                if start >= local:
                    return start
        return None

    def add_open_time(self, moment: datetime, duration: timedelta,
                      horizon_days: int = 60) -> datetime | None:
        """`moment` plus `duration` counted in open time only (business hours): a promise of
        four hours made at 16:00 on a desk open until 17:00 ends three hours into the next
        opening. None when the desk is not open that long within the horizon."""
        local = moment.astimezone(self.time_zone)
        left = duration
        for offset in range(horizon_days + 1):
            for start, end in self.open_periods(local.date() + timedelta(days=offset)):
                if end <= local:
                    continue
                start = max(start, local)
                if end - start >= left:
                    return start + left
                left -= end - start
        return None

    def describe_nl(self) -> str:
        return self._describe(("ma", "di", "wo", "do", "vr", "za", "zo"), "en",
                              "gesloten op feestdagen")

    def describe_en(self) -> str:
        return self._describe(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), "and",
                              "closed on public holidays")

    def _describe(self, names: tuple[str, ...], conjunction: str, holiday_note: str) -> str:
        # Group consecutive days with identical hours: "ma-vr 09:00-17:00, za 10:00-12:00".
        groups: list[tuple[int, int, tuple[Span, ...]]] = []
        for index, day in enumerate(WEEKDAYS):
            spans = self.week[day]
            if groups and groups[-1][2] == spans and groups[-1][1] == index - 1:
                groups[-1] = (groups[-1][0], index, spans)
            else:
                groups.append((index, index, spans))
        parts = []
        for first, last, spans in groups:
            if not spans:
                continue
            days = names[first] if first == last else f"{names[first]}-{names[last]}"
            hours = f" {conjunction} ".join(
                f"{s.start.strftime('%H:%M')}-{s.end.strftime('%H:%M')}" for s in spans)
            parts.append(f"{days} {hours}")
        text = ", ".join(parts) if parts else "-"
        return f"{text} ({holiday_note})" if self.closed_on_public_holidays else text
