"""On call: when a waiting question calls the on-call advisers, and which ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from routing.assignment import Desks
from routing.desks import DeskHours
from routing.oncall import CRISIS, DEADLINE, UNTAKEN, Call, Waiter, call
from routing.rota import ON_CALL, ON_DUTY, REGIONAL_POOL, Absence, Rota, shifts_from_mapping
from routing.staffing import Staffing

AMS = ZoneInfo("Europe/Amsterdam")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
AFTER, LEAD = timedelta(minutes=15), timedelta(minutes=30)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def staffing(absences: tuple[Absence, ...] = ()) -> Staffing:
    rota = Rota((
        *shifts_from_mapping("anouk", "enschede", ON_DUTY, DAYS, ["09:00-17:00"]),
        *shifts_from_mapping("bram", "enschede", ON_CALL, DAYS, ["17:00-23:00"]),
        *shifts_from_mapping("anouk", "enschede", ON_CALL, DAYS, ["17:00-23:00"]),
        *shifts_from_mapping("carin", REGIONAL_POOL, ON_CALL, DAYS, ["00:00-23:59"]),
    ), absences, (), AMS)
    desks = Desks({"enschede": DeskHours.from_mapping({d: ["09:00-17:00"] for d in DAYS}),
                   "hengelo": DeskHours.from_mapping({d: ["09:00-17:00"] for d in DAYS})},
                  DeskHours.from_mapping({d: ["08:00-21:00"] for d in DAYS}),
                  timedelta(hours=1))
    return Staffing(desks, rota)


def waiter(since: datetime, municipality: str | None = "enschede", crisis: bool = False,
           pool: bool = False, answer_by: datetime | None = None) -> Waiter:
    return Waiter("q", municipality, crisis, pool, since, answer_by)


def test_a_crisis_calls_the_own_desk_and_the_pool_at_once() -> None:
    now = at(2026, 12, 7, 20, 0)
    assert call(waiter(now, crisis=True), staffing(), now, AFTER, LEAD) == \
        Call("q", CRISIS, ("bram", "anouk", "carin"))


def test_an_ordinary_question_calls_once_it_waited_past_the_threshold() -> None:
    since = at(2026, 12, 7, 20, 0)
    assert call(waiter(since), staffing(), since + AFTER - timedelta(seconds=1), AFTER,
                LEAD) is None
    # The own desk's on-call advisers, in rota order; the pool's are not needed.
    assert call(waiter(since), staffing(), since + AFTER, AFTER, LEAD) == \
        Call("q", UNTAKEN, ("bram", "anouk"))


def test_close_to_the_promised_time_calls_before_the_threshold() -> None:
    since = at(2026, 12, 7, 20, 0)
    promised = since + timedelta(minutes=35)
    assert call(waiter(since, answer_by=promised), staffing(), since + timedelta(minutes=5),
                timedelta(hours=2), LEAD) == Call("q", DEADLINE, ("bram", "anouk", "carin"))
    # Escalated to the pool by then: still the own desk's on-call advisers as well.
    pooled = waiter(since, pool=True, answer_by=promised)
    assert call(pooled, staffing(), since + timedelta(minutes=5), timedelta(hours=2),
                LEAD) == Call("q", DEADLINE, ("bram", "anouk", "carin"))


def test_the_pool_is_called_when_the_own_desk_has_nobody_on_call() -> None:
    now = at(2026, 12, 7, 12, 0)   # nobody on call for Enschede at noon
    found = call(waiter(now - AFTER), staffing(), now, AFTER, LEAD)
    assert found == Call("q", UNTAKEN, ("carin",))
    hengelo = call(waiter(now - AFTER, municipality="hengelo"), staffing(), now, AFTER, LEAD)
    assert hengelo == Call("q", UNTAKEN, ("carin",))
    pooled = call(waiter(at(2026, 12, 7, 20, 0) - AFTER, pool=True), staffing(),
                  at(2026, 12, 7, 20, 0), AFTER, LEAD)
    assert pooled == Call("q", UNTAKEN, ("carin",))


def test_nobody_on_call_means_no_call_and_leave_takes_an_adviser_off() -> None:
    now = at(2026, 12, 7, 20, 0)
    off = staffing((Absence("bram", now.date(), now.date()),))
    assert call(waiter(now - AFTER), off, now, AFTER, LEAD) == Call("q", UNTAKEN, ("anouk",))
    empty = Staffing(staffing().desks, Rota((), (), (), AMS))
    assert call(waiter(now, crisis=True), empty, now, AFTER, LEAD) is None
