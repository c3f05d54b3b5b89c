"""JSON over HTTP and websockets, for every web-facing part (channel adapters and staff pages):
error bodies, reading a JSON body, upgrading to a websocket, and the open sockets to close."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import weakref
from typing import Any

from aiohttp import WSCloseCode, web

from adviceline.domain import AdvicelineError, NotFound

log = logging.getLogger(__name__)
PREPARED_SOCKET = web.RequestKey("prepared_socket", web.WebSocketResponse)
CLOSE_SECONDS = 5.0


class BadRequest(AdvicelineError):
    code, status = "bad_request", 400


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 that says what is wrong with it."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text=json.dumps(
            {"error": {"code": "unsupported_media_type",
                       "message": "Send the body as application/json."}}),
            content_type="application/json")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise BadRequest("The body is nested too deeply.") from exc
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    return body


def client_address(request: web.Request, trust_forwarded_for: bool) -> str:
    """The client's address; an IPv6 client counts as its /64 (one household or phone).

    Behind a reverse proxy (`trust_forwarded_for`), the proxy's own X-Forwarded-For entry (the
    last one) is the client; entries before it are whatever the client claimed, and ignored.
    """
    address = request.remote or ""
    if trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        address = last or address
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)


MAX_ROW_ID = 2**31 - 1   # integer keys are 32-bit on PostgreSQL


def path_id(request: web.Request, name: str) -> int:
    """A numeric id from the URL (the route allows digits only); one past any row that can
    exist is simply not found, instead of an overflow in the database driver."""
    value = int(request.match_info[name])
    if value > MAX_ROW_ID:
        raise NotFound("Dit bestaat niet (meer).")
    return value


async def prepare_socket(request: web.Request, socket: web.WebSocketResponse) -> None:
    """Upgrade to a websocket; from then on an error closes the socket (1011), never an HTTP
    response written into it."""
    await socket.prepare(request)
    request[PREPARED_SOCKET] = socket


class OpenSockets:
    """Open websockets, so shutdown can say goodbye instead of waiting for every browser."""

    def __init__(self) -> None:
        self._sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    def add(self, socket: web.WebSocketResponse) -> None:
        self._sockets.add(socket)

    async def close_all(self, _app: web.Application | None = None,
                        timeout: float = CLOSE_SECONDS) -> None:
        """An on_shutdown hook: clients see 1001 (going away) and reconnect to what comes next.

        All at once, and for at most `timeout` seconds: a client that never answers the close
        frame is cut off by the server's own shutdown, not waited for.
        """
        sockets = [socket for socket in list(self._sockets) if not socket.closed]
        if not sockets:
            return
        closing = [asyncio.ensure_future(socket.close(code=WSCloseCode.GOING_AWAY,
                                                      message=b"server shutting down"))
                   for socket in sockets]
        _done, pending = await asyncio.wait(closing, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*closing, return_exceptions=True)
        if pending:
            log.warning("websockets did not answer the close in time",
                        extra={"count": len(pending)})
