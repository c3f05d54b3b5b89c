"""Open websockets, so shutdown can say goodbye instead of waiting for every browser to leave."""

from __future__ import annotations

import weakref

from aiohttp import WSCloseCode, web


class OpenSockets:
    def __init__(self) -> None:
        self._sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    def add(self, socket: web.WebSocketResponse) -> None:
        self._sockets.add(socket)

    async def close_all(self, _app: web.Application | None = None) -> None:
        """An on_shutdown hook: clients see 1001 (going away) and reconnect to what comes next."""
        for socket in list(self._sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
