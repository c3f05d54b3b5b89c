from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing.assignment import (
    MUNICIPALITY,
    REGIONAL,
    AdviserScope,
    Desks,
    adviser_sees,
    expectation,
)
from routing.desks import DeskHours, DeskHoursError
from routing.queue import CRISIS_PRIORITY, Waiting, queue_order

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = {day: ["09:00-12:30", "13:30-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


@pytest.fixture
def desks() -> Desks:
    return Desks(
        municipalities={"tubbergen": DeskHours.from_mapping(WEEKDAYS)},
        regional_pool=DeskHours.from_mapping({**{d: ["08:00-21:00"] for d in WEEKDAYS},
                                              "sat": ["10:00-14:00"]}),
        answer_within=timedelta(hours=1),
    )


def test_open_during_hours_closed_over_lunch_and_at_night() -> None:
    hours = DeskHours.from_mapping(WEEKDAYS)
    assert hours.is_open(at(2026, 11, 24, 9, 0))
    assert not hours.is_open(at(2026, 11, 24, 12, 45))
    assert not hours.is_open(at(2026, 11, 24, 17, 0))
    assert not hours.is_open(at(2026, 11, 28, 10, 0))   # Saturday


def test_public_holidays_are_closed_and_skipped() -> None:
    hours = DeskHours.from_mapping(WEEKDAYS)
    assert not hours.is_open(at(2026, 12, 25, 10, 0))   # Christmas, a Friday
    # Thursday 24 December after hours: next opening skips Christmas, Boxing Day and the weekend.
    assert hours.next_opening(at(2026, 12, 24, 18, 0)) == at(2026, 12, 28, 9, 0)


def test_next_opening_after_lunch_and_over_the_weekend() -> None:
    hours = DeskHours.from_mapping(WEEKDAYS)
    assert hours.next_opening(at(2026, 11, 24, 12, 45)) == at(2026, 11, 24, 13, 30)
    assert hours.next_opening(at(2026, 11, 27, 17, 30)) == at(2026, 11, 30, 9, 0)


def test_bad_spans_are_refused_with_the_reason() -> None:
    with pytest.raises(DeskHoursError, match="ends before it starts"):
        DeskHours.from_mapping({"mon": ["17:00-09:00"]})
    with pytest.raises(DeskHoursError, match="not a span"):
        DeskHours.from_mapping({"mon": ["9 tot 5"]})
    with pytest.raises(DeskHoursError, match="unknown day"):
        DeskHours.from_mapping({"monday": ["09:00-17:00"]})


def test_own_desk_answers_while_staffed(desks: Desks) -> None:
    now = at(2026, 11, 24, 10, 0)
    promise = expectation("tubbergen", now, desks)
    assert (promise.pool, promise.staffed_now, promise.answer_by) == \
        (MUNICIPALITY, True, now + timedelta(hours=1))


def test_closed_desk_switches_through_to_the_regional_pool(desks: Desks) -> None:
    now = at(2026, 11, 24, 19, 0)
    promise = expectation("tubbergen", now, desks)
    assert (promise.pool, promise.staffed_now) == (REGIONAL, True)


def test_when_nobody_is_on_duty_the_first_opening_is_promised(desks: Desks) -> None:
    saturday_night = at(2026, 11, 28, 22, 0)
    promise = expectation("tubbergen", saturday_night, desks)
    assert not promise.staffed_now
    # Sunday nobody works; Monday 08:00 the regional pool opens before the desk at 09:00.
    assert (promise.pool, promise.answer_by) == (REGIONAL, at(2026, 11, 30, 9, 0))


def test_regional_pool_sees_a_municipality_only_while_its_desk_is_closed(desks: Desks) -> None:
    pool = AdviserScope(municipalities=("almelo",), regional_pool=True)
    local = AdviserScope(municipalities=("tubbergen",), regional_pool=False)
    other = AdviserScope(municipalities=("almelo",), regional_pool=False)
    open_, closed = at(2026, 11, 24, 10, 0), at(2026, 11, 24, 19, 0)
    assert adviser_sees(local, "tubbergen", False, open_, desks)
    assert adviser_sees(local, "tubbergen", False, closed, desks)
    assert not adviser_sees(pool, "tubbergen", False, open_, desks)
    assert adviser_sees(pool, "tubbergen", False, closed, desks)
    assert not adviser_sees(other, "tubbergen", False, closed, desks)


def test_a_crisis_is_in_every_advisers_queue_whatever_their_municipality(desks: Desks) -> None:
    pool = AdviserScope(municipalities=("almelo",), regional_pool=True)
    other = AdviserScope(municipalities=("almelo",), regional_pool=False)
    for moment in (at(2026, 11, 24, 10, 0), at(2026, 11, 24, 19, 0), at(2026, 11, 29, 3, 0)):
        assert adviser_sees(pool, "tubbergen", True, moment, desks)
        assert adviser_sees(other, "tubbergen", True, moment, desks)
        assert not adviser_sees(other, "tubbergen", False, moment, desks)


def test_queue_puts_crisis_first_then_longest_waiting() -> None:
    early, late = at(2026, 11, 24, 9, 0), at(2026, 11, 24, 11, 0)
    items = [Waiting("a", 0, late), Waiting("b", 0, early), Waiting("c", CRISIS_PRIORITY, late)]
    assert [w.question_id for w in queue_order(items)] == ["c", "b", "a"]


def test_desk_hours_describe_themselves_in_dutch_and_english() -> None:
    hours = DeskHours.from_mapping({**WEEKDAYS, "fri": ["09:00-12:30"]})
    assert hours.describe_nl().startswith("ma-do 09:00-12:30 en 13:30-17:00, vr 09:00-12:30")
    assert "closed on public holidays" in hours.describe_en()


def test_the_first_desk_open_anywhere_is_when_a_crisis_can_be_picked_up() -> None:
    from routing.assignment import Desks, next_opening_anywhere

    zone = "Europe/Amsterdam"
    early = DeskHours.from_mapping({"tue": ["08:00-09:00"]}, zone)
    late = DeskHours.from_mapping({"tue": ["12:00-13:00"]}, zone)
    desks = Desks({"a": late}, early, timedelta(hours=1))
    night = datetime(2026, 11, 24, 2, 0, tzinfo=ZoneInfo(zone))
    assert next_opening_anywhere(night, desks) == night.replace(hour=8)
    assert next_opening_anywhere(night.replace(hour=12, minute=30), desks) == \
        night.replace(hour=12, minute=30)
    closed = Desks({}, DeskHours.from_mapping({}, zone), timedelta(hours=1))
    assert next_opening_anywhere(night, closed) is None
