from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from adviceline.channels import ParentPort

PORT: web.AppKey[Callable[[], ParentPort]] = web.AppKey("webchat_port")
CHANNEL = "web"
