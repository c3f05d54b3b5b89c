"""Errors become JSON with a clear message and the right status; pages get safe headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import WSCloseCode, web

from adviceline.domain import AdvicelineError, RateLimited

# Shared with the channel adapters; re-exported here for the staff pages.
from adviceline.jsonapi import (
    PREPARED_SOCKET,
    BadRequest,
    json_error,
    path_id,
    prepare_socket,
    read_json,
)

__all__ = ["BadRequest", "error_middleware", "json_error", "path_id", "prepare_socket",
           "read_json", "security_headers"]

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # not no-referrer: with it, Chrome sends "Origin: null" on same-origin form posts.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                                "form-action 'self'; base-uri 'none'"),
}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except RateLimited as exc:
        refused = json_error(exc.status, exc.code, exc.message)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    except AdvicelineError as exc:
        return json_error(exc.status, exc.code, exc.message)
    except web.HTTPRequestEntityTooLarge:
        return json_error(413, "too_large", "The request body is too large.")
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        return json_error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        socket: web.WebSocketResponse | None = request.get(PREPARED_SOCKET)
        if socket is not None:
            # The connection is a websocket now: an HTTP 500 written into it would be garbage.
            await socket.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")
            return socket
        return json_error(500, "internal", "Something went wrong on our side; please try again.")
    return response


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        # Raised redirects and 401s are responses too (a login redirect, the console's 401).
        _add_security_headers(exc)
        raise
    if not response.prepared:
        _add_security_headers(response)
    return response


def _add_security_headers(response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
