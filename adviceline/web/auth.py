"""Staff login: argon2id passwords, a server-side session in an HttpOnly cookie, CSRF tokens.

State-changing staff requests need the session's CSRF token in the X-CSRF-Token header (or the
csrf_token form field) and, when the browser sends one, an Origin of this service.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from adviceline.config import ADVISER, COORDINATOR, COORDINATOR_ROLES, Config
from adviceline.domain import Forbidden, RateLimited, storable
from adviceline.passwords import verify_password_async
from adviceline.storage import repository as repo
from adviceline.storage.models import LoginSession, User
from adviceline.web import pages
from adviceline.web.addresses import client_address, cookie_cannot_stick
from adviceline.web.keys import CLOCK, CONFIG, RATE_LIMITS, SESSIONS

COOKIE = "adviceline_session"
# A browser that logged in as a user before carries this cookie (path /login only); failed
# guesses from elsewhere never lock it out (device cookies, as OWASP describes them).
DEVICE_COOKIE = "adviceline_device"
DEVICE_LIFETIME = timedelta(days=180)
# The console sends this on the refreshes it makes by itself, so they do not keep an unattended
# login alive.
BACKGROUND_HEADER = "X-Adviceline-Background"
TOUCH_EVERY = timedelta(minutes=1)
UNTRUSTED_FACTOR = 4
routes = web.RouteTableDef()


@dataclass(frozen=True)
class Staff:
    user: User
    csrf_token: str


def _hash(token: str) -> str:
    # surrogateescape: a header or cookie with bytes that are not UTF-8 still hashes (to nothing
    # anyone holds) instead of raising.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def tokens_match(sent: str, expected: str) -> bool:
    """A constant-time comparison that also takes non-ASCII input (compare_digest on str
    refuses it with a TypeError)."""
    return hmac.compare_digest(sent.encode("utf-8", "surrogateescape"),
                               expected.encode("utf-8", "surrogateescape"))


def same_origin(request: web.Request) -> bool:
    """False only when the browser says the request comes from another site."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin in (f"{request.scheme}://{request.host}", request.app[CONFIG].public_origin)


async def current_staff(request: web.Request, *, touch: bool | None = None) -> Staff | None:
    """The logged-in staff member, if their session has neither run out nor been idle too
    long. Anything the staff member does moves the idle deadline on; what the page does by
    itself (BACKGROUND_HEADER) does not."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    now = request.app[CLOCK].now()
    async with request.app[SESSIONS]() as session:
        found = await repo.login_session(session, _hash(token), now)
    if found is None:
        return None
    login_session, user = found
    if touch is None:
        touch = request.headers.get(BACKGROUND_HEADER) != "1"
    if touch:
        later = _expiry(request.app[CONFIG], login_session.created_at, now)
        # At most one write a minute per session: reads must not queue behind writes.
        if later - login_session.expires_at >= TOUCH_EVERY:
            async with request.app[SESSIONS].begin() as session:
                await repo.extend_login_session(session, login_session.token_hash, later)
    return Staff(user, login_session.csrf_token)


def _expiry(config: Config, created_at: datetime, now: datetime) -> datetime:
    """The idle deadline from now, never past the session's absolute end."""
    return min(created_at + timedelta(hours=config.session_hours),
               now + timedelta(minutes=config.session_idle_minutes))


def has_role(user: User, role: str) -> bool:
    """`role` is "adviser" or "coordinator"; a regional coordinator is a coordinator too."""
    return user.role in COORDINATOR_ROLES if role == COORDINATOR else user.role == role


async def require_staff(request: web.Request, role: str, *, state_changing: bool = False) -> Staff:
    """The logged-in user with `role`; raises 401/403 otherwise. Checks CSRF on changes."""
    staff = await current_staff(request)
    if staff is None:
        raise web.HTTPUnauthorized(text='{"error": {"code": "login_required", "message": '
                                        '"Log eerst in."}}', content_type="application/json")
    if not has_role(staff.user, role):
        raise Forbidden("Deze pagina is niet voor jouw rol.")
    if state_changing:
        sent = request.headers.get("X-CSRF-Token", "")
        if not same_origin(request) or not tokens_match(sent, staff.csrf_token):
            raise Forbidden("Ongeldig of ontbrekend CSRF-token; laad de pagina opnieuw.")
    return staff


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    return pages.login(error=None, next_path=_next(request),
                       plain_http=cookie_cannot_stick(request))


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    if not same_origin(request):
        raise Forbidden("Inloggen kan alleen vanaf deze site.")
    if cookie_cannot_stick(request):
        # The password is not even checked: the session could not be kept anyway.
        return pages.login(error=None, next_path=_next(request), status=400, plain_http=True)
    wait = request.app[RATE_LIMITS].wait("logins", client_address(request))
    if wait is not None:
        refused = pages.login(error=RateLimited("logins", wait).message,
                              next_path=_next(request), status=429)
        refused.headers["Retry-After"] = str(wait)
        return refused
    form = await request.post()
    username = str(form.get("username", ""))[:64]
    password = str(form.get("password", ""))[:256]
    config, now = request.app[CONFIG], request.app[CLOCK].now()
    if not storable(username) or not storable(password):
        # No account has such a name or password; the database need not be asked.
        return pages.login(error="Onbekende gebruikersnaam of verkeerd wachtwoord.",
                           next_path=_next(request), status=401)
    since = now - timedelta(minutes=config.login_lockout_minutes)
    device = request.cookies.get(DEVICE_COOKIE, "")
    async with request.app[SESSIONS].begin() as session:
        # Count and record in one step: parallel guesses each see the ones before them.
        await repo.take_turn_to_log_in(session, username)
        trusted = bool(device) and await repo.is_login_device(session, _hash(device), username)
        source = _hash(f"device:{device}" if trusted else f"address:{client_address(request)}")
        locked = await repo.failed_logins(session, username, source=source, since=since) >= \
            config.login_max_failures or (not trusted and await repo.failed_logins(
                session, username, source=None, since=since) >= untrusted_limit(config))
        attempt = None if locked else await repo.add_login_attempt(
            session, username=username, source=source, trusted=trusted, at=now)
        user = await repo.user_by_username(session, username)
    if attempt is None:
        # Before the password is checked, so guessing cannot go on during the lockout.
        return pages.login(error=f"Te veel mislukte pogingen. Probeer het over "
                                 f"{config.login_lockout_minutes} minuten opnieuw.",
                           next_path=_next(request), status=429)
    valid = await verify_password_async(user.password_hash if user else None, password)
    if user is None or not valid or not user.active:
        return pages.login(error="Onbekende gebruikersnaam of verkeerd wachtwoord.",
                           next_path=_next(request), status=401)
    token = secrets.token_urlsafe(32)
    device = device if trusted else secrets.token_urlsafe(32)
    async with request.app[SESSIONS].begin() as session:
        await repo.login_attempt_succeeded(session, attempt)
        await repo.purge_login_attempts(session, now - timedelta(days=1))
        await repo.remember_login_device(session, _hash(device), username, now,
                                         forget_before=now - DEVICE_LIFETIME)
        await repo.purge_expired_login_sessions(session, now)
        session.add(LoginSession(token_hash=_hash(token), user_id=user.id,
                                 csrf_token=secrets.token_urlsafe(32), created_at=now,
                                 expires_at=_expiry(config, now, now)))
    home = "/console" if user.role == ADVISER else "/coordinator"
    response = web.HTTPSeeOther(_next(request) or home)
    # No Max-Age: the cookie goes when the browser closes; the server ends the session sooner.
    response.set_cookie(COOKIE, token, httponly=True, secure=config.secure_cookies,
                        samesite="Strict", path="/")
    response.set_cookie(DEVICE_COOKIE, device, httponly=True, secure=config.secure_cookies,
                        samesite="Strict", path="/login",
                        max_age=int(DEVICE_LIFETIME.total_seconds()))
    raise response


def untrusted_limit(config: Config) -> int:
    """Failures from all unknown browsers together that lock out every unknown browser (known
    devices keep working): stops guessing spread over many addresses."""
    return config.login_max_failures * UNTRUSTED_FACTOR


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    if staff is not None:
        form = await request.post()
        if not same_origin(request) or not tokens_match(str(form.get("csrf_token", "")),
                                                        staff.csrf_token):
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
    if staff is None or not has_role(staff.user, role):
        raise web.HTTPSeeOther(f"/login?next=/{'console' if role == ADVISER else 'coordinator'}")
    return staff
