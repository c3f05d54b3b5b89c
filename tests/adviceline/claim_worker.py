"""A service process's claiming, alone: advisers (asyncio tasks) that take waiting questions at
random through `AdviserDesk.claim`, the console's own code path, until none is left.

Run by tests/adviceline/test_claims_many_processes.py as a separate OS process:

    python -m tests.adviceline.claim_worker DATABASE_URL SHIFT until-empty|until-stop USER...

SHIFT (seconds) moves the system clock (every process shares it, so presence times agree). Prints
`ready` once connected, starts at the line `go` on stdin, and prints one line
`claimed QUESTION USER` per claim it was told succeeded. `until-empty`: it stops when nothing
waits; `until-stop`: it keeps its consoles open (and claims what comes back to the queue) until
the line `stop` on stdin, then finishes what still waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from adviceline.advisers import Adviser, AdviserDesk
from adviceline.cli import DEMO_USERS_FILE
from adviceline.config import Secret, load_config, load_demo_users
from adviceline.domain import Conflict, NotFound
from adviceline.notify import Notifier
from adviceline.storage import repository as repo
from adviceline.storage.engine import create_engine, session_factory
from adviceline.storage.models import Question

BATCH = 40
SEEN_EVERY = 0.5   # seconds: how often an adviser's console says it is open


class ShiftedClock:
    def __init__(self, shift: timedelta) -> None:
        self._shift = shift

    def now(self) -> datetime:
        return datetime.now(UTC) + self._shift


async def adviser_loop(desk: AdviserDesk, sessions: object, adviser: Adviser, username: str,
                       stopped: asyncio.Event | None, seed: int) -> None:
    chooser = random.Random(seed)
    last_seen = 0.0
    loop = asyncio.get_running_loop()
    while True:
        if loop.time() - last_seen >= SEEN_EVERY:
            # "busy": the console is open (seen now), no offers, claims are kept.
            await desk.set_presence(adviser, "busy")
            last_seen = loop.time()
        async with sessions() as session:   # type: ignore[operator]
            ids = list(await session.scalars(
                select(Question.id).where(Question.status == "waiting")
                .order_by(func.random()).limit(BATCH)))
        if not ids:
            if stopped is None or stopped.is_set():
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.05):
                    await stopped.wait()
            continue
        chooser.shuffle(ids)
        for question_id in ids:
            try:
                await desk.claim(adviser, question_id)
            except (Conflict, NotFound):
                continue   # someone else was first
            print(f"claimed {question_id} {username}", flush=True)


async def read_line() -> str:
    return await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def main(url: str, shift: float, until_stop: bool, usernames: list[str]) -> None:
    config = load_demo_users(DEMO_USERS_FILE, load_config(environ={}))
    config = replace(config, database_url=Secret(url))
    engine = create_engine(url)
    sessions = session_factory(engine)
    desk = AdviserDesk(sessions=sessions, config=config,
                       clock=ShiftedClock(timedelta(seconds=shift)), notifier=Notifier(),
                       topics=lambda: ())
    advisers = []
    async with sessions() as session:
        for username in usernames:
            user = await repo.user_by_username(session, username)
            if user is None:
                raise SystemExit(f"no user {username}")
            advisers.append((Adviser.from_user(user), username))
    print("ready", flush=True)
    if await read_line() != "go\n":
        raise SystemExit("expected 'go'")
    stopped = asyncio.Event() if until_stop else None

    async def stop_when_told() -> None:
        if stopped is not None and await read_line() == "stop\n":
            stopped.set()

    listener = asyncio.create_task(stop_when_told())
    try:
        await asyncio.gather(*(adviser_loop(desk, sessions, adviser, username, stopped, n)
                               for n, (adviser, username) in enumerate(advisers)))
    finally:
        listener.cancel()
        await engine.dispose()


if __name__ == "__main__":
    url, shift, mode, *names = sys.argv[1:]
    asyncio.run(main(url, float(shift), mode == "until-stop", names))
