"""What the rate limits let through: one address flooding the real service over loopback.

Starts the app (the same create_app as `adviceline serve`, the shipped [rate_limits]) on
127.0.0.1 with a fresh SQLite database, then, for SECONDS each, floods it from one address
(X-Forwarded-For, as behind the reverse proxy) with new conversations, messages (HTTP),
websocket upgrades and wrong logins, while a second address does the same at a parent's pace.
Reports per kind what the flood sent, what was accepted and refused (429), and whether the
other address was ever refused. Then a crisis flood: one address opens conversations and sends
a crisis message in each as fast as it is let, while another parent sends one real crisis
afterwards; it reports how many fake crises reached crisis priority, how many were marked
"possible flood", and where the real crisis stands in an Enschede adviser's queue. Last, what
one limiter check costs.

    python bench/rate_limits.py [--seconds 5]

Bounded: it stops by itself; everything goes to loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adviceline.advisers import Adviser
from adviceline.cli import DEMO_USERS_FILE
from adviceline.clock import SystemClock
from adviceline.config import Secret, load_config, load_demo_users
from adviceline.ratelimit import RateLimiter
from adviceline.storage import repository as repo
from adviceline.web.app import create_app
from adviceline.web.keys import DESK, SESSIONS, TASKS

FLOOD, PARENT = "203.0.113.66", "198.51.100.7"
TEXT = "Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?"
CRISIS = "Mijn man slaat mij en de kinderen, ik ben bang voor vanavond"


async def conversation(http: aiohttp.ClientSession, base: str, address: str) -> int:
    response = await http.post(f"{base}/api/v1/conversations", json={"municipality": "enschede"},
                               headers={"X-Forwarded-For": address})
    await response.read()
    return response.status


async def token_for(http: aiohttp.ClientSession, base: str, address: str) -> str:
    response = await http.post(f"{base}/api/v1/conversations", json={"municipality": "enschede"},
                               headers={"X-Forwarded-For": address})
    return str((await response.json())["token"])


async def measure(name: str, seconds: float, flood: Callable[[], Awaitable[int]],
                  parent: Callable[[], Awaitable[int]], parent_every: float) -> None:
    counts: Counter[int] = Counter()
    parent_counts: Counter[int] = Counter()
    deadline = time.monotonic() + seconds

    async def flooding() -> None:
        while time.monotonic() < deadline:
            statuses = await asyncio.gather(*(flood() for _ in range(20)))
            counts.update(statuses)

    async def parenting() -> None:
        while time.monotonic() < deadline:
            parent_counts[await parent()] += 1
            await asyncio.sleep(parent_every)

    await asyncio.gather(flooding(), parenting())
    sent = sum(counts.values())
    accepted = sum(n for status, n in counts.items() if status < 400)
    others = {status: n for status, n in counts.items() if status >= 400 and status != 429}
    print(f"{name:14} flood sent {sent:5} ({sent / seconds:6.0f}/s), accepted {accepted:3}, "
          f"refused 429 {counts[429]:5}, other {others}; other address: {dict(parent_counts)}")


async def crisis_flood(app: web.Application, http: aiohttp.ClientSession, base: str,
                       seconds: float) -> None:
    async def crisis(address: str) -> int:
        response = await http.post(f"{base}/api/v1/conversations",
                                   json={"municipality": "enschede"},
                                   headers={"X-Forwarded-For": address})
        if response.status != 201:
            await response.read()
            return response.status
        token = (await response.json())["token"]
        posted = await http.post(f"{base}/api/v1/conversation/messages", json={"text": CRISIS},
                                 headers={"Authorization": f"Bearer {token}",
                                          "X-Forwarded-For": address})
        await posted.read()
        return posted.status

    statuses: Counter[int] = Counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        statuses.update(await asyncio.gather(*(crisis("203.0.113.99") for _ in range(20))))
    assert await crisis("198.51.100.99") == 201   # the real one, after the flood
    await app[TASKS].drain()
    async with app[SESSIONS]() as session:
        user = await repo.user_by_username(session, "adviseur.enschede")
    assert user is not None
    queue = await app[DESK].queue(Adviser.from_user(user))
    crises = [item for item in queue if item["crisis"]]
    flooded = [item for item in queue if item["flood"]]
    newest = max(range(len(queue)), key=lambda i: queue[i]["waiting_since"])
    print(f"crisis flood   {sum(statuses.values())} tries from one address in {seconds:.0f} s: "
          f"{statuses[201]} crisis messages stored, {statuses[429]} refused (429); "
          f"in the queue {len(crises)} at crisis priority (the real one included), "
          f"{len(flooded)} marked possible flood; the real crisis is number {newest + 1} "
          f"of {len(queue)} in an Enschede adviser's queue")


async def run(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = replace(load_demo_users(DEMO_USERS_FILE, load_config(environ={})),
                         database_url=Secret(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"),
                         demo=False, trust_forwarded_for=True, secure_cookies=False)
        print("limits:", config.rate_limits)
        app = create_app(config)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=20)) as http:
                await measure("conversations", seconds, lambda: conversation(http, base, FLOOD),
                              lambda: conversation(http, base, PARENT), 10.0)
                flood_token = await token_for(http, base, "192.0.2.1")
                parent_token = await token_for(http, base, "192.0.2.2")

                async def message(token: str, address: str) -> int:
                    response = await http.post(
                        f"{base}/api/v1/conversation/messages", json={"text": TEXT},
                        headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": address})
                    await response.read()
                    return response.status

                await measure("messages", seconds, lambda: message(flood_token, FLOOD),
                              lambda: message(parent_token, PARENT), 3.0)

                async def websocket(address: str) -> int:
                    try:
                        socket = await http.ws_connect(f"{base}/api/v1/conversation/ws",
                                                       headers={"X-Forwarded-For": address})
                    except aiohttp.WSServerHandshakeError as exc:
                        return exc.status
                    await socket.close()
                    return 101

                await measure("websockets", seconds, lambda: websocket(FLOOD),
                              lambda: websocket(PARENT), 5.0)

                async def login(address: str, password: str) -> int:
                    response = await http.post(
                        f"{base}/login", allow_redirects=False,
                        data={"username": "adviseur.enschede", "password": password},
                        headers={"X-Forwarded-For": address, "Origin": base})
                    await response.read()
                    return response.status

                await measure("logins", seconds, lambda: login(FLOOD, "wrong"),
                              lambda: login(PARENT, "demo-enschede"), 10.0)
                await crisis_flood(app, http, base, seconds)
        finally:
            await runner.cleanup()

    limiter = RateLimiter(config.rate_limits, SystemClock())
    checks = 200_000
    started = time.perf_counter()
    for i in range(checks):
        limiter.wait("messages", f"10.0.{i % 250}.{i % 200}")
    per_check = (time.perf_counter() - started) / checks * 1e6
    print(f"one limiter check: {per_check:.2f} µs ({len(limiter)} addresses held)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    asyncio.run(run(parser.parse_args().seconds))


if __name__ == "__main__":
    main()
