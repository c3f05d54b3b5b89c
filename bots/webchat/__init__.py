"""The web chat channel: the parent's chat page, the JSON API v1 and its websocket.

A conversation is reached only with its token, sent in an Authorization header (HTTP) or in the
websocket's first frame; never in a URL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from adviceline.channels import ParentPort
from adviceline.config import Config
from adviceline.jsonapi import OpenSockets
from bots.webchat import api, socket
from bots.webchat.keys import PORT, SOCKETS

STATIC_DIR = Path(__file__).resolve().parent / "static"


def setup(app: web.Application, port: Callable[[], ParentPort], config: Config) -> None:
    app[PORT] = port
    app[SOCKETS] = OpenSockets()
    app.on_shutdown.append(app[SOCKETS].close_all)
    app.add_routes(api.routes)
    app.router.add_get("/api/v1/conversation/ws", socket.websocket)
    app.router.add_get("/", _index)
    # At the root, so the service worker's scope covers the chat page.
    app.router.add_get("/sw.js", _service_worker)
    app.router.add_static("/chat/static", STATIC_DIR)


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def _service_worker(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "sw.js",
                            headers={"Content-Type": "text/javascript; charset=utf-8"})
