"""Liveness and readiness for the process manager or load balancer."""

from __future__ import annotations

import os

from aiohttp import web
from sqlalchemy import text

from adviceline.web.keys import ENGINE, READY

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    # The pid tells which process answered when several serve one port (serve --workers).
    return web.json_response({"status": "ok", "pid": os.getpid()})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    if not request.app[READY].get("started") or request.app[READY].get("stopping"):
        return web.json_response({"status": "not ready"}, status=503)
    try:
        async with request.app[ENGINE].connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ready"})
