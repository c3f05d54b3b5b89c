"""An adviser's reply posted on one service process, arriving at a parent on another.

    python bench/cross_process.py          # 200 replies, PostgreSQL at the default URL
    python bench/cross_process.py --replies 500 --database postgresql+asyncpg://...
    ADVICELINE_SOURCE=/path/to/old/checkout python bench/cross_process.py   # the code before

Two server processes (bench/serve_process.py) share a fresh PostgreSQL database (dropped
afterwards). A parent on process A asks for an adviser; an adviser logged in on process B claims
the question and sends REPLIES replies one after the other. For each, the time from sending the
reply's POST to B until the parent's websocket on A carries it; the POST's own time is printed
beside it (the reply is committed before the POST returns). Bounded: REPLIES requests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

import aiohttp
from serve_process import Server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from adviceline.stats import nearest_rank

QUESTION = "Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?"
DEFAULT_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def database(admin_url: str, create: bool, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"' if create
                                 else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def measure(a: str, b: str, replies: int) -> tuple[list[float], list[float]]:
    async with aiohttp.ClientSession() as http, \
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as adviser:
        token = (await (await http.post(f"{a}/api/v1/conversations",
                                        json={"municipality": "enschede"})).json())["token"]
        socket = await http.ws_connect(a.replace("http", "ws") + "/api/v1/conversation/ws")
        await socket.send_json({"type": "hello", "token": token, "last_seq": 0})
        await socket.send_json({"type": "message", "client_id": "q", "text": QUESTION})
        await socket.send_json({"type": "adviser", "client_id": "a"})
        while (await socket.receive_json(timeout=30)).get("kind") != "queued":
            pass
        login = await adviser.post(f"{b}/login", allow_redirects=False, data={
            "username": "adviseur.enschede", "password": "demo-enschede"})
        assert login.status == 303, login.status
        html = await (await adviser.get(f"{b}/console")).text()
        marker = 'name="csrf-token" content="'
        start = html.index(marker) + len(marker)
        headers = {"X-CSRF-Token": html[start:html.index('"', start)]}
        [question] = (await (await adviser.get(f"{b}/console/api/queue")).json())["questions"]
        url = f"{b}/console/api/questions/{question['id']}"
        assert (await adviser.post(f"{url}/claim", headers=headers)).status == 200
        arrivals: list[float] = []
        posts: list[float] = []
        for _ in range(replies):
            text = f"antwoord {uuid.uuid4().hex[:8]}"
            sent = time.perf_counter()
            response = await adviser.post(f"{url}/reply", json={"text": text}, headers=headers)
            assert response.status == 201, await response.text()
            posts.append(time.perf_counter() - sent)
            while True:
                frame = await socket.receive_json(timeout=30)
                if frame.get("type") == "message" and frame.get("text") == text:
                    arrivals.append(time.perf_counter() - sent)
                    break
        await socket.close()
    return arrivals, posts


async def run(admin_url: str, replies: int) -> None:
    name = f"adviceline_bench_{uuid.uuid4().hex[:8]}"
    await database(admin_url, True, name)
    url = f"{admin_url.rpartition('/')[0]}/{name}"
    source = os.environ.get("ADVICELINE_SOURCE")
    servers: list[Server] = []
    try:
        servers.append(Server(url, source=source))   # one at a time: migrations, users
        servers.append(Server(url, source=source))
        arrivals, posts = await measure(servers[0].base, servers[1].base, replies)
    finally:
        for server in servers:
            server.stop()
        await database(admin_url, False, name)
    print(f"{len(arrivals)} replies posted on process B, read by the parent on process A:")
    print(f"  reply POST returns  p50 {nearest_rank(posts, 50) * 1000:.1f} ms, "
          f"p99 {nearest_rank(posts, 99) * 1000:.1f} ms")
    print(f"  parent has it       p50 {nearest_rank(arrivals, 50) * 1000:.1f} ms, "
          f"p99 {nearest_rank(arrivals, 99) * 1000:.1f} ms (from the POST's start)")
    after = [arrival - post for arrival, post in zip(arrivals, posts, strict=True)]
    print(f"  after the POST      p50 {nearest_rank(after, 50) * 1000:.1f} ms, "
          f"p99 {nearest_rank(after, 99) * 1000:.1f} ms (negative: the parent had it first)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE,
                        help="a PostgreSQL URL whose server may create databases")
    parser.add_argument("--replies", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.database, args.replies))


if __name__ == "__main__":
    main()
