"""Sending one mail through the configured relay (aiosmtplib), and what a refusal means for the
outbox: a refused recipient or mail (5xx) fails for good, anything else is retried, and a relay
that is unreachable or refuses us makes the whole channel wait."""

from __future__ import annotations

import logging
import ssl
from email.message import EmailMessage

import aiosmtplib

from adviceline.config import EmailSettings
from adviceline.outbox import Delivery, Failed, Retry
from bots.email.compose import as_bytes
from bots.email.inbound import CHANNEL

log = logging.getLogger(__name__)
SEND_SECONDS = 60.0


class Relay:
    def __init__(self, settings: EmailSettings) -> None:
        self._settings = settings
        self._tls: ssl.SSLContext | None = None

    async def send(self, mail: EmailMessage, envelope_from: str, to: str) -> Delivery | None:
        """None when the relay took the mail; otherwise what the outbox should do."""
        settings = self._settings
        host, port = settings.relay
        try:
            await aiosmtplib.send(
                as_bytes(mail),
                sender=envelope_from, recipients=[to], hostname=host, port=port,
                use_tls=settings.relay_tls == "tls", start_tls=settings.relay_tls == "starttls",
                tls_context=self._tls_context() if settings.relay_tls != "none" else None,
                username=settings.relay_username or None,
                password=(settings.relay_password.reveal() or None)
                if settings.relay_username else None,
                timeout=SEND_SECONDS)
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [error.code for error in refused.recipients]
            said = "; ".join(f"{error.code} {error.message}" for error in refused.recipients)
            if codes and all(code >= 500 for code in codes):
                return Failed(f"the mail server refused the recipient's address: {said}"[:300])
            return Retry(f"the relay deferred the address: {said}"[:300])
        except aiosmtplib.SMTPAuthenticationError as error:
            log.error("the mail relay refused the login; check relay_username and "
                      "ADVICELINE_EMAIL_RELAY_PASSWORD", extra={"channel": CHANNEL})
            return Retry(f"the relay refused the login ({error.code})", whole_channel=True)
        except aiosmtplib.SMTPDataError as error:
            if error.code >= 500:
                return Failed(f"the mail server refused the mail: {error.code} "
                              f"{error.message}"[:300])
            return Retry(f"the relay deferred the mail: {error.code} {error.message}"[:300])
        except aiosmtplib.SMTPResponseException as error:
            # Refused at the greeting, HELO or MAIL FROM: the relay or our configuration, not
            # this parent's mail; everything waits and is tried again.
            return Retry(f"the relay answered {error.code} {error.message}"[:300],
                         whole_channel=True)
        except (aiosmtplib.SMTPException, OSError) as error:
            return Retry(f"the relay is unreachable: {type(error).__name__}", whole_channel=True)
        return None

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            ca = self._settings.relay_ca_file
            self._tls = ssl.create_default_context(cafile=str(ca) if ca else None)
        return self._tls


