"""Log events an operator can alert on that no single request raises: a crisis question nobody
has taken for longer than `[service] alert_crisis_waiting_minutes`.

The check reads the stored queue, so it holds across processes and restarts; each question is
reported once, by one process (a `crisis_alerted` question event, recorded under the question's
row lock before the line is logged), never with any message text.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.clock import Clock
from adviceline.storage import repository as repo
from adviceline.storage.models import Question
from adviceline.tasks import finish_round
from routing.queue import CRISIS_PRIORITY

log = logging.getLogger("adviceline.alerts")
REMEMBERED = 10_000


@dataclass(frozen=True)
class CrisisWaiting:
    question_id: str
    municipality: str | None
    minutes: int


class CrisisWatch:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 minutes: int) -> None:
        self._sessions = sessions
        self._clock = clock
        self._minutes = minutes
        self._reported: OrderedDict[str, None] = OrderedDict()

    async def check(self) -> list[CrisisWaiting]:
        """Crisis questions still waiting (not claimed) past the limit, newly reported."""
        now = self._clock.now()
        cutoff = now - timedelta(minutes=self._minutes)
        async with self._sessions() as session:
            rows = (await session.execute(
                select(Question.id, Question.municipality, Question.waiting_since,
                       Question.created_at)
                .where(Question.status == "waiting", Question.priority >= CRISIS_PRIORITY,
                       Question.created_at <= cutoff))).all()
        found: list[CrisisWaiting] = []
        for question_id, municipality, waiting_since, created_at in rows:
            since = waiting_since or created_at
            if since > cutoff or question_id in self._reported:
                continue
            # Remembered here so the database is asked once per question and process.
            self._reported[question_id] = None
            if len(self._reported) > REMEMBERED:
                self._reported.popitem(last=False)
            async with self._sessions.begin() as session:
                if not await repo.record_crisis_alert(session, question_id, now):
                    continue   # another process (or an earlier run) said it already
            waiting = CrisisWaiting(question_id, municipality,
                                    int((now - since).total_seconds() // 60))
            found.append(waiting)
            log.warning("crisis question waiting", extra={
                "question": waiting.question_id, "municipality": waiting.municipality,
                "minutes": waiting.minutes, "limit_minutes": self._minutes})
        return found


async def watch_periodically(watch: CrisisWatch, every: float) -> None:
    while True:
        try:
            await finish_round(watch.check())
        except Exception:
            log.exception("checking for waiting crisis questions failed; will try again")
        await asyncio.sleep(every)
