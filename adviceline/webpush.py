"""Web Push: 'there is an answer' to a parent whose chat page is closed, with their consent.

A browser subscribes (its push service's endpoint and keys); whenever the conversation gets a new
answer (from the FAQ or an adviser), one push goes out, encrypted for that browser (RFC 8291,
aes128gcm via http_ece) and signed with the service's VAPID key (RFC 8292, py_vapid). The push
carries nothing personal: only that there is an answer and the page's language. Each subscription
keeps the last seq it was told about; a process claims a push by moving that mark (so several
processes send it once) and puts it back when sending fails, to retry with backoff. A push service
that says the subscription is gone (404/410) ends it. Subscriptions go with their conversation.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import logging
import os
from datetime import timedelta
from urllib.parse import urlsplit

import aiohttp
import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02, b64urlencode
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adviceline.clock import Clock
from adviceline.config import WebPushSettings
from adviceline.domain import ADVISER, FAQ, Invalid, NotFound, storable
from adviceline.notify import ANY, Notifier
from adviceline.settings import shared_setting
from adviceline.storage import repository as repo
from adviceline.tasks import finish_round

log = logging.getLogger(__name__)
VAPID_SETTING = "vapid_private_key"
ANSWER_SENDERS = (FAQ, ADVISER)
TTL_SECONDS = 24 * 3600
MAX_FAILURES = 8


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class WebPush:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], settings: WebPushSettings,
                 clock: Clock, notifier: Notifier) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._notifier = notifier
        self._vapid: Vapid02 | None = None

    @property
    def enabled(self) -> bool:
        return self._settings.enabled

    async def start(self) -> None:
        """Load the VAPID key every process shares, making it on the very first start."""
        def make() -> str:
            made = Vapid02()
            made.generate_keys()
            return str(made.private_pem().decode())

        pem = await shared_setting(self._sessions, VAPID_SETTING, make)
        self._vapid = Vapid02.from_pem(pem.encode())

    @property
    def public_key(self) -> str:
        """The applicationServerKey a browser subscribes with (base64url, uncompressed P-256)."""
        if self._vapid is None:
            raise NotFound("Web Push is not available.")
        raw = self._vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return str(b64urlencode(raw))

    def _check(self, endpoint: str, p256dh: str, auth: str) -> None:
        parts = urlsplit(endpoint)
        schemes = ("https", "http") if self._settings.allow_http else ("https",)
        host = parts.hostname or ""
        if (len(endpoint) > 2048 or parts.scheme not in schemes
                or not any(fnmatch.fnmatch(host, pattern)
                           for pattern in self._settings.allowed_hosts)):
            raise Invalid("Deze meldingsdienst wordt niet ondersteund. / This push service is "
                          "not supported.")
        try:
            key, secret = _b64decode(p256dh), _b64decode(auth)
        except (binascii.Error, ValueError) as exc:
            raise Invalid("The subscription keys are not base64url.") from exc
        if len(key) != 65 or key[0] != 4 or len(secret) != 16:
            raise Invalid("The subscription keys have the wrong size.")

    async def subscribe(self, conversation_id: str, endpoint: str, p256dh: str,
                        auth: str) -> None:
        if not self.enabled:
            raise NotFound("Web Push is not available.")
        self._check(endpoint, p256dh, auth)
        async with self._sessions.begin() as session:
            conversation = await repo.conversation_by_id(session, conversation_id)
            if conversation is None:
                raise NotFound("This conversation does not exist.")
            await repo.save_push_subscription(session, conversation, endpoint, p256dh, auth,
                                              self._clock.now())

    async def unsubscribe(self, conversation_id: str, endpoint: str) -> None:
        if len(endpoint) > 2048 or not storable(endpoint):
            return   # no subscription has such an endpoint: nothing to remove
        async with self._sessions.begin() as session:
            await repo.delete_push_subscription(session, conversation_id, endpoint)

    # Sending -------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Send what is due, then wait for a change (or poll_seconds, for other processes)."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
            while True:
                wake = self._notifier.listen(ANY)
                try:
                    await finish_round(self.send_due(http))
                except Exception:
                    log.exception("sending web pushes failed; will try again")
                await self._notifier.wait(wake, self._settings.poll_seconds)

    async def send_due(self, http: aiohttp.ClientSession) -> int:
        now = self._clock.now()
        async with self._sessions() as session:
            due = await repo.push_subscriptions_due(session, ANSWER_SENDERS, now)
        sent = 0
        for subscription, newest, language in due:
            seen = subscription.notified_seq
            async with self._sessions.begin() as session:
                if not await repo.claim_push(session, subscription.id, seen, newest):
                    continue
            outcome = await self._post(http, subscription.endpoint, subscription.p256dh,
                                       subscription.auth, language)
            async with self._sessions.begin() as session:
                if outcome == "sent":
                    sent += 1
                    await repo.push_delivered(session, subscription.id)
                elif outcome == "gone" or subscription.failures + 1 >= MAX_FAILURES:
                    await repo.drop_push_subscription(session, subscription.id)
                else:
                    delay = timedelta(seconds=min(30 * 2 ** subscription.failures, 3600))
                    await repo.push_failed(session, subscription.id, seen, newest,
                                           self._clock.now() + delay)
            log.info("web push", extra={"outcome": outcome})
        return sent

    async def _post(self, http: aiohttp.ClientSession, endpoint: str, p256dh: str, auth: str,
                    language: str) -> str:
        if self._vapid is None:
            return "retry"
        payload = json.dumps({"type": "answer", "language": language}).encode()
        body = http_ece.encrypt(payload, salt=os.urandom(16),
                                private_key=ec.generate_private_key(ec.SECP256R1()),
                                dh=_b64decode(p256dh), auth_secret=_b64decode(auth),
                                version="aes128gcm")
        parts = urlsplit(endpoint)
        claims = {"sub": self._settings.subject, "aud": f"{parts.scheme}://{parts.netloc}",
                  "exp": int(self._clock.now().timestamp()) + 12 * 3600}
        headers = {**self._vapid.sign(claims), "Content-Encoding": "aes128gcm",
                   "Content-Type": "application/octet-stream", "TTL": str(TTL_SECONDS),
                   "Urgency": "normal", "Topic": "answer"}
        try:
            async with http.post(endpoint, data=body, headers=headers) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            return "retry"
        if status in (200, 201, 202):
            return "sent"
        if status in (404, 410) or (400 <= status < 500 and status != 429):
            return "gone"
        return "retry"

