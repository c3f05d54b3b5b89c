"""The composition root: configuration, database, knowledge base, channels and background work.

Lifetimes follow aiohttp's cleanup_ctx: each resource is made before the server takes requests
and released, in reverse order, after it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adviceline.advisers import AdviserDesk
from adviceline.alerts import CrisisWatch, watch_periodically
from adviceline.channels import ParentPort
from adviceline.clock import Clock, SystemClock
from adviceline.config import Config
from adviceline.demo import seed_demo_history
from adviceline.dispatch import Dispatcher, dispatching
from adviceline.erasure import Erasure
from adviceline.faq import Faq
from adviceline.notify import KNOWLEDGE_BASE, Notifier
from adviceline.pg_wakeups import cross_process_wakeups
from adviceline.pipeline import Pipeline
from adviceline.pushchannels import PushChannels
from adviceline.ratelimit import RateLimiter
from adviceline.resume import ResumeCodes
from adviceline.rota import RotaBook
from adviceline.storage.engine import create_engine, migrate, session_factory
from adviceline.tasks import BackgroundTasks, finish_round
from adviceline.users import sync_users
from adviceline.waiting import WaitingTimes
from adviceline.web import auth, console, coordinator, health, rota, staff
from adviceline.web.errors import error_middleware, security_headers
from adviceline.web.keys import (
    CLOCK,
    CONFIG,
    CONSOLE_SOCKETS,
    CRISIS_WATCH,
    DEMO_HISTORY,
    DESK,
    DISPATCHER,
    ENGINE,
    ERASURE,
    FAQ,
    NOTIFIER,
    PARENT_PORT,
    PIPELINE,
    PURGE_SECONDS,
    RATE_LIMITS,
    READY,
    RETRY_SECONDS,
    ROTA,
    SESSIONS,
    TASKS,
    WAKEUPS,
)
from adviceline.web.sockets import OpenSockets
from adviceline.webpush import WebPush

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
CHANNELS = ("webchat", "telegram", "email")
MAX_BODY_BYTES = 64 * 1024
# Shutdown never waits longer than this for one resource (background work, the database pool):
# a stuck one is cancelled or abandoned and logged, so a restart is not held up by it.
SHUTDOWN_SECONDS = 10.0
ALERT_SECONDS = 60.0   # how often operator alerts (a crisis waiting too long) are checked


def create_app(config: Config, clock: Clock | None = None,
               retry_seconds: float = 30.0, purge_seconds: float = 3600.0,
               faq: Faq | None = None) -> web.Application:
    """`faq`: a knowledge base already loaded (tests share one; building it costs seconds of
    CPU); its matcher is used when it was built from the same files and matcher settings."""
    app = web.Application(middlewares=[security_headers, error_middleware],
                          client_max_size=MAX_BODY_BYTES)
    app[CONFIG] = config
    app[CLOCK] = clock or SystemClock()
    app[NOTIFIER] = Notifier()
    app[TASKS] = BackgroundTasks()
    app[READY] = {}
    app[RETRY_SECONDS] = retry_seconds
    app[PURGE_SECONDS] = purge_seconds
    app[CONSOLE_SOCKETS] = OpenSockets()
    app[RATE_LIMITS] = RateLimiter(config.rate_limits, app[CLOCK])
    # Loading the knowledge base up front makes a broken one fail the start, not a parent.
    app[FAQ] = faq.for_config(config) if faq is not None else Faq(config)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_wakeups)
    app.cleanup_ctx.append(_core)
    app.cleanup_ctx.append(_retention)
    app.cleanup_ctx.append(_dispatching)
    app.cleanup_ctx.append(_alerts)
    app.on_shutdown.append(_stopping)
    app.on_shutdown.append(app[CONSOLE_SOCKETS].close_all)

    app.add_routes(health.routes)
    app.add_routes(auth.routes)
    app.add_routes(console.routes)
    app.add_routes(coordinator.routes)
    app.add_routes(rota.routes)
    app.add_routes(staff.routes)
    app.router.add_static("/staff/static", STATIC_DIR)
    for name in CHANNELS:
        importlib.import_module(f"bots.{name}").setup(app, lambda: app[PARENT_PORT], config)
    return app


async def open_database(config: Config) -> AsyncEngine:
    """The engine, with the schema migrated and the configuration's staff in the users table.
    Safe when several processes start at once on a fresh database: each step takes a
    PostgreSQL advisory lock (migrations, user sync), so one process does it and the others
    then find it done."""
    engine = create_engine(config.database_url.reveal())
    try:
        await migrate(engine)
        await sync_users(session_factory(engine), config.users)
    except BaseException:
        await engine.dispose()
        raise
    return engine


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = await open_database(app[CONFIG])
    app[ENGINE] = engine
    app[SESSIONS] = session_factory(engine)
    yield
    try:
        await asyncio.wait_for(engine.dispose(), SHUTDOWN_SECONDS)
    except TimeoutError:
        log.error("closing the database connections took too long; left to the OS",
                  extra={"seconds": SHUTDOWN_SECONDS})


async def _wakeups(app: web.Application) -> AsyncIterator[None]:
    """On PostgreSQL, publishes reach the other service processes (LISTEN/NOTIFY), and a
    knowledge-base reload in another process (the coordinator's button) is followed here."""
    async with cross_process_wakeups(app[NOTIFIER],
                                     app[CONFIG].database_url.reveal()) as wakeups:
        if wakeups is None:
            yield
            return
        app[WAKEUPS] = wakeups
        following = asyncio.create_task(_follow_reloads(app[FAQ], app[NOTIFIER]))
        yield
        following.cancel()
        await _cancelled(following)


async def _core(app: web.Application) -> AsyncIterator[None]:
    config, clock, notifier = app[CONFIG], app[CLOCK], app[NOTIFIER]
    app[ROTA] = RotaBook(sessions=app[SESSIONS], config=config, clock=clock)
    app[PIPELINE] = Pipeline(sessions=app[SESSIONS], faq=app[FAQ], config=config, clock=clock,
                             notifier=notifier, tasks=app[TASKS],
                             waiting=WaitingTimes(config, app[ROTA]))
    app[DESK] = AdviserDesk(sessions=app[SESSIONS], config=config, clock=clock,
                            notifier=notifier, topics=app[FAQ].topics)
    push = WebPush(sessions=app[SESSIONS], settings=config.web_push, clock=clock,
                   notifier=notifier)
    if push.enabled:
        await push.start()
    app[ERASURE] = Erasure(sessions=app[SESSIONS], clock=clock, notifier=notifier,
                           retention_days=config.retention_days)
    channels = PushChannels(sessions=app[SESSIONS], clock=clock, notifier=notifier,
                            faq=app[FAQ], config=config)
    app[PARENT_PORT] = ParentPort(app[PIPELINE], notifier, config,
                                  poll_seconds=config.live_fallback_seconds,
                                  _resume=ResumeCodes(app[SESSIONS], clock), _push=push,
                                  _channels=channels, _erasure=app[ERASURE],
                                  _limits=app[RATE_LIMITS])
    if config.demo:
        app[DEMO_HISTORY] = await seed_demo_history(app[SESSIONS], app[FAQ], config, clock)
        log.info("demo history", extra={"questions": app[DEMO_HISTORY].questions})
    try:
        recovered = await app[PIPELINE].handle_pending()
    except Exception:
        # The database failing now must not stop the start: the retry loop tries again.
        log.exception("handling messages left over from the last run failed; will try again")
    else:
        if recovered:
            log.info("tried messages left over from the last run", extra={"count": recovered})
    retry = asyncio.create_task(_retry_unhandled(app[PIPELINE], app[RETRY_SECONDS]))
    pushing = asyncio.create_task(push.run()) if push.enabled else None
    app[READY]["started"] = True
    yield
    retry.cancel()
    if pushing is not None:
        pushing.cancel()
    await _cancelled(retry, *([pushing] if pushing else []))
    await app[TASKS].drain(timeout=SHUTDOWN_SECONDS)


async def _dispatching(app: web.Application) -> AsyncIterator[None]:
    """Offers, lapsed offers, the pool and reclaims every [routing] dispatch_seconds (0: off)."""
    config = app[CONFIG]
    if config.email is None and any(user.email for user in config.users):
        # The calls still reach the consoles; the operator should know the mails do not go.
        log.warning("staff have e-mail addresses but [email] is not configured: on-call calls "
                    "are shown in the console only")
    app[DISPATCHER] = Dispatcher(sessions=app[SESSIONS], config=config, clock=app[CLOCK],
                                 notifier=app[NOTIFIER], rota=app[ROTA])
    if config.routing.dispatch_seconds <= 0:
        yield
        return
    async with dispatching(app[DISPATCHER]):
        yield


async def _retention(app: web.Application) -> AsyncIterator[None]:
    """Erase conversations past the retention period: at start-up, then every purge_seconds
    (the cut-off comes from the app's Clock, so tests move time instead of waiting)."""
    task = asyncio.create_task(_purge_periodically(app[ERASURE], app[PURGE_SECONDS]))
    yield
    task.cancel()
    await _cancelled(task)


async def _alerts(app: web.Application) -> AsyncIterator[None]:
    """Operator alerts that no request raises (README "Operations": events to alert on)."""
    app[CRISIS_WATCH] = CrisisWatch(app[SESSIONS], app[CLOCK],
                                    app[CONFIG].alert_crisis_waiting_minutes)
    task = asyncio.create_task(watch_periodically(app[CRISIS_WATCH], ALERT_SECONDS))
    yield
    task.cancel()
    await _cancelled(task)


async def _cancelled(*tasks: asyncio.Task[None]) -> None:
    """Wait for cancelled tasks to end, at most SHUTDOWN_SECONDS (a task that swallows its
    cancellation must not hold the shutdown)."""
    _done, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_SECONDS)
    if pending:
        log.error("background tasks did not stop in time",
                  extra={"tasks": sorted(task.get_name() for task in pending)})


async def _purge_periodically(erasure: Erasure, every: float) -> None:
    while True:
        try:
            await finish_round(erasure.purge_expired())
        except Exception:
            log.exception("erasing conversations past the retention period failed; "
                          "will try again")
        await asyncio.sleep(every)


async def _retry_unhandled(pipeline: Pipeline, every: float) -> None:
    """A message whose handling failed (a database hiccup, say) or never got a task (a flood)
    is stored; try it again when due (each message has its own backoff), every `every` seconds
    or as soon as the pipeline reports a backlog."""
    while True:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
        # arrives as the event is set, and this loop would then never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(every):
                await pipeline.backlog.wait()
        pipeline.backlog.clear()
        try:
            retried = await finish_round(pipeline.handle_pending())
        except Exception:
            log.exception("retrying unhandled messages failed; will try again")
            continue
        if retried:
            log.info("tried messages whose handling had not finished", extra={"count": retried})


async def _follow_reloads(faq: Faq, notifier: Notifier) -> None:
    """Reload the knowledge base whenever another process says it reloaded its own."""
    wake = notifier.listen(KNOWLEDGE_BASE)
    while True:
        await wake
        wake = notifier.listen(KNOWLEDGE_BASE)   # a reload announced meanwhile is not missed
        try:
            await finish_round(faq.reload_async())
        except Exception:
            log.exception("reloading the knowledge base as another process did failed; "
                          "this process keeps the one it had")


async def _stopping(app: web.Application) -> None:
    app[READY]["stopping"] = True
