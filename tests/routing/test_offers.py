"""Offer, then assign: who gets the offer, when the pool takes over, when a claim goes back."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from routing.assignment import AdviserScope, Desks
from routing.desks import DeskHours
from routing.offers import (
    AVAILABLE,
    AWAY,
    BUSY,
    AdviserState,
    Claim,
    Offer,
    OpenQuestion,
    ToPool,
    choose_adviser,
    next_step,
    reclaim,
)
from routing.rota import AdviserProfile
from routing.staffing import Staffing

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=AMS)   # a Tuesday morning: every desk open
OFFER = timedelta(minutes=2)
WEEK = {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
STAFFING = Staffing(
    Desks({"enschede": DeskHours.from_mapping(WEEK), "losser": DeskHours.from_mapping(WEEK)},
          DeskHours.from_mapping(WEEK), timedelta(hours=1)),
    scopes={"anouk": AdviserScope(("enschede",), False), "bram": AdviserScope(("enschede",), False),
            "carin": AdviserScope(("almelo",), True), "lotte": AdviserScope(("losser",), False)})


def adviser(user_id: int, username: str, *, chats: int = 0, idle_minutes: int = 0,
            presence: str = AVAILABLE, connected: bool = True, languages: tuple[str, ...] = ("nl",),
            max_chats: int = 3) -> AdviserState:
    return AdviserState(user_id, username, presence, connected, chats,
                        NOW - timedelta(minutes=idle_minutes),
                        AdviserProfile(username, max_chats, languages))


def question(municipality: str | None = "enschede", **changes: object) -> OpenQuestion:
    base = OpenQuestion("q1", municipality, False, "nl", None, False, NOW)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_least_loaded_first_then_longest_idle() -> None:
    team = [adviser(1, "anouk", chats=1, idle_minutes=60), adviser(2, "bram", chats=0),
            adviser(3, "carin", chats=0, idle_minutes=30)]
    assert choose_adviser(question(), team).username == "carin"   # 0 chats, idle longest
    assert choose_adviser(question(), team[:2]).username == "bram"  # fewer chats beats idle


def test_no_offer_to_who_is_busy_away_full_gone_or_declined() -> None:
    team = [adviser(1, "a", presence=BUSY), adviser(2, "b", presence=AWAY),
            adviser(3, "c", chats=2, max_chats=2), adviser(4, "d", connected=False),
            adviser(5, "e")]
    assert choose_adviser(question(declined_by=frozenset({5})), team) is None
    assert choose_adviser(question(), team).user_id == 5


def test_the_parents_language_is_preferred_but_never_required() -> None:
    team = [adviser(1, "anouk", idle_minutes=60), adviser(2, "bram", languages=("nl", "en"))]
    assert choose_adviser(question(language="en"), team).username == "bram"
    assert choose_adviser(question(language="tr"), team).username == "anouk"


def test_own_desk_first_then_the_pool_when_everyone_there_declined() -> None:
    team = [adviser(1, "anouk"), adviser(2, "bram"), adviser(3, "carin")]
    step = next_step(question(), team, STAFFING, NOW, OFFER)
    assert isinstance(step, Offer) and step.adviser_id in (1, 2)
    assert step.until == NOW + OFFER
    declined = question(declined_by=frozenset({1, 2}))
    assert next_step(declined, team, STAFFING, NOW, OFFER) == ToPool("q1")
    in_pool = question(declined_by=frozenset({1, 2}), routed_to_pool=True)
    assert next_step(in_pool, team, STAFFING, NOW, OFFER) == Offer("q1", 3, NOW + OFFER)


def test_an_open_offer_is_left_alone() -> None:
    offered = question(offered_to=1, offered_until=NOW + timedelta(seconds=30))
    assert next_step(offered, [adviser(1, "anouk")], STAFFING, NOW, OFFER) is None


def test_nobody_taking_it_at_the_own_desk_in_the_offer_time_sends_it_to_the_pool() -> None:
    team = [adviser(4, "lotte", presence=BUSY), adviser(3, "carin")]
    fresh = question("losser")
    assert next_step(fresh, team, STAFFING, NOW, OFFER) is None      # lotte may free up
    waited = question("losser", waiting_since=NOW - OFFER)
    assert next_step(waited, team, STAFFING, NOW, OFFER) == ToPool("q1")


def test_nobody_on_duty_at_the_desk_means_the_pool_at_once() -> None:
    team = [adviser(3, "carin")]
    assert next_step(question("tubbergen"), team, STAFFING, NOW, OFFER) == \
        Offer("q1", 3, NOW + OFFER)


def test_a_crisis_is_offered_to_anyone_on_duty() -> None:
    team = [adviser(4, "lotte", idle_minutes=5)]
    step = next_step(question("enschede", crisis=True), team, STAFFING, NOW, OFFER)
    assert step == Offer("q1", 4, NOW + OFFER)


def test_one_offer_at_a_time_per_adviser() -> None:
    team = [adviser(1, "anouk"), adviser(2, "bram", idle_minutes=10)]
    assert next_step(question(), team, STAFFING, NOW, OFFER, busy={2}) == \
        Offer("q1", 1, NOW + OFFER)


def test_claims_go_back_without_a_reply_in_time_or_when_the_adviser_is_gone() -> None:
    team = [adviser(1, "anouk"), adviser(2, "bram", presence=AWAY),
            adviser(3, "carin", connected=False), adviser(4, "lotte")]
    claims = [Claim("quiet", 1, NOW - timedelta(minutes=10), False),
              Claim("answered", 1, NOW - timedelta(minutes=30), True),
              Claim("fresh", 4, NOW - timedelta(minutes=9), False),
              Claim("away", 2, NOW, True), Claim("gone", 3, NOW, True)]
    assert sorted(reclaim(claims, team, NOW, timedelta(minutes=10))) == ["away", "gone", "quiet"]


states = st.builds(
    AdviserState, user_id=st.integers(1, 50), username=st.sampled_from(["anouk", "bram", "carin"]),
    presence=st.sampled_from([AVAILABLE, BUSY, AWAY]), connected=st.booleans(),
    live_chats=st.integers(0, 4), idle_since=st.just(NOW),
    profile=st.builds(AdviserProfile, st.just("x"), st.integers(1, 4)))


@given(st.lists(states, max_size=8), st.frozensets(st.integers(1, 50)))
def test_an_offer_only_ever_goes_to_someone_who_can_take_it(team, declined) -> None:
    chosen = choose_adviser(question(declined_by=declined), team)
    able = [a for a in team if a.presence == AVAILABLE and a.connected and
            a.live_chats < a.profile.max_live_chats and a.user_id not in declined]
    if chosen is None:
        assert able == []
    else:
        assert chosen in able
        assert chosen.live_chats == min(a.live_chats for a in able)


def test_when_the_pool_has_said_no_a_new_round_starts_after_a_pause() -> None:
    team = [adviser(3, "carin"), adviser(1, "anouk")]    # only carin works in the pool
    said_no = question(routed_to_pool=True, declined_by=frozenset({3}),
                       last_declined_at=NOW - timedelta(seconds=30))
    assert next_step(said_no, team, STAFFING, NOW, OFFER) is None    # not straight back
    later = NOW + OFFER
    step = next_step(said_no, team, STAFFING, later, OFFER)
    assert step == Offer("q1", 3, later + OFFER, new_round=True)
    # Nobody able at all (busy, away): still nothing, a new round or not.
    gone = [replace(a, presence=AWAY) for a in team]
    assert next_step(said_no, gone, STAFFING, later, OFFER) is None


def test_a_crisis_everyone_declined_is_offered_again_too() -> None:
    team = [adviser(4, "lotte")]
    said_no = question(crisis=True, declined_by=frozenset({4}),
                       last_declined_at=NOW - OFFER)
    assert next_step(said_no, team, STAFFING, NOW, OFFER) == \
        Offer("q1", 4, NOW + OFFER, new_round=True)


def test_the_own_desk_saying_no_still_means_the_pool_not_a_new_round() -> None:
    team = [adviser(1, "anouk"), adviser(2, "bram"), adviser(3, "carin")]
    declined = question(declined_by=frozenset({1, 2}), last_declined_at=NOW - 10 * OFFER)
    assert next_step(declined, team, STAFFING, NOW, OFFER) == ToPool("q1")
