"""The order in which waiting questions are handled: crisis, then concern, then live chats whose
parent is waiting, then asynchronous questions (e-mail, messenger, left messages); each oldest
first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Waiting:
    question_id: str
    priority: int           # higher is more urgent; crisis questions carry the highest
    waiting_since: datetime
    parent_waiting: bool = False   # a live chat whose parent is there, waiting for us


CRISIS_PRIORITY = 100
CONCERN_PRIORITY = 50  # a possible risk: before ordinary questions, after every crisis
NORMAL_PRIORITY = 0

# The four classes of the documented order, most urgent first.
CRISIS, CONCERN, LIVE, ASYNCHRONOUS = 0, 1, 2, 3


def rank(item: Waiting) -> int:
    if item.priority >= CRISIS_PRIORITY:
        return CRISIS
    if item.priority >= CONCERN_PRIORITY:
        return CONCERN
    return LIVE if item.parent_waiting else ASYNCHRONOUS


def queue_order(items: Iterable[Waiting]) -> list[Waiting]:
    return sorted(items, key=lambda item: (rank(item), item.waiting_since, item.question_id))
