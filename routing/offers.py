"""Offer, then assign: which adviser a waiting question is offered to, and when it goes back.

A question is offered to one available adviser on duty for its desk who has room for another
live chat: the least loaded first, then the one idle longest. Nobody on duty there, or nobody
accepting within the offer time, sends it to the regional pool. A claimed question without a reply
within the configured time, or whose adviser went away or lost the console, returns to the queue
at its old place. Pure: states in, decisions out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from routing.rota import REGIONAL_POOL, AdviserProfile
from routing.staffing import EVERYONE, Route, Staffing

AVAILABLE, BUSY, AWAY = "available", "busy", "away"
PRESENCES = (AVAILABLE, BUSY, AWAY)


@dataclass(frozen=True)
class AdviserState:
    """An adviser as the dispatcher sees them now."""

    user_id: int
    username: str
    presence: str              # AVAILABLE receives offers; BUSY keeps work, gets none; AWAY neither
    # (any other value, e.g. never set: no offers, and claims are not taken back for absence)
    connected: bool            # the console is open (seen within the disconnect time)
    live_chats: int            # questions they hold now
    idle_since: datetime       # their last claim, reply, close or presence change
    profile: AdviserProfile

    def has_room(self) -> bool:
        return self.live_chats < self.profile.max_live_chats

    def receives_offers(self) -> bool:
        return self.presence == AVAILABLE and self.connected and self.has_room()


@dataclass(frozen=True)
class OpenQuestion:
    """A waiting question with what the dispatcher needs to place it."""

    id: str
    municipality: str | None
    crisis: bool
    language: str
    topic: str | None
    routed_to_pool: bool                  # it went to the pool earlier: stays there
    waiting_since: datetime
    offered_to: int | None = None
    offered_until: datetime | None = None
    declined_by: frozenset[int] = field(default_factory=frozenset)
    last_declined_at: datetime | None = None   # the latest "not now", lapse or release


@dataclass(frozen=True)
class Offer:
    question_id: str
    adviser_id: int
    until: datetime
    new_round: bool = False   # everyone had said no: their declines are forgotten


@dataclass(frozen=True)
class ToPool:
    """Nobody at the own desk takes it: the regional pool does from now on."""

    question_id: str


def route_of(question: OpenQuestion, staffing: Staffing, now: datetime) -> Route:
    if question.routed_to_pool and not question.crisis:
        return Route(REGIONAL_POOL, tuple(staffing.on_duty(now, REGIONAL_POOL)))
    return staffing.route(question.municipality, question.crisis, now)


def choose_adviser(question: OpenQuestion, candidates: Iterable[AdviserState]) -> \
        AdviserState | None:
    """Least loaded, then longest idle; someone who speaks the parent's language and takes the
    topic is preferred, but a question is never left waiting for want of a language."""
    able = [adviser for adviser in candidates
            if adviser.receives_offers() and adviser.user_id not in question.declined_by]
    if not able:
        return None
    fitting = [a for a in able if a.profile.speaks(question.language)
               and a.profile.takes_topic(question.topic)] or \
        [a for a in able if a.profile.speaks(question.language)] or able
    return min(fitting, key=lambda a: (a.live_chats, a.idle_since, a.user_id))


def next_step(question: OpenQuestion, advisers: Collection[AdviserState], staffing: Staffing,
              now: datetime, offer_time: timedelta,
              busy: Collection[int] = ()) -> Offer | ToPool | None:
    """What to do with one waiting question now: offer it, send it to the pool, or leave it
    (an offer is still open, or nobody can take it and the pool has it already).

    `busy`: advisers who hold an open offer of another question (one offer at a time)."""
    if question.offered_to is not None and question.offered_until is not None \
            and question.offered_until > now:
        return None
    route = route_of(question, staffing, now)
    on_duty = set(route.advisers)
    candidates = [a for a in advisers if a.username in on_duty and a.user_id not in busy]
    chosen = choose_adviser(question, candidates)
    if chosen is not None:
        return Offer(question.id, chosen.user_id, now + offer_time)
    if route.where not in (REGIONAL_POOL, EVERYONE):
        # Own desk: everyone on duty declined or let the offer lapse, or nobody has room.
        everyone_declined = all(a.user_id in question.declined_by
                                for a in advisers if a.username in on_duty)
        if everyone_declined or now - question.waiting_since >= offer_time:
            return ToPool(question.id)
        return None
    return _new_round(question, candidates, now, offer_time)


def _new_round(question: OpenQuestion, candidates: Collection[AdviserState], now: datetime,
               offer_time: timedelta) -> Offer | None:
    """The pool (or, for a crisis, everyone on duty) has said no to a question that still
    waits: after a pause of one offer time since the last "not now", offer it again as if
    nobody had declined, so no question is left to be picked by chance."""
    if not question.declined_by:
        return None
    if question.last_declined_at is not None and now - question.last_declined_at < offer_time:
        return None
    again = choose_adviser(replace(question, declined_by=frozenset()), candidates)
    if again is None:
        return None
    return Offer(question.id, again.user_id, now + offer_time, new_round=True)


@dataclass(frozen=True)
class Claim:
    question_id: str
    adviser_id: int
    claimed_at: datetime
    replied_since_claim: bool


def reclaim(claims: Iterable[Claim], advisers: Collection[AdviserState], now: datetime,
            reply_within: timedelta) -> list[str]:
    """The claimed questions that go back to the queue: no reply within `reply_within`, or the
    adviser is away or no longer connected."""
    by_id = {adviser.user_id: adviser for adviser in advisers}
    back = []
    for claim in claims:
        adviser = by_id.get(claim.adviser_id)
        gone = adviser is None or adviser.presence == AWAY or not adviser.connected
        silent = not claim.replied_since_claim and now - claim.claimed_at >= reply_within
        if gone or silent:
            back.append(claim.question_id)
    return back
