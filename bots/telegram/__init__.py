"""The Telegram channel: parents ask through a messenger bot (python-telegram-bot).

Updates come in by webhook (a route on our server) or long polling, as `[telegram] mode` says;
they are stored before Telegram is told we have them, handled in order, and every reply is
pushed by the outbox. Without `[telegram] token` there is no bot.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from adviceline.channels import ParentPort
from adviceline.config import Config
from bots.telegram.bot import TelegramBot

BOT = web.AppKey("telegram_bot", TelegramBot)


def setup(app: web.Application, port: Callable[[], ParentPort], config: Config) -> None:
    settings = config.telegram
    if not settings.enabled:
        return
    bot = TelegramBot(settings, port)
    app[BOT] = bot
    if settings.mode == "webhook":
        app.router.add_post(settings.webhook_path, bot.webhook)
    app.cleanup_ctx.append(bot.lifetime)
