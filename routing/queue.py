"""The order in which advisers see waiting questions: crisis first, then the longest waiting."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Waiting:
    question_id: str
    priority: int           # higher is more urgent; crisis questions carry the highest
    waiting_since: datetime


CRISIS_PRIORITY = 100
NORMAL_PRIORITY = 0


def queue_order(items: Iterable[Waiting]) -> list[Waiting]:
    return sorted(items, key=lambda item: (-item.priority, item.waiting_since, item.question_id))
