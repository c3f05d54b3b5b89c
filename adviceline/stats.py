"""Answer-time statistics for coordinators, computed from stored question events only.

Definitions (also in the README):
- received: questions whose first message arrived in the period;
- answered by the FAQ: of those, answered from the knowledge base and never put in the queue;
- answered by an adviser: of those, at least one adviser reply;
- still waiting: in the queue (waiting or claimed) without an adviser reply yet (a question
  whose conversation was erased meanwhile is withdrawn, not waiting);
- time to first adviser response: from the moment a question entered the queue to the first
  adviser reply; median and 90th percentile by the nearest-rank method.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.storage import repository as repo
from adviceline.storage.models import QuestionEvent


@dataclass(frozen=True)
class AnswerStats:
    start: date
    end: date
    municipality: str | None
    received: int
    answered_by_faq: int
    answered_by_adviser: int
    still_waiting: int
    crisis: int
    median_first_response_minutes: float | None
    p90_first_response_minutes: float | None
    concern: int = 0  # possible risks (never answered by the FAQ), crises not counted again

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.start.isoformat(), "to": self.end.isoformat(),
            "municipality": self.municipality, "received": self.received,
            "answered_by_faq": self.answered_by_faq,
            "answered_by_adviser": self.answered_by_adviser,
            "still_waiting": self.still_waiting, "crisis": self.crisis,
            "concern": self.concern,
            "median_first_response_minutes": self.median_first_response_minutes,
            "p90_first_response_minutes": self.p90_first_response_minutes,
        }


def nearest_rank(values: list[float], percentile: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percentile / 100 * len(ordered)) - 1)]


def summarise(events: Iterable[QuestionEvent], start: date, end: date,
              municipality: str | None) -> AnswerStats:
    by_question: dict[str, list[QuestionEvent]] = {}
    for event in events:
        by_question.setdefault(event.question_id, []).append(event)
    faq = adviser = waiting = crisis = concern = 0
    response_minutes: list[float] = []
    for history in by_question.values():
        kinds = [e.kind for e in history]
        queued_at = next((e.at for e in history if e.kind == "queued"), None)
        first_reply = next((e.at for e in history if e.kind == "adviser_replied"), None)
        if "crisis" in kinds:
            crisis += 1
        elif "concern" in kinds:
            concern += 1
        if "faq_answered" in kinds and queued_at is None:
            faq += 1
        if first_reply is not None:
            adviser += 1
            if queued_at is not None:
                response_minutes.append((first_reply - queued_at).total_seconds() / 60)
        elif queued_at is not None and "closed" not in kinds and "withdrawn" not in kinds:
            waiting += 1
    median = nearest_rank(response_minutes, 50)
    p90 = nearest_rank(response_minutes, 90)
    return AnswerStats(start, end, municipality, len(by_question), faq, adviser, waiting, crisis,
                       round(median, 1) if median is not None else None,
                       round(p90, 1) if p90 is not None else None, concern)


async def _events(sessions: async_sessionmaker[AsyncSession], start: date, end: date,
                  municipalities: Collection[str] | None,
                  zone: ZoneInfo) -> Sequence[QuestionEvent]:
    lower = datetime.combine(start, time(), zone)
    upper = datetime.combine(end + timedelta(days=1), time(), zone)
    async with sessions() as session:
        return await repo.events_of_questions_created_between(session, lower, upper,
                                                              municipalities)


async def answer_stats(sessions: async_sessionmaker[AsyncSession], start: date, end: date,
                       municipality: str | None, zone: ZoneInfo, *,
                       scope: Collection[str] | None = None) -> AnswerStats:
    """Questions received from `start` up to and including `end` (local dates), of
    `municipality`, or else of every municipality in `scope` (None: the whole region)."""
    within = [municipality] if municipality is not None else scope
    return summarise(await _events(sessions, start, end, within, zone), start, end,
                     municipality)


async def answer_stats_per_municipality(sessions: async_sessionmaker[AsyncSession], start: date,
                                        end: date, municipalities: Collection[str],
                                        zone: ZoneInfo, *,
                                        whole_region: bool) -> dict[str | None, AnswerStats]:
    """The same figures for each of `municipalities`, and under None for all of them together
    (with `whole_region`: for every question of the region), from one read of the events."""
    events = await _events(sessions, start, end, None if whole_region else municipalities,
                           zone)
    by_municipality: dict[str | None, list[QuestionEvent]] = {}
    for event in events:
        by_municipality.setdefault(event.municipality, []).append(event)
    per: dict[str | None, AnswerStats] = {
        m: summarise(by_municipality.get(m, []), start, end, m) for m in municipalities}
    per[None] = summarise(events, start, end, None)
    return per
