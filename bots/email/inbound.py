"""One received mail into the core, whichever way it came (our SMTP listener, an IMAP mailbox).

`Intake.take` returns only after the mail is safe: stored as the parent's message, recognised
as one stored before, kept in the quarantine, or recognised as a bounce or an automatic reply
to our own mail. If storing fails it raises, and the caller must not acknowledge the mail
(SMTP 451, IMAP: left unseen for the next poll).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from adviceline.channels import ParentPort
from adviceline.config import EmailSettings
from adviceline.domain import AdvicelineError, ChannelInbound, Conflict
from bots.email import tokens
from bots.email.automatic import BOUNCE
from bots.email.parse import ParsedMail, Unreadable, parse

log = logging.getLogger(__name__)
CHANNEL = "email"
SECRET = "email-thread"
STORED, DUPLICATE, QUARANTINED, BOUNCED, IGNORED, FEEDBACK = (
    "stored", "duplicate", "quarantined", "bounced", "ignored", "feedback")
# A reply that is just "nee" / "no" (or "ja" / "yes") to an FAQ answer is the answer to its
# "did this help?": "nee" puts the question with an adviser.
_NO = re.compile(r"^\s*(nee|neen|no|nope|niet geholpen)\b[\s.!,]*", re.IGNORECASE)
_YES = re.compile(r"^\s*(ja|yes|jawel|zeker)\b[\s.!,]*", re.IGNORECASE)
_BARE_WORDS = 4


@dataclass(frozen=True)
class Routing:
    """Which addresses are ours and whose they are."""

    default_address: str
    municipal: dict[str, str]     # lower-cased address -> municipality id

    def accepts(self, address: str) -> bool:
        address = address.strip().lower()
        return address == self.default_address.lower() or address in self.municipal

    def municipality(self, recipients: Sequence[str]) -> str | None:
        """The first municipal address among the recipients; the default address, none of
        ours or no recipient at all: the regional pool (None)."""
        for recipient in recipients:
            found = self.municipal.get(recipient.strip().lower())
            if found is not None:
                return found
        return None


class Intake:
    def __init__(self, port: ParentPort, settings: EmailSettings, municipal: dict[str, str]
                 ) -> None:
        self._port = port
        self.routing = Routing(settings.default_address, municipal)
        self._key: bytes | None = None

    async def key(self) -> bytes:
        if self._key is None:
            self._key = await self._port.channel_secret(SECRET)
        return self._key

    async def take(self, raw: bytes, recipients: Sequence[str] = (),
                   envelope_sender: str | None = None) -> str:
        """Store one mail; what became of it. Raises if it could not be stored."""
        municipality = self.routing.municipality(recipients)
        try:
            mail = parse(raw, envelope_sender)
        except Unreadable as reason:
            return await self._quarantine(raw, str(reason), None, municipality)
        if municipality is None and not recipients:
            municipality = self.routing.municipality(mail.recipients)
        if mail.automatic is not None:
            return await self._automatic(raw, mail, municipality)
        key = await self.key()
        token = tokens.find(key, mail.references)
        conversation_id = token.conversation_id if token is not None else None
        if token is not None and await self._feedback(mail, token) and _bare(mail.text):
            return FEEDBACK
        inbound = ChannelInbound(
            channel=CHANNEL, external_id=mail.external_id, address=mail.sender, text=mail.text,
            conversation_id=conversation_id, municipality=municipality, language=mail.language,
            choices=False, reference=mail.message_id,
            context={"subject": mail.subject, "attachments": mail.attachments})
        try:
            receipt = await self._port.receive_from_channel(inbound)
        except AdvicelineError as refused:   # too long, unstorable: advisers read it whole
            return await self._quarantine(raw, refused.message, mail, municipality)
        log.info("mail received", extra={"channel": CHANNEL, "duplicate": receipt.duplicate,
                                         "continued": conversation_id is not None,
                                         "attachments": mail.attachments})
        return DUPLICATE if receipt.duplicate else STORED

    async def _feedback(self, mail: ParsedMail, token: tokens.ThreadToken) -> bool:
        """A "nee"/"ja" answer to the FAQ answer in the mail replied to: given as feedback."""
        helpful = False if _NO.match(mail.text) else True if _YES.match(mail.text) else None
        if helpful is None:
            return False
        conversation = await self._port.conversation_for_address(CHANNEL, mail.sender,
                                                                  token.conversation_id)
        if conversation is None:
            return False
        messages = await self._port.messages_after(token.conversation_id, token.seq - 1)
        answer = next((m for m in messages[:10] if m.kind == "faq_answer"), None)
        if answer is None:
            return False
        try:
            await self._port.feedback(token.conversation_id, answer.seq, helpful)
        except Conflict:   # the other answer was given before: read it as a message
            return False
        log.info("feedback by mail", extra={"channel": CHANNEL, "helpful": helpful})
        return True

    async def _automatic(self, raw: bytes, mail: ParsedMail, municipality: str | None) -> str:
        if mail.automatic == BOUNCE:
            bounced = 0
            for message_id in mail.bounced:
                bounced += await self._port.delivery_bounced(
                    CHANNEL, message_id, "bounced: the mail server could not deliver it")
            if bounced:
                return BOUNCED
        key = await self.key()
        if tokens.find(key, mail.references) is not None:
            # An out-of-office or similar answer to our own mail: nothing for anyone to do.
            log.info("automatic reply to our mail ignored", extra={"channel": CHANNEL})
            return IGNORED
        return await self._quarantine(raw, f"automatic mail, not answered ({mail.automatic})",
                                      mail, municipality)

    async def _quarantine(self, raw: bytes, reason: str, mail: ParsedMail | None,
                          municipality: str | None) -> str:
        await self._port.quarantine(
            channel=CHANNEL, raw=raw, reason=reason,
            external_id=mail.external_id if mail is not None else None,
            sender=mail.sender if mail is not None else None, municipality=municipality)
        return QUARANTINED


def _bare(text: str) -> bool:
    return len(text.split()) <= _BARE_WORDS
