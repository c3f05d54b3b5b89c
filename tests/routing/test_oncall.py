"""On call: when a waiting question calls the on-call advisers, and which ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from routing.assignment import Desks
from routing.desks import DeskHours
from routing.oncall import (
    CRISIS,
    DEADLINE,
    FIRST,
    LAST,
    NEXT,
    UNTAKEN,
    Call,
    Timing,
    Waiter,
    call,
)
from routing.rota import ON_CALL, ON_DUTY, REGIONAL_POOL, Absence, Rota, shifts_from_mapping
from routing.staffing import Staffing

AMS = ZoneInfo("Europe/Amsterdam")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
AFTER, LEAD, FURTHER = timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=10)
TIMING = Timing(AFTER, FURTHER, LEAD)
BOSSES = ("dirk", "esther")


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
           pool: bool = False, answer_by: datetime | None = None, step: int = 0,
           last: datetime | None = None, called: tuple[str, ...] = ()) -> Waiter:
    return Waiter("q", municipality, crisis, pool, since, answer_by, step, last,
                  frozenset(called))


def test_a_crisis_calls_the_own_desk_the_pool_and_the_coordinators_at_once() -> None:
    now = at(2026, 12, 7, 20, 0)
    assert call(waiter(now, crisis=True), staffing(), now, TIMING, BOSSES) == \
        Call("q", CRISIS, ("bram", "anouk", "carin"), BOSSES, LAST)
    # Nobody on call at all: the coordinators still hear of it at once.
    empty = Staffing(staffing().desks, Rota((), (), (), AMS))
    assert call(waiter(now, crisis=True), empty, now, TIMING, BOSSES) == \
        Call("q", CRISIS, (), BOSSES, LAST)
    # And the last step is taken once.
    assert call(waiter(now, crisis=True, step=LAST, last=now), staffing(),
                now + timedelta(hours=1), TIMING, BOSSES) is None


def test_an_ordinary_question_calls_the_first_on_call_adviser_past_the_threshold() -> None:
    since = at(2026, 12, 7, 20, 0)
    assert call(waiter(since), staffing(), since + AFTER - timedelta(seconds=1), TIMING,
                BOSSES) is None
    # The own desk's first on-call adviser in rota order; nobody else yet.
    assert call(waiter(since), staffing(), since + AFTER, TIMING, BOSSES) == \
        Call("q", UNTAKEN, ("bram",), (), FIRST)


def test_still_untaken_the_next_on_the_rota_then_the_coordinators_each_once() -> None:
    since = at(2026, 12, 7, 20, 0)
    first = since + AFTER
    called = waiter(since, step=FIRST, last=first, called=("bram",))
    assert call(called, staffing(), first + FURTHER - timedelta(seconds=1), TIMING,
                BOSSES) is None
    # The next on the rota: the own desk's second on-call adviser.
    assert call(called, staffing(), first + FURTHER, TIMING, BOSSES) == \
        Call("q", UNTAKEN, ("anouk",), (), NEXT)
    second = first + FURTHER
    nexted = waiter(since, step=NEXT, last=second, called=("bram", "anouk"))
    assert call(nexted, staffing(), second + FURTHER - timedelta(seconds=1), TIMING,
                BOSSES) is None
    assert call(nexted, staffing(), second + FURTHER, TIMING, BOSSES) == \
        Call("q", UNTAKEN, (), BOSSES, LAST)
    # No coordinator to call: the last step is still taken (and recorded) once.
    assert call(nexted, staffing(), second + FURTHER, TIMING, ()) == \
        Call("q", UNTAKEN, (), (), LAST)
    done = waiter(since, step=LAST, last=second + FURTHER, called=("bram", "anouk", *BOSSES))
    assert call(done, staffing(), second + timedelta(days=1), TIMING, BOSSES) is None


def test_the_next_on_the_rota_after_the_own_desk_is_the_pools() -> None:
    now = at(2026, 12, 7, 20, 0)
    off = staffing((Absence("bram", now.date(), now.date()),))
    called = waiter(now - AFTER - FURTHER, step=FIRST, last=now - FURTHER, called=("anouk",))
    assert call(called, off, now, TIMING, BOSSES) == Call("q", UNTAKEN, ("carin",), (), NEXT)
    # Nobody left on the rota after the first: straight to the coordinators.
    pooled = waiter(now - AFTER - FURTHER, pool=True, step=FIRST, last=now - FURTHER,
                    called=("carin",))
    assert call(pooled, staffing(), now, TIMING, BOSSES) == Call("q", UNTAKEN, (), BOSSES, LAST)


def test_close_to_the_promised_time_calls_everyone_left_and_the_coordinators() -> None:
    since = at(2026, 12, 7, 20, 0)
    promised = since + timedelta(minutes=35)
    timing = Timing(timedelta(hours=2), FURTHER, LEAD)
    assert call(waiter(since, answer_by=promised), staffing(), since + timedelta(minutes=5),
                timing, BOSSES) == Call("q", DEADLINE, ("bram", "anouk", "carin"), BOSSES, LAST)
    # Escalated to the pool by then: still the own desk's on-call advisers as well; whoever
    # was called already is not called again.
    pooled = waiter(since, pool=True, answer_by=promised, step=FIRST, last=since,
                    called=("bram",))
    assert call(pooled, staffing(), since + timedelta(minutes=5), timing, BOSSES) == \
        Call("q", DEADLINE, ("anouk", "carin"), BOSSES, LAST)


def test_the_pool_is_called_when_the_own_desk_has_nobody_on_call() -> None:
    now = at(2026, 12, 7, 12, 0)   # nobody on call for Enschede at noon
    found = call(waiter(now - AFTER), staffing(), now, TIMING, BOSSES)
    assert found == Call("q", UNTAKEN, ("carin",))
    hengelo = call(waiter(now - AFTER, municipality="hengelo"), staffing(), now, TIMING)
    assert hengelo == Call("q", UNTAKEN, ("carin",))
    pooled = call(waiter(at(2026, 12, 7, 20, 0) - AFTER, pool=True), staffing(),
                  at(2026, 12, 7, 20, 0), TIMING)
    assert pooled == Call("q", UNTAKEN, ("carin",))


def test_nobody_on_call_means_no_call_yet_and_leave_takes_an_adviser_off() -> None:
    now = at(2026, 12, 7, 20, 0)
    off = staffing((Absence("bram", now.date(), now.date()),))
    assert call(waiter(now - AFTER), off, now, TIMING, BOSSES) == \
        Call("q", UNTAKEN, ("anouk",))
    empty = Staffing(staffing().desks, Rota((), (), (), AMS))
    # An untaken question with nobody on call waits for an on-call shift (the coordinators
    # hear of it when it comes close to its promised time).
    assert call(waiter(now - AFTER), empty, now, TIMING, BOSSES) is None
    assert call(waiter(now, crisis=True), empty, now, TIMING) is None
