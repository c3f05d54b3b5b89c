"""Every typed application key in one place."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adviceline.advisers import AdviserDesk
from adviceline.alerts import CrisisWatch
from adviceline.channels import ParentPort
from adviceline.clock import Clock
from adviceline.config import Config
from adviceline.demo import DemoHistory
from adviceline.dispatch import Dispatcher
from adviceline.erasure import Erasure
from adviceline.faq import Faq
from adviceline.notify import Notifier
from adviceline.pg_wakeups import PostgresWakeups
from adviceline.pipeline import Pipeline
from adviceline.ratelimit import RateLimiter
from adviceline.rota import RotaBook
from adviceline.tasks import BackgroundTasks
from adviceline.web.sockets import OpenSockets

CONFIG = web.AppKey("config", Config)
CLOCK = web.AppKey("clock", Clock)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
FAQ = web.AppKey("faq", Faq)
NOTIFIER = web.AppKey("notifier", Notifier)
TASKS = web.AppKey("tasks", BackgroundTasks)
PIPELINE = web.AppKey("pipeline", Pipeline)
DESK = web.AppKey("desk", AdviserDesk)
PARENT_PORT = web.AppKey("parent_port", ParentPort)
READY = web.AppKey("ready", dict[str, bool])
RETRY_SECONDS = web.AppKey("retry_seconds", float)
PURGE_SECONDS = web.AppKey("purge_seconds", float)
ERASURE = web.AppKey("erasure", Erasure)
CONSOLE_SOCKETS = web.AppKey("console_sockets", OpenSockets)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
ROTA = web.AppKey("rota", RotaBook)
RATE_LIMITS = web.AppKey("rate_limits", RateLimiter)
CRISIS_WATCH = web.AppKey("crisis_watch", CrisisWatch)
DEMO_HISTORY = web.AppKey("demo_history", DemoHistory)   # serve --demo only
WAKEUPS = web.AppKey("wakeups", PostgresWakeups)   # PostgreSQL only: LISTEN/NOTIFY relay
