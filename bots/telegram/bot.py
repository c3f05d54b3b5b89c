"""The Telegram bot's lifetime: updates in (webhook or long polling), stored before they are
acknowledged, handled in order afterwards; replies out through the outbox.

python-telegram-bot acknowledges an update (answers the webhook, asks for the next offset) as
soon as it has it, before any handler stored anything. So the `Application` is built with
`.updater(None)` and we take the updates ourselves: the webhook answers 200 only after the
update is committed to the database, and the poller asks for the next offset only after every
update it got is committed. Stored updates are then handed to the Application's handlers one
by one; an update's id is stored once per bot, so a redelivery is recognised.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web
from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import HTTPXRequest

from adviceline.channels import ParentPort
from adviceline.config import TelegramSettings
from adviceline.domain import StoredUpdate
from adviceline.tasks import finish_round
from bots.telegram.inbound import ChatHandlers
from bots.telegram.outbound import CHANNEL, TelegramChannel, retry_after

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
MAX_ATTEMPTS = 5          # then the update goes to quarantine for advisers to see
MAX_UPDATE_ID = 2**63 - 1
TAKE_OVER_AFTER = timedelta(minutes=2)   # another process's update, left unhandled this long

class TelegramBot:
    def __init__(self, settings: TelegramSettings, port: Callable[[], ParentPort], *,
                 poll_timeout: float = 30.0, retry_seconds: float = 5.0,
                 request_timeout: float = 10.0) -> None:
        self.settings = settings
        self._port = port
        self.account = settings.bot_id
        self._poll_timeout = poll_timeout
        self._retry_seconds = retry_seconds
        builder = ApplicationBuilder().token(settings.token.reveal()).updater(None) \
            .request(HTTPXRequest(connect_timeout=request_timeout, read_timeout=request_timeout,
                                  write_timeout=request_timeout)) \
            .get_updates_request(HTTPXRequest(connect_timeout=request_timeout,
                                              read_timeout=request_timeout + poll_timeout))
        if settings.base_url:
            builder = builder.base_url(settings.base_url)
        self.application = builder.build()
        self.application.add_handlers(ChatHandlers(port, self.account).handlers())
        self.application.add_error_handler(self._on_error)
        self._failed: dict[int, str] = {}
        self._stored_here: set[int] = set()
        self._wake = asyncio.Event()
        self.started = asyncio.Event()

    @property
    def port(self) -> ParentPort:
        return self._port()

    # Lifetime (an aiohttp cleanup_ctx) -----------------------------------------------------

    async def lifetime(self, app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(self._run(), name="telegram")
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if self.application.running or self.started.is_set():
            with contextlib.suppress(Exception):
                await self.application.shutdown()

    async def _run(self) -> None:
        await self._initialize()
        worker = self.port.delivery_worker(TelegramChannel(self.application.bot))
        runners = [self._process_forever(), worker.run()]
        runners.append(self._poll() if self.settings.mode == "polling" else self._set_webhook())
        await asyncio.gather(*runners)

    async def _initialize(self) -> None:
        """getMe until the Bot API answers: an unreachable Telegram never stops the service."""
        failures = 0
        while True:
            try:
                await self.application.initialize()
                self.started.set()
                return
            except TelegramError as error:
                failures += 1
                log.warning("the Telegram Bot API does not answer yet",
                            extra={"error": type(error).__name__})
                await asyncio.sleep(min(30.0, 0.5 * 2 ** failures))

    async def _set_webhook(self) -> None:
        failures = 0
        while True:
            try:
                await self.application.bot.set_webhook(
                    self.settings.webhook_url, secret_token=self.settings.webhook_secret.reveal(),
                    allowed_updates=ALLOWED_UPDATES)
                log.info("Telegram webhook set")
                return
            except RetryAfter as error:
                await asyncio.sleep(retry_after(error).total_seconds())
            except TelegramError as error:
                failures += 1
                log.warning("setting the Telegram webhook failed; will try again",
                            extra={"error": type(error).__name__})
                await asyncio.sleep(min(60.0, 0.5 * 2 ** failures))

    # Updates in ----------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """Telegram posts an update: 200 only once it is stored (a redelivery also gets 200)."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.settings.webhook_secret.reveal().encode()):
            return _error(403, "forbidden", "wrong or missing secret token")
        try:
            payload = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return _error(400, "malformed", "the body is not JSON")
        update_id = payload.get("update_id") if isinstance(payload, dict) else None
        if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
            return _error(400, "malformed", "not a Telegram update (update_id)")
        if await self.port.accept_update(CHANNEL, self.account, update_id, payload):
            self._stored_here.add(update_id)
            self._wake.set()
        return web.json_response({"ok": True})

    async def _poll(self) -> None:
        """getUpdates; the next offset confirms only updates that are stored."""
        failures = 0
        with contextlib.suppress(TelegramError):
            await self.application.bot.delete_webhook()
        offset: int | None = None
        while True:
            try:
                updates = await self.application.bot.get_updates(
                    offset=offset, timeout=int(self._poll_timeout),
                    allowed_updates=ALLOWED_UPDATES)
                await finish_round(self._store(updates))
            except RetryAfter as error:
                await asyncio.sleep(retry_after(error).total_seconds())
                continue
            except Exception as error:   # the Bot API or the database: try again, offset kept
                failures += 1
                log.warning("polling Telegram failed; will try again",
                            extra={"error": type(error).__name__})
                await asyncio.sleep(min(30.0, 0.2 * 2 ** failures))
                continue
            failures = 0
            if updates:
                offset = updates[-1].update_id + 1
                self._wake.set()

    async def _store(self, updates: tuple[Update, ...]) -> None:
        for update in updates:
            if await self.port.accept_update(CHANNEL, self.account, update.update_id,
                                             update.to_dict()):
                self._stored_here.add(update.update_id)

    # Handling stored updates ---------------------------------------------------------------

    async def _process_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                await finish_round(self.process_pending())
            except Exception:
                log.exception("handling Telegram updates failed; will try again")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives as the event is set, and this loop would then never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._retry_seconds):
                    await self._wake.wait()

    async def process_pending(self) -> int:
        """Handle stored updates in update order; stop at one that fails (tried again later,
        and after MAX_ATTEMPTS quarantined), so a chat's updates never overtake each other.

        With several processes behind a webhook, each handles the updates it stored itself;
        one another process stored and left unhandled for TAKE_OVER_AFTER (it died) is
        taken over."""
        handled = 0
        while True:
            stale = datetime.now(UTC) - TAKE_OVER_AFTER
            pending = [stored for stored in
                       await self.port.pending_updates(CHANNEL, self.account)
                       if stored.update_id in self._stored_here or stored.received_at is None
                       or stored.received_at < stale]
            if not pending:
                return handled
            for stored in pending:
                if not await self._handle(stored):
                    return handled
                handled += 1

    async def _handle(self, stored: StoredUpdate) -> bool:
        try:
            update = Update.de_json(stored.payload, self.application.bot)
        except Exception:
            update = None
        error: str | None = "not a Telegram update"
        if update is not None:
            await self.application.process_update(update)
            error = self._failed.pop(stored.update_id, None)
        if error is None:
            await self.port.update_handled(CHANNEL, self.account, stored.update_id)
            self._stored_here.discard(stored.update_id)
            return True
        attempts = await self.port.update_handled(CHANNEL, self.account, stored.update_id,
                                                  failed=True)
        if update is not None and attempts < MAX_ATTEMPTS:
            return False
        await self.port.quarantine(
            channel=CHANNEL, raw=json.dumps(stored.payload).encode(),
            reason=f"Telegram update could not be handled: {error}",
            external_id=f"{self.account}:{stored.update_id}")
        await self.port.update_handled(CHANNEL, self.account, stored.update_id)
        self._stored_here.discard(stored.update_id)
        return True

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Only the kind of error: its message may quote what the parent wrote.
        name = type(context.error).__name__
        log.error("handling a Telegram update failed", extra={"error": name})
        if isinstance(update, Update):
            self._failed[update.update_id] = name


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)
