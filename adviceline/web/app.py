"""The composition root: configuration, database, knowledge base, channels and background work.

Lifetimes follow aiohttp's cleanup_ctx: each resource is made before the server takes requests
and released, in reverse order, after it stops.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from adviceline.advisers import AdviserDesk
from adviceline.channels import ParentPort
from adviceline.clock import Clock, SystemClock
from adviceline.config import Config
from adviceline.demo import seed_demo_history
from adviceline.faq import Faq
from adviceline.notify import Notifier
from adviceline.pipeline import Pipeline
from adviceline.storage.engine import create_engine, migrate, session_factory
from adviceline.tasks import BackgroundTasks
from adviceline.users import sync_users
from adviceline.web import auth, console, coordinator, health
from adviceline.web.errors import error_middleware, security_headers
from adviceline.web.keys import (
    CLOCK,
    CONFIG,
    CONSOLE_SOCKETS,
    DESK,
    ENGINE,
    FAQ,
    NOTIFIER,
    PARENT_PORT,
    PIPELINE,
    READY,
    RETRY_SECONDS,
    SESSIONS,
    TASKS,
)
from adviceline.web.sockets import OpenSockets

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
CHANNELS = ("webchat",)
MAX_BODY_BYTES = 64 * 1024


def create_app(config: Config, clock: Clock | None = None,
               retry_seconds: float = 30.0) -> web.Application:
    app = web.Application(middlewares=[security_headers, error_middleware],
                          client_max_size=MAX_BODY_BYTES)
    app[CONFIG] = config
    app[CLOCK] = clock or SystemClock()
    app[NOTIFIER] = Notifier()
    app[TASKS] = BackgroundTasks()
    app[READY] = {}
    app[RETRY_SECONDS] = retry_seconds
    app[CONSOLE_SOCKETS] = OpenSockets()
    # Loading the knowledge base up front makes a broken one fail the start, not a parent.
    app[FAQ] = Faq(config)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_core)
    app.on_shutdown.append(_stopping)
    app.on_shutdown.append(app[CONSOLE_SOCKETS].close_all)

    app.add_routes(health.routes)
    app.add_routes(auth.routes)
    app.add_routes(console.routes)
    app.add_routes(coordinator.routes)
    app.router.add_static("/staff/static", STATIC_DIR)
    for name in CHANNELS:
        importlib.import_module(f"bots.{name}").setup(app, lambda: app[PARENT_PORT])
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    engine = create_engine(config.database_url.reveal())
    await migrate(engine)
    app[ENGINE] = engine
    app[SESSIONS] = session_factory(engine)
    await sync_users(app[SESSIONS], config.users)
    yield
    await engine.dispose()


async def _core(app: web.Application) -> AsyncIterator[None]:
    config, clock, notifier = app[CONFIG], app[CLOCK], app[NOTIFIER]
    app[PIPELINE] = Pipeline(sessions=app[SESSIONS], faq=app[FAQ], config=config, clock=clock,
                             notifier=notifier, tasks=app[TASKS])
    app[DESK] = AdviserDesk(sessions=app[SESSIONS], config=config, clock=clock,
                            notifier=notifier, topics=app[FAQ].kb.topics.keys())
    app[PARENT_PORT] = ParentPort(app[PIPELINE], notifier, config)
    if config.demo:
        seeded = await seed_demo_history(app[SESSIONS], app[FAQ], config, clock)
        log.info("demo history", extra={"questions": seeded})
    recovered = await app[PIPELINE].handle_pending()
    if recovered:
        log.info("handled messages left over from the last run", extra={"count": recovered})
    retry = asyncio.create_task(_retry_unhandled(app[PIPELINE], app[RETRY_SECONDS]))
    app[READY]["started"] = True
    yield
    retry.cancel()
    await asyncio.gather(retry, return_exceptions=True)
    await app[TASKS].drain()


async def _retry_unhandled(pipeline: Pipeline, every: float) -> None:
    """A message whose handling failed (a database hiccup, say) is stored; try it again."""
    while True:
        await asyncio.sleep(every)
        try:
            retried = await pipeline.handle_pending()
        except Exception:
            log.exception("retrying unhandled messages failed; will try again")
            continue
        if retried:
            log.info("handled messages that had failed before", extra={"count": retried})


async def _stopping(app: web.Application) -> None:
    app[READY]["stopping"] = True
