"""Channel-neutral values that cross the boundary between the channels and the core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

PARENT, FAQ, ADVISER, SYSTEM = "parent", "faq", "adviser", "system"
LANGUAGES = ("nl", "en")
# Sequence numbers are 32-bit integers in the database; anything larger is refused up front.
MAX_SEQ = 2**31 - 1


def storable(text: str) -> bool:
    """False for text the database cannot hold: NUL characters (PostgreSQL) and lone UTF-16
    surrogates (not encodable as UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class AdvicelineError(Exception):
    """A request the core refuses; `code` is stable for clients, the message is for people."""

    code = "error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_TOO_MANY = {
    "conversations": ("Je hebt veel nieuwe gesprekken geopend", "Too many new conversations"),
    "messages": ("Je stuurt veel berichten achter elkaar", "Too many messages in a short time"),
    "websockets": ("Je maakt veel verbindingen achter elkaar", "Too many connections"),
    "logins": ("Te veel inlogpogingen vanaf dit adres", "Too many login attempts"),
}


class RateLimited(AdvicelineError):
    """429: this address asked too often; `retry_after` seconds until the next one is allowed."""

    code, status = "rate_limited", 429

    def __init__(self, kind: str, retry_after: int) -> None:
        nl, en = _TOO_MANY[kind]
        super().__init__(f"{nl}. Probeer het over {retry_after} seconden opnieuw. "
                         f"Bij gevaar: bel 112. / {en} from your connection; please try again "
                         f"in {retry_after} seconds. In danger: call 112.")
        self.kind = kind
        self.retry_after = retry_after


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
class ChannelInbound:
    """A parent's message on a channel that pushes replies to an address (e-mail, Telegram).

    `external_id` is the channel's own id of the message (unique per channel): the same id is
    stored once, however often the channel hands it over. `conversation_id` is the conversation
    the channel found the message belongs to; it is continued only when it is this channel's
    and `address` is its address, otherwise a new conversation is opened.
    """

    channel: str
    external_id: str
    address: str                       # where replies go: an e-mail address, a chat id
    text: str
    conversation_id: str | None = None
    municipality: str | None = None    # for a new conversation
    language: str = "nl"               # for a new conversation, until the parent's words decide
    choices: bool = True               # can the channel offer suggestions to pick from?
    reference: str | None = None       # the channel's id to reply to (a Message-ID)
    context: dict[str, Any] | None = None   # what the channel needs to answer in the thread


@dataclass(frozen=True)
class ChannelNotice:
    """What a push channel itself says to a parent (a greeting, 'which municipality?', 'we can
    only read text'), stored as a message of the service and pushed through the outbox like any
    other reply. Stored once per `external_id`, in the address's current conversation or a new
    one; `municipality`, when given, becomes the conversation's municipality."""

    channel: str
    external_id: str
    address: str
    text: str
    actions: dict[str, Any] | None = None   # e.g. buttons the channel shows with it
    municipality: str | None = None
    language: str = "nl"                     # for a new conversation


@dataclass(frozen=True)
class StoredUpdate:
    """Something a channel handed over and stored before acknowledging it, not yet handled."""

    update_id: int
    payload: dict[str, Any]
    attempts: int
    received_at: datetime | None = None


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
