"""The staff mail outbox: on-call e-mails go out from here.

The dispatcher queues a `staff_mail` row in the transaction that makes the call; a
`StaffMailWorker` per process leases what is due (FOR UPDATE SKIP LOCKED on PostgreSQL, so
several processes send each mail once; an expired lease is taken over), hands it to the mailer
(the e-mail channel's relay, `bots.email`) and records the outcome: delivered, retried with the
outbox's backoff, or failed for good (a refused address, or after `give_up_after`), which is
logged as an error an operator can alert on. Nothing is dropped silently.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.clock import Clock
from adviceline.notify import STAFF_MAIL, Notifier
from adviceline.outbox import (
    Failed,
    OutboxSettings,
    Retry,
    Sent,
    StaffMailer,
    StaffMessage,
    backoff,
)
from adviceline.storage import repository as repo
from adviceline.tasks import finish_round

log = logging.getLogger(__name__)


class StaffMailWorker:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], mailer: StaffMailer,
                 clock: Clock, notifier: Notifier,
                 settings: OutboxSettings | None = None) -> None:
        self._sessions = sessions
        self._mailer = mailer
        self._clock = clock
        self._notifier = notifier
        self._settings = settings or OutboxSettings()
        self.owner = str(uuid.uuid4())
        self._paused_until: datetime | None = None

    async def run(self) -> None:
        """Send what is due, then wait for a new call (or poll_seconds, for other processes)."""
        while True:
            wake = self._notifier.listen(STAFF_MAIL)
            try:
                await finish_round(self.send_due())
            except Exception:
                log.exception("sending staff mail failed; will try again")
            await self._notifier.wait(wake, self._settings.poll_seconds)

    async def send_due(self, limit: int = 20) -> int:
        """One round: lease the due mails and send them; how many were settled."""
        now = self._clock.now()
        if self._paused_until is not None and now < self._paused_until:
            return 0   # the relay was down or refused us: everything waits, then tries again
        self._paused_until = None
        async with self._sessions.begin() as session:
            mails = [StaffMessage(m.id, m.to_address, m.subject, m.body) for m in
                     await repo.claim_staff_mail(session, self.owner, now,
                                                 now + self._settings.lease, limit)]
        settled = 0
        for index, message in enumerate(mails):
            try:
                outcome = await self._mailer.send_staff(message)
            except Exception as exc:
                log.exception("the mailer failed on a staff mail")
                outcome = Retry(f"internal error: {type(exc).__name__}")
            settled += await self._settle(message, outcome)
            if isinstance(outcome, Retry) and outcome.whole_channel:
                # The relay is down: the rest wait for their next attempt, not a lease.
                async with self._sessions.begin() as session:
                    await repo.release_staff_mail(
                        session, [m.mail_id for m in mails[index + 1:]], self.owner)
                break
        return settled

    async def _settle(self, message: StaffMessage, outcome: Sent | Retry | Failed) -> int:
        now = self._clock.now()
        async with self._sessions.begin() as session:
            mail = await repo.staff_mail(session, message.mail_id)
            if mail is None or mail.lease_owner != self.owner:
                log.warning("a staff mail lease ran out while sending")
                return 0
            if isinstance(outcome, Retry) and \
                    now - mail.created_at >= self._settings.give_up_after:
                outcome = Failed(f"gave up after {mail.attempts + 1} attempts: {outcome.reason}")
            mail.attempts += 1
            mail.lease_owner = mail.lease_until = None
            if isinstance(outcome, Sent):
                mail.status, mail.delivered_at, mail.last_error = "delivered", now, None
                log.info("staff mail sent", extra={"mail": mail.id, "question": mail.question_id})
                return 1
            mail.last_error = outcome.reason[:300]
            if isinstance(outcome, Retry):
                wait = outcome.after if outcome.after is not None else \
                    backoff(mail.attempts, self._settings)
                mail.next_attempt_at = now + wait
                if outcome.whole_channel:
                    self._paused_until = now + wait
                log.info("staff mail will be retried", extra={
                    "mail": mail.id, "attempts": mail.attempts,
                    "wait_seconds": wait.total_seconds()})
                return 0
            mail.status = "failed"
            # Not silent: an operator alerts on this, and the console still shows the call.
            log.error("staff mail failed for good", extra={
                "mail": mail.id, "question": mail.question_id, "user": mail.user_id,
                "reason": mail.last_error})
            return 1
