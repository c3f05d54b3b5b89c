"""Channel-neutral values that cross the boundary between the channels and the core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

PARENT, FAQ, ADVISER, SYSTEM = "parent", "faq", "adviser", "system"
LANGUAGES = ("nl", "en")


class AdvicelineError(Exception):
    """A request the core refuses; `code` is stable for clients, the message is for people."""

    code = "error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AdvicelineError):
    code, status = "not_found", 404


class Invalid(AdvicelineError):
    code, status = "invalid", 422


class Conflict(AdvicelineError):
    code, status = "conflict", 409


class Forbidden(AdvicelineError):
    code, status = "forbidden", 403


@dataclass(frozen=True)
class Inbound:
    """A parent's message, whatever channel carried it."""

    conversation_id: str
    text: str
    client_id: str | None = None   # the sender's own id for the message: a resend is stored once


@dataclass(frozen=True)
class Receipt:
    """The proof a parent's message is stored: only then may a channel acknowledge it."""

    conversation_id: str
    seq: int
    client_id: str | None
    duplicate: bool


@dataclass(frozen=True)
class NewConversation:
    conversation_id: str
    token: str               # shown to the parent once; only its hash is stored
    municipality: str | None
    language: str


@dataclass(frozen=True)
class ConversationView:
    conversation_id: str
    channel: str
    municipality: str | None
    language: str
    last_seq: int


@dataclass(frozen=True)
class OutboundMessage:
    """A stored message as a channel shows it to the parent, in sequence order."""

    seq: int
    sender: str
    kind: str
    text: str
    actions: dict[str, Any] | None
    created_at: datetime
    author: str | None = None     # the adviser's display name
    client_id: str | None = None  # lets the sender's own client match its pending message

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "sender": self.sender,
            "kind": self.kind,
            "text": self.text,
            "actions": self.actions,
            "created_at": self.created_at.isoformat(),
            "author": self.author,
            "client_id": self.client_id,
        }
