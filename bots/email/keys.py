"""The e-mail channel's application keys."""

from __future__ import annotations

from aiohttp import web

from bots.email.service import EmailService

SERVICE = web.AppKey("email_service", EmailService)
