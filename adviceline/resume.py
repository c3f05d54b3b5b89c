"""Resume codes: a short code a parent can type to open their conversation on another device.

A code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), shown as
XXXX-XXXX-XXXX: about 59 bits, so guessing is hopeless. Only its SHA-256 is stored. Redeeming it
hands the new device a token of its own (the first device keeps its own); making a new code
withdraws the old one. Codes never travel in a URL.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.clock import Clock
from adviceline.domain import NewConversation, NotFound
from adviceline.pipeline import hash_token
from adviceline.storage import repository as repo

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
LENGTH = 12


def normalise(code: str) -> str:
    """What the parent typed, without spaces, dashes or case."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def _shown(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


class UnknownCode(NotFound):
    code = "unknown_code"


class ResumeCodes:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def make(self, conversation_id: str) -> str:
        """A new code for the conversation (the previous one stops working)."""
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        async with self._sessions.begin() as session:
            conversation = await repo.conversation_by_id(session, conversation_id)
            if conversation is None:
                raise NotFound("Dit gesprek bestaat niet. / This conversation does not exist.")
            conversation.resume_code_hash = _hash(code)
        return _shown(code)

    async def redeem(self, code: str) -> NewConversation:
        """A token of its own for the device that typed the code."""
        cleaned = normalise(code)
        if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
            raise UnknownCode("Deze code kennen we niet. Kijk of je hem goed hebt overgetypt. / "
                              "We do not know this code. Check that you typed it correctly.")
        token = secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            conversation = await repo.conversation_by_resume_code_hash(session, _hash(cleaned))
            if conversation is None:
                raise UnknownCode("Deze code kennen we niet. Kijk of je hem goed hebt "
                                  "overgetypt. / We do not know this code. Check that you "
                                  "typed it correctly.")
            await repo.add_device_token(session, conversation.id, hash_token(token),
                                        self._clock.now())
            return NewConversation(conversation.id, token, conversation.municipality,
                                   conversation.language)
