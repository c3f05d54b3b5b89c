"""What a parent is told: place in the queue, expected wait, and a deadline in business hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from routing.assignment import AdviserScope, Desks
from routing.desks import DeskHours
from routing.queue import CRISIS_PRIORITY, Waiting, queue_order
from routing.rota import REGIONAL_POOL
from routing.staffing import Staffing
from routing.waiting import Pace, position_in_queue, promise, round_up

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
PACE = Pace(answer_within=timedelta(hours=1), minutes_per_question=15, offer_minutes=2)
STAFFING = Staffing(
    Desks({"borne": DeskHours.from_mapping({d: ["09:00-12:30", "13:30-17:00"]
                                            for d in WEEKDAYS})},
          DeskHours.from_mapping({**{d: ["08:00-21:00"] for d in WEEKDAYS},
                                  "sat": ["10:00-14:00"]}),
          timedelta(hours=1)),
    scopes={"bram": AdviserScope(("borne",), False), "carin": AdviserScope(("almelo",), True),
            "anouk": AdviserScope(("enschede",), True)})


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def test_an_empty_queue_while_staffed_promises_the_usual_time() -> None:
    found = promise("borne", False, 1, 2, at(2026, 11, 24, 10, 0), STAFFING, PACE)
    assert (found.where, found.staffed_now, found.position) == ("borne", True, 1)
    assert found.answer_by == at(2026, 11, 24, 11, 0)
    assert found.estimated_wait == timedelta(minutes=2)   # someone has room: the offer


def test_the_backlog_ahead_moves_the_deadline_and_the_wait() -> None:
    now = at(2026, 11, 24, 10, 0)
    found = promise("borne", False, 5, 0, now, STAFFING, PACE)
    # Four ahead for Borne's one adviser at 15 minutes each: an hour more than the usual promise.
    assert found.answer_by == at(2026, 11, 24, 12, 0)
    assert found.estimated_wait == timedelta(minutes=2 + 15 * 5)
    # Past the lunch break: the closed hour does not count.
    later = promise("borne", False, 5, 0, at(2026, 11, 24, 11, 0), STAFFING, PACE)
    assert later.answer_by == at(2026, 11, 24, 14, 0)


def test_the_deadline_counts_only_open_time() -> None:
    # Friday 20:30, the pool is open until 21:00 and on Saturday from 10:00.
    found = promise("borne", False, 1, 1, at(2026, 11, 27, 20, 30), STAFFING, PACE)
    assert (found.where, found.staffed_now) == (REGIONAL_POOL, True)
    assert found.answer_by == at(2026, 11, 28, 10, 30)


def test_outside_every_desk_the_first_opening_plus_the_promise() -> None:
    # Christmas Eve night: Christmas and Boxing Day closed, Sunday closed; Monday 08:00 the pool.
    found = promise("borne", False, 1, 0, at(2026, 12, 24, 22, 0), STAFFING, PACE)
    assert not found.staffed_now
    assert found.answer_by == at(2026, 12, 28, 9, 0)
    assert found.estimated_wait is not None and found.estimated_wait > timedelta(days=3)


def test_nobody_ever_means_no_promise() -> None:
    closed = Staffing(Desks({}, DeskHours.from_mapping({}), timedelta(hours=1)))
    found = promise(None, False, 1, 0, at(2026, 11, 24, 10, 0), closed, PACE)
    assert (found.answer_by, found.estimated_wait) == (None, None)


def test_place_in_queue_counts_the_same_desk_and_every_crisis() -> None:
    t = at(2026, 11, 24, 9, 0)
    items = [Waiting("other-desk", 0, t), Waiting("crisis", CRISIS_PRIORITY, t),
             Waiting("mine-old", 0, t + timedelta(minutes=1)),
             Waiting("me", 0, t + timedelta(minutes=2))]
    ordered = queue_order(items)
    assert position_in_queue("me", ordered, {"mine-old", "me"}) == 3
    assert position_in_queue("mine-old", ordered, {"mine-old", "me"}) == 2


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1),
                    timezones=st.just(UTC)))
def test_round_up_is_a_quarter_hour_never_earlier_and_less_than_15_minutes_later(
        moment: datetime) -> None:
    rounded = round_up(moment)
    assert rounded >= moment and rounded - moment < timedelta(minutes=15)
    assert rounded.minute % 15 == 0 and rounded.second == 0 and rounded.microsecond == 0
