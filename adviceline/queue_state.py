"""The queue as the dispatcher, the console and the waiting times read it: advisers' states from
presence and held questions, a question's place in the documented order, and putting one back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from adviceline.config import Config
from adviceline.storage.models import AdviserPresence, Question, User
from routing.offers import AdviserState
from routing.queue import Waiting

LIVE_CHANNELS = ("web",)   # a parent on these can be there, waiting, right now


def adviser_states(users: Sequence[User], presences: dict[int, AdviserPresence],
                   open_questions: Sequence[Question], config: Config,
                   now: datetime) -> list[AdviserState]:
    held: dict[int, int] = {}
    for question in open_questions:
        if question.status == "claimed" and question.claimed_by is not None:
            held[question.claimed_by] = held.get(question.claimed_by, 0) + 1
    gone_after = timedelta(seconds=config.routing.disconnected_after_seconds)
    states = []
    for user in users:
        presence = presences.get(user.id)
        states.append(AdviserState(
            user_id=user.id, username=user.username,
            # Without a presence row the adviser never opened the console: no offers, and their
            # claims (made through the API) are not taken back for being "gone".
            presence=presence.status if presence else "unknown",
            connected=presence is None or now - presence.seen_at < gone_after,
            live_chats=held.get(user.id, 0),
            idle_since=presence.idle_since if presence else now,
            profile=config.profile(user.username)))
    return states


def waiting_entry(question: Question, last_parent: dict[str, datetime], config: Config,
                  now: datetime) -> Waiting:
    """The question's place in the documented order (routing.queue)."""
    wrote = last_parent.get(question.conversation_id)
    parent_waiting = (question.channel in LIVE_CHANNELS and wrote is not None and
                      now - wrote < timedelta(minutes=config.routing.parent_waiting_minutes))
    return Waiting(question.id, question.priority, question.waiting_since or question.created_at,
                   parent_waiting)


def back_to_queue(question: Question) -> None:
    """Waiting again at its old place: waiting_since is kept, so the order puts it back."""
    question.status = "waiting"
    question.claimed_by = None
    question.claimed_at = None
    question.offered_to = None
    question.offered_until = None
