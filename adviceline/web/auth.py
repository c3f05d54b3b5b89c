"""Staff login: argon2id passwords, a server-side session in an HttpOnly cookie, CSRF tokens.

State-changing staff requests need the session's CSRF token in the X-CSRF-Token header (or the
csrf_token form field) and, when the browser sends one, an Origin of this service.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from adviceline.domain import Forbidden
from adviceline.passwords import verify_password_async
from adviceline.storage import repository as repo
from adviceline.storage.models import LoginSession, User
from adviceline.web import pages
from adviceline.web.keys import CLOCK, CONFIG, SESSIONS

COOKIE = "adviceline_session"
routes = web.RouteTableDef()


@dataclass(frozen=True)
class Staff:
    user: User
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_origin(request: web.Request) -> bool:
    """False only when the browser says the request comes from another site."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin in (f"{request.scheme}://{request.host}", request.app[CONFIG].public_origin)


async def current_staff(request: web.Request) -> Staff | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    async with request.app[SESSIONS]() as session:
        found = await repo.login_session(session, _hash(token), request.app[CLOCK].now())
    return Staff(found[1], found[0].csrf_token) if found else None


async def require_staff(request: web.Request, role: str, *, state_changing: bool = False) -> Staff:
    """The logged-in user with `role`; raises 401/403 otherwise. Checks CSRF on changes."""
    staff = await current_staff(request)
    if staff is None:
        raise web.HTTPUnauthorized(text='{"error": {"code": "login_required", "message": '
                                        '"Log eerst in."}}', content_type="application/json")
    if staff.user.role != role:
        raise Forbidden("Deze pagina is niet voor jouw rol.")
    if state_changing:
        sent = request.headers.get("X-CSRF-Token", "")
        if not same_origin(request) or not hmac.compare_digest(sent, staff.csrf_token):
            raise Forbidden("Ongeldig of ontbrekend CSRF-token; laad de pagina opnieuw.")
    return staff


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    return pages.login(error=None, next_path=_next(request))


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    if not same_origin(request):
        raise Forbidden("Inloggen kan alleen vanaf deze site.")
    form = await request.post()
    username = str(form.get("username", ""))[:64]
    password = str(form.get("password", ""))[:256]
    config, now = request.app[CONFIG], request.app[CLOCK].now()
    lockout = timedelta(minutes=config.login_lockout_minutes)
    async with request.app[SESSIONS]() as session:
        failures = await repo.failed_logins_since(session, username, now - lockout)
        user = await repo.user_by_username(session, username)
    if failures >= config.login_max_failures:
        # Checked before the password, so guessing cannot go on during the lockout.
        return pages.login(error=f"Te veel mislukte pogingen. Probeer het over "
                                 f"{config.login_lockout_minutes} minuten opnieuw.",
                           next_path=_next(request), status=429)
    valid = await verify_password_async(user.password_hash if user else None, password)
    succeeded = user is not None and valid and user.active
    async with request.app[SESSIONS].begin() as session:
        await repo.record_login_attempt(session, username, succeeded, now)
        await repo.purge_login_attempts(session, now - timedelta(days=1))
    if user is None or not succeeded:
        return pages.login(error="Onbekende gebruikersnaam of verkeerd wachtwoord.",
                           next_path=_next(request), status=401)
    token = secrets.token_urlsafe(32)
    async with request.app[SESSIONS].begin() as session:
        await repo.purge_expired_login_sessions(session, now)
        session.add(LoginSession(token_hash=_hash(token), user_id=user.id,
                                 csrf_token=secrets.token_urlsafe(32), created_at=now,
                                 expires_at=now + timedelta(hours=config.session_hours)))
    home = "/console" if user.role == "adviser" else "/coordinator"
    response = web.HTTPSeeOther(_next(request) or home)
    response.set_cookie(COOKIE, token, httponly=True, secure=config.secure_cookies,
                        samesite="Strict", path="/", max_age=config.session_hours * 3600)
    raise response


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    if staff is not None:
        form = await request.post()
        if not same_origin(request) or not hmac.compare_digest(
                str(form.get("csrf_token", "")), staff.csrf_token):
            raise Forbidden("Ongeldig CSRF-token.")
        async with request.app[SESSIONS].begin() as session:
            await repo.end_login_session(session, _hash(request.cookies[COOKIE]))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


def _next(request: web.Request) -> str | None:
    # Only local paths, so the login page cannot be used to send staff elsewhere.
    target = request.query.get("next", "")
    return target if target in ("/console", "/coordinator") else None


async def staff_page(request: web.Request, role: str) -> Staff:
    """For HTML pages: the staff member, or a redirect to the login page."""
    staff = await current_staff(request)
    if staff is None or staff.user.role != role:
        raise web.HTTPSeeOther(f"/login?next=/{'console' if role == 'adviser' else 'coordinator'}")
    return staff
