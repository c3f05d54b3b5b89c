"""Errors become JSON with a clear message and the right status; pages get safe headers."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from adviceline.domain import AdvicelineError

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


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
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
        return json_error(500, "internal", "Something went wrong on our side; please try again.")
    return response


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
    return response


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
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    return body


class BadRequest(AdvicelineError):
    code, status = "bad_request", 400
