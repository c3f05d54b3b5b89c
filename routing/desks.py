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
class DeskHours:
    """A weekly schedule in local time; public holidays closed unless told otherwise."""

    week: Mapping[str, tuple[Span, ...]]
    time_zone: ZoneInfo
    closed_on_public_holidays: bool = True
    _holidays: holidays.HolidayBase = field(
        default_factory=lambda: holidays.country_holidays("NL"), compare=False, repr=False
    )

    @classmethod
    def from_mapping(
        cls,
        week: Mapping[str, Iterable[str]],
        time_zone: str = "Europe/Amsterdam",
        closed_on_public_holidays: bool = True,
    ) -> DeskHours:
        unknown = set(week) - set(WEEKDAYS)
        if unknown:
            raise DeskHoursError(f"unknown day {sorted(unknown)[0]!r}; use {', '.join(WEEKDAYS)}")
        spans = {day: tuple(sorted((parse_span(s) for s in week.get(day, ())),
                                   key=lambda s: s.start)) for day in WEEKDAYS}
        return cls(spans, ZoneInfo(time_zone), closed_on_public_holidays)

    def _closed_all_day(self, day: date) -> bool:
        return self.closed_on_public_holidays and day in self._holidays

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.time_zone)
        if self._closed_all_day(local.date()):
            return False
        return any(span.contains(local.time()) for span in self.week[WEEKDAYS[local.weekday()]])

    def next_opening(self, moment: datetime, horizon_days: int = 14) -> datetime | None:
        """The first moment at or after `moment` when the desk is open (None: not in horizon)."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self.time_zone)
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            if self._closed_all_day(day):
                continue
            for span in self.week[WEEKDAYS[day.weekday()]]:
                opening = datetime.combine(day, span.start, self.time_zone)
                if opening >= local:
                    return opening
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
