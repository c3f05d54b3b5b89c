"""The e-mail channel while the service runs: the SMTP listener (and, when configured, the
IMAP poller and the delivery worker), started and stopped together."""

from __future__ import annotations

import asyncio
import logging

from adviceline.channels import ParentPort
from adviceline.config import Config, EmailSettings
from adviceline.outbox import DeliveryWorker
from bots.email.imap import ImapPoller
from bots.email.inbound import Intake
from bots.email.outbound import EmailChannel
from bots.email.smtp import start_listener
from bots.email.staff import StaffMailSender

log = logging.getLogger(__name__)


class EmailService:
    def __init__(self, port: ParentPort, config: Config, settings: EmailSettings) -> None:
        self.settings = settings
        self.intake = Intake(port, settings, config.email_addresses())
        self.channel = EmailChannel(port, settings, config.email_addresses())
        self.worker: DeliveryWorker = port.delivery_worker(self.channel)
        # On-call calls to staff go out through the same relay.
        self.staff_worker = port.staff_mail_worker(
            StaffMailSender(settings, config.region_name))
        self.poller = ImapPoller(self.intake, settings.imap) if settings.imap is not None \
            else None
        self._port = port
        self._shared_port = config.workers > 1   # serve --workers: every process listens
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def smtp_address(self) -> tuple[str, int] | None:
        """Where the listener listens (the port the OS chose for port 0)."""
        if self._server is None or not self._server.sockets:
            return None
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> None:
        # Outbound first: the relay may be unreachable; the worker retries until it answers,
        # and the service accepts mail meanwhile.
        self._tasks.append(asyncio.create_task(self.worker.run(), name="email-outbox"))
        self._tasks.append(asyncio.create_task(self.staff_worker.run(), name="email-staff"))
        if self.poller is not None:
            # An unreachable mailbox does not stop the start either: each round tries again.
            self._tasks.append(asyncio.create_task(self.poller.run(), name="email-imap"))
        if self.settings.listen is not None:
            host, port = self.settings.listen
            self._server = await start_listener(self.intake, host, port,
                                                self.settings.max_message_bytes,
                                                shared=self._shared_port)
            log.info("SMTP listener started", extra={"channel": "email",
                                                     "address": self.smtp_address})

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
