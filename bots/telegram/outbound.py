"""Pushing the conversation's stored replies to the parent's chat (the outbox's PushChannel).

One stored message may become several Telegram messages (split at the length limit); the parts
already sent are remembered, so a retry continues where it stopped instead of repeating them.
A 429 pauses the whole channel for Telegram's retry_after; an unreachable or failing Bot API is
retried with the outbox's backoff, so nothing is lost meanwhile.
"""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from adviceline.outbox import Delivery, Failed, Parcel, Retry, Sent, Skipped
from bots.telegram.render import Buttons, render

log = logging.getLogger(__name__)
CHANNEL = "telegram"


def keyboard(buttons: Buttons) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)
                                  for label, data in row] for row in buttons])


def retry_after(error: RetryAfter) -> timedelta:
    with warnings.catch_warnings():   # an int or a timedelta, depending on PTB_TIMEDELTA
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


class TelegramChannel:
    """The outbox's view of Telegram: deliver one stored message per call."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._parts_sent: dict[int, tuple[int, int]] = {}   # outbox id -> (parts, last id)

    @property
    def name(self) -> str:
        return CHANNEL

    async def deliver(self, parcel: Parcel) -> Delivery:
        item = parcel.items[0]
        conversation = parcel.conversation
        parts = render(item.message, conversation.conversation_id, conversation.language)
        if not parts:
            return Skipped("nothing to show")
        try:
            chat_id = int(parcel.address)
        except ValueError:
            return Failed("not a Telegram chat id")
        done, last_id = self._parts_sent.get(item.outbox_id, (0, 0))
        try:
            for index in range(done, len(parts)):
                part = parts[index]
                sent = await self._bot.send_message(
                    chat_id, part.html, parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(part.buttons),
                    link_preview_options=LinkPreviewOptions(is_disabled=True))
                last_id = sent.message_id
                self._parts_sent[item.outbox_id] = (index + 1, last_id)
        except RetryAfter as error:
            return Retry("Telegram: too many requests", after=retry_after(error),
                         whole_channel=True)
        except Forbidden:
            self._parts_sent.pop(item.outbox_id, None)
            return Failed("the parent blocked the bot or left the chat")
        except BadRequest as error:
            self._parts_sent.pop(item.outbox_id, None)
            return Failed(f"Telegram refused the message: {error.message}"[:300])
        except NetworkError as error:   # unreachable, 5xx, timed out: the whole channel waits
            return Retry(f"Telegram unreachable: {type(error).__name__}", whole_channel=True)
        except TelegramError as error:
            return Retry(f"Telegram: {type(error).__name__}")
        self._parts_sent.pop(item.outbox_id, None)
        return Sent(str(last_id))
