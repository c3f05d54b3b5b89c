"""Invariants of the queue order and desk hours, over generated inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from routing.desks import DeskHours
from routing.queue import (
    CONCERN_PRIORITY,
    CRISIS_PRIORITY,
    NORMAL_PRIORITY,
    Waiting,
    queue_order,
    rank,
)

moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31),
                       timezones=st.just(UTC))
waiting = st.builds(Waiting, question_id=st.uuids().map(str),
                    priority=st.sampled_from([NORMAL_PRIORITY, CONCERN_PRIORITY,
                                              CRISIS_PRIORITY]),
                    waiting_since=moments, parent_waiting=st.booleans())


@given(st.lists(waiting, max_size=40), st.randoms())
def test_crisis_concern_live_then_async_each_oldest_first(items, random) -> None:
    shuffled = list(items)
    random.shuffle(shuffled)
    ordered = queue_order(shuffled)
    assert ordered == queue_order(items)                       # independent of arrival order
    assert sorted(ordered, key=id) == sorted(items, key=id)     # nothing lost or added
    for before, after in pairwise(ordered):
        assert before.priority >= after.priority
        assert rank(before) <= rank(after)
        if rank(before) == rank(after):
            assert before.waiting_since <= after.waiting_since
        # A waiting parent never jumps a crisis or a concern, and a crisis is never overtaken.
        if after.priority >= CRISIS_PRIORITY:
            assert before.priority >= CRISIS_PRIORITY


WEEK = DeskHours.from_mapping({"mon": ["09:00-12:30", "13:30-17:00"], "wed": ["09:00-12:00"],
                               "sat": ["10:00-14:00"]})


@given(moments)
def test_next_opening_is_open_and_nothing_opens_before_it(moment: datetime) -> None:
    opening = WEEK.next_opening(moment)
    assert opening is not None and opening >= moment
    assert WEEK.is_open(opening)
    # Sample the gap: the desk is closed everywhere between the moment and the opening.
    if opening == moment:
        return
    gap = opening - moment
    for step in range(20):
        assert not WEEK.is_open(moment + gap * step / 20)
    assert not WEEK.is_open(opening - timedelta(seconds=1))
