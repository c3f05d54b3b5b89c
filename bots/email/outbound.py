"""Pushing the conversation's stored replies to the parent by mail (the outbox's PushChannel).

Each delivery is one reply mail sent through the configured relay with aiosmtplib. Automatic
messages stored together (a crisis line and the receipt, a receipt and the suggestions that
might help) go out as one mail. The Message-ID carries a signed thread token, so the parent's
answer continues the conversation; it is recorded as the channel's id, which is how a bounce
finds what it bounced. An unreachable or refusing relay is retried with the outbox's backoff
(the whole channel waits); a recipient or a mail the parent's side refuses for good (5xx)
fails, and advisers see that on the question.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from adviceline.channels import ParentPort
from adviceline.config import EmailSettings
from adviceline.outbox import Delivery, Failed, Parcel, Pending, Retry, Sent, Skipped
from bots.email import tokens
from bots.email.compose import Sender, compose
from bots.email.inbound import CHANNEL, SECRET
from bots.email.relay import Relay

log = logging.getLogger(__name__)
# Not for mail: the web chat's "an adviser is reading your question".
NOT_MAILED = frozenset({"claimed"})
# Crisis and concern replies (the emergency numbers) go out whatever the automatic-reply limit.
SAFETY = frozenset({"crisis", "concern"})
# Automatic messages stored within this span of the first one are answered in one mail.
TOGETHER = timedelta(minutes=5)


class EmailChannel:
    """The outbox's view of e-mail: one reply mail per delivery."""

    def __init__(self, port: ParentPort, settings: EmailSettings,
                 municipal_addresses: dict[str, str]) -> None:
        self._port = port
        self._settings = settings
        # municipality id -> its advice address: the reply comes from where the parent wrote to.
        self._addresses = {municipality: address for address, municipality
                           in municipal_addresses.items()}
        self._key: bytes | None = None
        self._relay = Relay(settings)

    @property
    def name(self) -> str:
        return CHANNEL

    def sender(self, municipality: str | None) -> Sender:
        address = self._addresses.get(municipality or "", self._settings.from_address)
        name = self._port.municipality_name(municipality) if municipality in self._addresses \
            else None
        region = self._port.region_name
        return Sender(address, f"Advieslijn opvoeden {name or region}")

    async def deliver(self, parcel: Parcel) -> Delivery:
        head = parcel.items[0]
        if head.message.kind in NOT_MAILED:
            return Skipped("not sent by mail")
        items = _together(parcel.items)
        conversation = parcel.conversation
        if head.automatic and not any(item.message.kind in SAFETY for item in items) and \
                await self._port.automatic_replies_today(CHANNEL, parcel.address) >= \
                self._settings.auto_replies_per_day:
            # RFC 3834: a few automatic replies per address a day; the emergency lines always.
            return Skipped(f"more than {self._settings.auto_replies_per_day} automatic replies "
                           "to this address in 24 hours", len(items))
        sender = self.sender(conversation.municipality)
        if self._key is None:
            self._key = await self._port.channel_secret(SECRET)
        message_id = tokens.message_id(
            self._key, tokens.ThreadToken(conversation.conversation_id, head.message.seq),
            sender.address.rpartition("@")[2])
        try:
            mail = compose(items=items, thread=parcel.thread, sender=sender, to=parcel.address,
                           message_id=message_id, language=conversation.language,
                           entry=lambda entry_id: self._port.faq_entry(
                               entry_id, conversation.language, conversation.municipality))
        except ValueError as error:   # an address the mail library refuses to write
            return Failed(f"the mail could not be written: {error}"[:300], len(items))
        outcome = await self._relay.send(mail, sender.address, parcel.address)
        if isinstance(outcome, Failed):
            return Failed(outcome.reason, len(items))
        if isinstance(outcome, Retry):
            return outcome
        log.info("mail sent", extra={"channel": CHANNEL, "messages": len(items),
                                     "automatic": head.automatic})
        return Sent(message_id, len(items))

def _together(items: tuple[Pending, ...]) -> list[Pending]:
    """The head, and when it is automatic the automatic messages stored with it."""
    head = items[0]
    together = [head]
    if not head.automatic:
        return together
    for item in items[1:]:
        if not item.automatic or item.message.kind in NOT_MAILED or \
                item.question_id != head.question_id or \
                item.message.created_at - head.message.created_at > TOGETHER:
            break
        together.append(item)
    return together
