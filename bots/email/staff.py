"""On-call e-mails to staff through the same relay as the parents' replies: a plain text mail
from the region's advice address, marked as automatic (RFC 3834) so auto-replies stay away."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from adviceline.config import EmailSettings
from adviceline.outbox import Failed, Retry, Sent, StaffMessage
from bots.email.relay import Relay


class StaffMailSender:
    def __init__(self, settings: EmailSettings, region_name: str) -> None:
        self._settings = settings
        self._region = region_name
        self._relay = Relay(settings)

    async def send_staff(self, message: StaffMessage) -> Sent | Retry | Failed:
        sender = self._settings.from_address
        mail = EmailMessage()
        mail["From"] = f"Advieslijn opvoeden {self._region} <{sender}>"
        try:
            mail["To"] = message.to
        except ValueError as error:   # an address the mail library refuses to write
            return Failed(f"the mail could not be written: {error}"[:300])
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(usegmt=True)
        message_id = make_msgid("oncall", sender.rpartition("@")[2])
        mail["Message-ID"] = message_id
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.body)
        outcome = await self._relay.send(mail, sender, message.to)
        if outcome is None:
            return Sent(message_id)
        if isinstance(outcome, Retry | Failed):
            return outcome
        return Retry(f"unexpected answer from the relay: {type(outcome).__name__}")

