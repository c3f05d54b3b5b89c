"""Coordinators and their staff: where on-call calls are e-mailed (JSON API), and the calls a
coordinator got (a crisis, or a question nobody on call took)."""

from __future__ import annotations

from aiohttp import web

from adviceline.advisers import Adviser
from adviceline.users import change_email, staff_of
from adviceline.web.auth import require_staff
from adviceline.web.errors import path_id, read_json
from adviceline.web.keys import CLOCK, DESK, SESSIONS

routes = web.RouteTableDef()


@routes.get("/coordinator/api/staff")
async def staff_json(request: web.Request) -> web.Response:
    """The staff this coordinator manages (a regional coordinator: everyone), with e-mail."""
    staff = await require_staff(request, "coordinator")
    return web.json_response({"staff": await staff_of(request.app[SESSIONS], staff.user)})


@routes.put("/coordinator/api/staff/{username}/email")
async def set_email(request: web.Request) -> web.Response:
    """{"email": "a@b.nl"} sets, {"email": ""} or null removes, where on-call calls are mailed."""
    staff = await require_staff(request, "coordinator", state_changing=True)
    body = await read_json(request)
    return web.json_response(await change_email(
        request.app[SESSIONS], staff.user, request.match_info["username"], body.get("email"),
        request.app[CLOCK].now()))


@routes.get("/coordinator/api/on-call")
async def on_call(request: web.Request) -> web.Response:
    """The calls this coordinator got and has not marked seen (as the console's, no content)."""
    staff = await require_staff(request, "coordinator")
    return web.json_response({"notices": await request.app[DESK].on_call(
        Adviser.from_user(staff.user))})


@routes.post("/coordinator/api/on-call/{notice_id:[0-9]{1,10}}/seen")
async def on_call_seen(request: web.Request) -> web.Response:
    staff = await require_staff(request, "coordinator", state_changing=True)
    await request.app[DESK].on_call_seen(Adviser.from_user(staff.user),
                                         path_id(request, "notice_id"))
    return web.json_response({"status": "seen"})
