from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from adviceline.channels import ParentPort
from adviceline.jsonapi import OpenSockets

PORT: web.AppKey[Callable[[], ParentPort]] = web.AppKey("webchat_port")
SOCKETS = web.AppKey("webchat_sockets", OpenSockets)
CHANNEL = "web"
