"""Thread tokens: only an intact token made with our key continues a conversation."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from bots.email import tokens
from bots.email.tokens import ThreadToken

KEY = b"k" * 32
CONVERSATION = str(uuid.UUID(int=12345))


def test_our_message_id_is_found_again_in_a_reply() -> None:
    ours = tokens.message_id(KEY, ThreadToken(CONVERSATION, 7), "cjg-twente.example")
    assert ours.startswith("<al.") and ours.endswith("@cjg-twente.example>")
    found = tokens.find(KEY, ("<CAB1@mail.gmail.example>", ours.upper()))
    assert found == ThreadToken(CONVERSATION, 7)


def test_forged_truncated_altered_and_foreign_tokens_are_no_token() -> None:
    ours = tokens.message_id(KEY, ThreadToken(CONVERSATION, 7), "cjg-twente.example")
    payload, mac = ours[4:].split("@")[0].split(".")
    assert tokens.read(KEY, ours) is not None
    assert tokens.read(b"x" * 32, ours) is None                       # another service's key
    assert tokens.read(KEY, ours.replace(mac, mac[:-1])) is None       # truncated
    assert tokens.read(KEY, ours.replace(mac, "a" * 16)) is None       # forged MAC
    other = tokens.message_id(KEY, ThreadToken(CONVERSATION, 8), "x.example")
    other_mac = other[4:].split("@")[0].split(".")[1]
    assert tokens.read(KEY, ours.replace(mac, other_mac)) is None      # MAC of another message
    flipped = payload[:-1] + ("a" if payload[-1] != "a" else "b")
    assert tokens.read(KEY, ours.replace(payload, flipped)) is None    # altered conversation
    assert tokens.find(KEY, ("Re: Je vraag aan CJG Twente", "<random@example.nl>")) is None


@given(st.text(max_size=80))
def test_no_made_up_message_id_is_a_token(value: str) -> None:
    assert tokens.read(KEY, value) is None
