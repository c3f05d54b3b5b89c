"""Signed thread tokens in the Message-IDs we send, found again in a parent's reply.

Our Message-ID is `<al.PAYLOAD.MAC@domain>`: PAYLOAD names the conversation and the message,
MAC is an HMAC-SHA256 over it with a key every process shares. A reply's In-Reply-To or
References carries it back; only a token whose MAC checks continues that conversation (and the
core continues it only for the address it belongs to). A forged, truncated or altered token, or
a matching subject alone, is no token at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

_PREFIX = "al"
_MAC_BYTES = 10
_TOKEN = re.compile(r"<?al\.([a-z2-7]{32})\.([a-z2-7]{16})@([^<>\s]+)>?", re.IGNORECASE)


@dataclass(frozen=True)
class ThreadToken:
    conversation_id: str
    seq: int


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _unb32(text: str) -> bytes:
    return base64.b32decode(text.upper() + "=" * (-len(text) % 8))


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"adviceline-email-thread:" + payload, hashlib.sha256).digest()[
        :_MAC_BYTES]


def message_id(key: bytes, token: ThreadToken, domain: str) -> str:
    """The Message-ID (with angle brackets) of our mail carrying this conversation's message."""
    payload = uuid.UUID(token.conversation_id).bytes + token.seq.to_bytes(4, "big")
    return f"<{_PREFIX}.{_b32(payload)}.{_b32(_mac(key, payload))}@{domain}>"


def read(key: bytes, value: str) -> ThreadToken | None:
    """The token in one Message-ID, if it is ours and intact."""
    match = _TOKEN.fullmatch(value.strip())
    if match is None:
        return None
    try:
        payload, mac = _unb32(match.group(1).lower()), _unb32(match.group(2).lower())
    except ValueError:
        return None
    if len(payload) != 20 or not hmac.compare_digest(mac, _mac(key, payload)):
        return None
    return ThreadToken(str(uuid.UUID(bytes=payload[:16])), int.from_bytes(payload[16:], "big"))


def find(key: bytes, references: tuple[str, ...]) -> ThreadToken | None:
    """The newest valid token among a reply's In-Reply-To and References (newest first)."""
    for value in references:
        token = read(key, value)
        if token is not None:
            return token
    return None
