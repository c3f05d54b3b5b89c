"""Where a request comes from: the client address, as far as this service can tell (see
`adviceline.jsonapi.client_address`; `service.trust_forwarded_for` behind a reverse proxy)."""

from __future__ import annotations

from aiohttp import web

from adviceline.jsonapi import client_address as _client_address
from adviceline.web.keys import CONFIG


def client_address(request: web.Request) -> str:
    return _client_address(request, request.app[CONFIG].trust_forwarded_for)


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def cookie_cannot_stick(request: web.Request) -> bool:
    """True when the login cookie is `Secure` but this request came over plain HTTP from a
    browser that will therefore drop it (every address but loopback, which browsers trust):
    logging in would loop back to the login page without a word. Behind a TLS-terminating proxy
    the proxy's X-Forwarded-Proto counts when `service.trust_forwarded_for` is on."""
    config = request.app[CONFIG]
    if not config.secure_cookies or request.secure:
        return False
    if config.trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
        if forwarded == "https":
            return False
    host = (request.host or "").lower()
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return name not in LOOPBACK_HOSTS
