"""Our inbound SMTP listener: the municipality's mail server relays parents' mail to it.

An aiosmtpd handler served from our own event loop (`loop.create_server`), not aiosmtpd's
threaded Controller. `250` only once the mail is stored (or kept in the quarantine), `451` when
storing failed so the sender's server tries again, `550` for an address that is not ours and
`552` for a mail above the size limit. aiosmtpd 1.4.5+ ends DATA only at CRLF.CRLF, so a
bare-LF "end of data" cannot smuggle a second message into one; each DATA is one message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from bots.email.inbound import Intake

log = logging.getLogger(__name__)
MAX_RECIPIENTS = 20


class Handler:
    def __init__(self, intake: Intake) -> None:
        self._intake = intake

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not self._intake.routing.accepts(address):
            return "550 5.1.1 No such mailbox here"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):   # pragma: no cover - decode_data is off
            raw = raw.encode("utf-8", "surrogateescape")
        sender = envelope.mail_from
        try:
            outcome = await self._intake.take(raw, tuple(envelope.rcpt_tos),
                                              "" if sender in ("", "<>") else sender)
        except Exception:
            log.exception("storing a received mail failed; the sender will try again",
                          extra={"channel": "email"})
            return "451 4.3.0 Could not store the message now; please try again later"
        return f"250 2.0.0 OK: {outcome}"


async def start_listener(intake: Intake, host: str, port: int, max_bytes: int,
                         shared: bool = False) -> asyncio.Server:
    """The SMTP server on host:port (port 0: one the OS chooses) in the running loop.
    `shared`: other service processes listen on the same port (serve --workers)."""
    loop = asyncio.get_running_loop()
    handler = Handler(intake)

    def protocol() -> Any:
        return SMTP(handler, data_size_limit=max_bytes, enable_SMTPUTF8=True,
                    decode_data=False, ident="adviceline", timeout=120, loop=loop)

    return await loop.create_server(protocol, host=host, port=port, reuse_port=shared or None)
