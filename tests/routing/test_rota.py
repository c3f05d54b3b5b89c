"""The rota (shifts, leave, sickness, swaps), who staffs a desk, closures and open-time sums."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing.assignment import AdviserScope, Desks
from routing.desks import DeskHours, DeskHoursError
from routing.rota import (
    ON_CALL,
    ON_DUTY,
    REGIONAL_POOL,
    SICKNESS,
    Absence,
    AdviserProfile,
    Rota,
    RotaError,
    Swap,
    check_names,
    shifts_from_mapping,
)
from routing.staffing import EVERYONE, Staffing

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def rota(*, absences: tuple[Absence, ...] = (), swaps: tuple[Swap, ...] = ()) -> Rota:
    shifts = (
        *shifts_from_mapping("anouk", "enschede", ON_DUTY, WEEKDAYS, ["09:00-13:00"]),
        *shifts_from_mapping("bram", "enschede", ON_DUTY, WEEKDAYS, ["12:00-17:00"]),
        *shifts_from_mapping("carin", REGIONAL_POOL, ON_DUTY, WEEKDAYS, ["08:00-21:00"]),
        *shifts_from_mapping("bram", "enschede", ON_CALL, WEEKDAYS, ["17:00-22:00"]),
        *shifts_from_mapping("anouk", "enschede", ON_CALL, WEEKDAYS, ["17:00-22:00"]),
    )
    return Rota(shifts, absences, swaps, AMS)


def desks(closures: tuple[str, ...] = ()) -> Desks:
    return Desks(
        municipalities={
            "enschede": DeskHours.from_mapping({d: ["09:00-17:00"] for d in WEEKDAYS},
                                               closures=closures),
            "tubbergen": DeskHours.from_mapping({d: ["09:00-12:30", "13:30-17:00"]
                                                 for d in WEEKDAYS}),
        },
        regional_pool=DeskHours.from_mapping({d: ["08:00-21:00"] for d in WEEKDAYS}),
        answer_within=timedelta(hours=1))


SCOPES = {"anouk": AdviserScope(("enschede",), False), "bram": AdviserScope(("enschede",), False),
          "carin": AdviserScope(("almelo",), True), "daan": AdviserScope(("tubbergen",), False)}


def test_weekly_shifts_say_who_is_on_duty_and_overlaps_hold_both() -> None:
    tuesday = rota()
    assert tuesday.advisers(at(2026, 11, 24, 10, 0), "enschede") == ["anouk"]
    assert tuesday.advisers(at(2026, 11, 24, 12, 30), "enschede") == ["anouk", "bram"]
    assert tuesday.advisers(at(2026, 11, 24, 13, 0), "enschede") == ["bram"]   # end excluded
    assert tuesday.advisers(at(2026, 11, 28, 10, 0), "enschede") == []          # Saturday


def test_leave_and_sickness_take_an_adviser_off_every_day_of_the_absence() -> None:
    away = rota(absences=(Absence("anouk", date(2026, 11, 23), date(2026, 11, 24), SICKNESS),))
    assert away.advisers(at(2026, 11, 24, 10, 0), "enschede") == []
    assert away.advisers(at(2026, 11, 24, 18, 0), "enschede", ON_CALL) == ["bram"]
    assert away.advisers(at(2026, 11, 25, 10, 0), "enschede") == ["anouk"]   # back Wednesday


def test_a_swap_hands_the_shifts_of_that_day_to_the_stand_in() -> None:
    swapped = rota(swaps=(Swap(date(2026, 11, 24), "anouk", "daan"),))
    assert swapped.advisers(at(2026, 11, 24, 10, 0), "enschede") == ["daan"]
    assert swapped.advisers(at(2026, 11, 25, 10, 0), "enschede") == ["anouk"]
    # A stand-in on sick leave that day does not work it either.
    ill = rota(swaps=(Swap(date(2026, 11, 24), "anouk", "daan"),),
               absences=(Absence("daan", date(2026, 11, 24), date(2026, 11, 24), SICKNESS),))
    assert ill.advisers(at(2026, 11, 24, 10, 0), "enschede") == []


def test_on_call_comes_in_rota_order_for_escalation() -> None:
    assert rota().advisers(at(2026, 11, 24, 18, 0), "enschede", ON_CALL) == ["bram", "anouk"]


def test_next_duty_skips_to_the_next_shift() -> None:
    assert rota().next_duty(at(2026, 11, 27, 18, 0), "enschede") == at(2026, 11, 30, 9, 0)
    assert rota().next_duty(at(2026, 11, 24, 10, 0), "enschede") == at(2026, 11, 24, 10, 0)


def test_bad_rota_lines_are_refused_with_the_reason() -> None:
    with pytest.raises(RotaError, match="role"):
        shifts_from_mapping("a", "enschede", "standby", ["mon"], ["09:00-17:00"])
    with pytest.raises(RotaError, match="unknown day"):
        shifts_from_mapping("a", "enschede", ON_DUTY, ["monday"], ["09:00-17:00"])
    with pytest.raises(RotaError, match="ends before"):
        shifts_from_mapping("a", "enschede", ON_DUTY, ["mon"], ["17:00-09:00"])
    with pytest.raises(RotaError, match="unknown adviser 'zoe'"):
        check_names(Rota(tuple(shifts_from_mapping("zoe", "enschede", ON_DUTY, ["mon"],
                                                   ["09:00-17:00"]))), ["anouk"], {"enschede": 1})
    with pytest.raises(RotaError, match="unknown municipality 'delft'"):
        check_names(Rota(tuple(shifts_from_mapping("anouk", "delft", ON_DUTY, ["mon"],
                                                   ["09:00-17:00"]))), ["anouk"], {"enschede": 1})


def test_the_rota_only_counts_while_the_desk_is_open() -> None:
    staffing = Staffing(desks(), rota(), SCOPES)
    assert staffing.on_duty(at(2026, 11, 24, 10, 0), "enschede") == ["anouk"]
    assert staffing.on_duty(at(2026, 12, 25, 10, 0), "enschede") == []   # Christmas, a Friday
    assert staffing.on_call(at(2026, 12, 25, 18, 0), "enschede") == ["bram", "anouk"]


def test_a_desk_without_shifts_is_staffed_by_its_advisers_during_desk_hours() -> None:
    staffing = Staffing(desks(), rota(), SCOPES)
    assert staffing.on_duty(at(2026, 11, 24, 10, 0), "tubbergen") == ["daan"]
    assert staffing.on_duty(at(2026, 11, 24, 13, 0), "tubbergen") == []   # lunch


def test_a_closure_closes_the_desk_and_the_question_goes_to_the_pool() -> None:
    staffing = Staffing(desks(closures=("2026-11-24", "2026-11-25 13:00-17:00")), rota(), SCOPES)
    training_day = at(2026, 11, 24, 10, 0)
    assert staffing.route("enschede", False, training_day).where == REGIONAL_POOL
    assert staffing.route("enschede", False, training_day).advisers == ("carin",)
    assert staffing.on_duty(at(2026, 11, 25, 12, 30), "enschede") == ["anouk", "bram"]
    assert staffing.on_duty(at(2026, 11, 25, 14, 0), "enschede") == []   # afternoon closure
    assert staffing.next_staffed(at(2026, 11, 24, 10, 0), "enschede") == at(2026, 11, 25, 9, 0)


def test_own_desk_first_then_the_pool_then_nobody() -> None:
    staffing = Staffing(desks(), rota(), SCOPES)
    assert staffing.route("enschede", False, at(2026, 11, 24, 10, 0)).where == "enschede"
    evening = staffing.route("enschede", False, at(2026, 11, 24, 19, 0))
    assert (evening.where, evening.advisers) == (REGIONAL_POOL, ("carin",))
    night = staffing.route("enschede", False, at(2026, 11, 24, 23, 0))
    assert (night.where, night.advisers) == (REGIONAL_POOL, ())
    assert staffing.route(None, False, at(2026, 11, 24, 10, 0)).where == REGIONAL_POOL


def test_a_crisis_goes_to_everyone_on_duty_in_the_region() -> None:
    staffing = Staffing(desks(), rota(), SCOPES)
    route = staffing.route("tubbergen", True, at(2026, 11, 24, 12, 30))
    assert route.where == EVERYONE
    assert set(route.advisers) == {"anouk", "bram", "carin"}   # daan's desk is at lunch
    assert staffing.next_staffed_anywhere(at(2026, 11, 24, 23, 0)) == at(2026, 11, 25, 8, 0)


def test_next_staffed_waits_for_both_an_open_desk_and_a_duty() -> None:
    # Anouk is away all Wednesday: Enschede opens at 9:00 but nobody is there until Bram at 12:00.
    away = rota(absences=(Absence("anouk", date(2026, 11, 25), date(2026, 11, 25)),))
    staffing = Staffing(desks(), away, SCOPES)
    assert staffing.next_staffed(at(2026, 11, 24, 20, 0), "enschede") == at(2026, 11, 25, 12, 0)


def test_closures_are_checked() -> None:
    with pytest.raises(DeskHoursError, match="not a closure"):
        DeskHours.from_mapping({"mon": ["09:00-17:00"]}, closures=["8 december"])
    with pytest.raises(DeskHoursError, match="ends before"):
        DeskHours.from_mapping({"mon": ["09:00-17:00"]}, closures=["2026-12-08 17:00-09:00"])


def test_open_time_is_counted_in_business_hours() -> None:
    hours = DeskHours.from_mapping({d: ["09:00-12:30", "13:30-17:00"] for d in WEEKDAYS})
    assert hours.add_open_time(at(2026, 11, 24, 16, 0), timedelta(hours=4)) == \
        at(2026, 11, 25, 12, 0)
    assert hours.add_open_time(at(2026, 11, 24, 12, 0), timedelta(hours=1)) == \
        at(2026, 11, 24, 14, 0)
    # Friday evening before Christmas week: the weekend and both Christmas days do not count.
    assert hours.add_open_time(at(2026, 12, 24, 18, 0), timedelta(hours=2)) == \
        at(2026, 12, 28, 11, 0)
    assert DeskHours.from_mapping({}).add_open_time(at(2026, 11, 24, 9, 0),
                                                    timedelta(hours=1)) is None


def test_adviser_profile_languages_and_topics() -> None:
    profile = AdviserProfile("anouk", max_live_chats=2, languages=("nl", "en"),
                             topics=("slapen",))
    assert profile.speaks("en") and not profile.speaks("tr")
    assert profile.takes_topic("slapen") and profile.takes_topic(None)
    assert not profile.takes_topic("eten")
    assert AdviserProfile("bram").takes_topic("eten")
