"""The matcher's decisions for coordinators to audit: outcome, score, runner-up, feedback.

Never the parent's words: coordinators see how the FAQ decided, not what was asked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.storage import repository as repo


@dataclass(frozen=True)
class AuditedDecision:
    at: datetime
    municipality: str | None
    outcome: str
    entry: str | None
    topic: str | None
    score: float
    runner_up: dict[str, Any] | None
    crisis_category: str | None
    feedback: str | None

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "municipality": self.municipality,
                "outcome": self.outcome, "entry": self.entry, "topic": self.topic,
                "score": self.score, "runner_up": self.runner_up,
                "crisis_category": self.crisis_category, "feedback": self.feedback}


async def recent_decisions(sessions: async_sessionmaker[AsyncSession], start: date, end: date,
                           municipalities: Collection[str] | None, zone: ZoneInfo,
                           limit: int = 200) -> tuple[list[AuditedDecision], Counter[str]]:
    lower = datetime.combine(start, time(), zone)
    upper = datetime.combine(end + timedelta(days=1), time(), zone)
    async with sessions() as session:
        rows = await repo.decisions_between(session, lower, upper, municipalities, limit)
        feedback = await repo.feedback_on(session, [q for *_, q in rows if q is not None])
    decisions = [
        AuditedDecision(at=at, municipality=place, outcome=str(d.get("decision")),
                        entry=d.get("entry"), topic=d.get("topic"),
                        score=float(d.get("score") or 0), runner_up=d.get("runner_up"),
                        crisis_category=(d.get("crisis") or {}).get("category"),
                        feedback=feedback.get(question) if question else None)
        for at, d, place, question in rows]
    return decisions, Counter(d.outcome for d in decisions)
