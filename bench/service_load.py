"""Load on the real service over loopback: many parents at once, each asking questions.

Starts the app (the same create_app as `adviceline serve`) on 127.0.0.1 with a fresh database,
then runs PARENTS concurrent parents who each open a conversation and, over the chat websocket,
ask QUESTIONS questions one after the other, each waiting for its reply. Reports messages per
second, acknowledgement latency (stored and committed) and time until the reply arrives.

    python bench/service_load.py                       # SQLite file (the default engine)
    python bench/service_load.py --database postgresql+asyncpg://postgres@127.0.0.1:5432/test

Bounded: at most PARENTS x QUESTIONS requests, all to loopback; it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adviceline.cli import DEMO_USERS_FILE
from adviceline.config import RateLimitSettings, Secret, load_config, load_demo_users
from adviceline.stats import nearest_rank
from adviceline.web.app import create_app
from adviceline.web.keys import FAQ


async def fresh_postgres(admin_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"adviceline_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return f"{admin_url.rpartition('/')[0]}/{name}", name


async def drop_postgres(admin_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


async def parent(
    http: aiohttp.ClientSession,
    base: str,
    questions: list[str],
    acks: list[float],
    replies: list[float],
) -> None:
    """One parent as the chat page behaves: a websocket, one question at a time."""
    response = await http.post(f"{base}/api/v1/conversations", json={"municipality": "enschede"})
    token = (await response.json())["token"]
    socket = await http.ws_connect(base.replace("http", "ws") + "/api/v1/conversation/ws")
    await socket.send_json({"type": "hello", "token": token, "last_seq": 0})
    await socket.receive_json(timeout=30)  # ready
    for text in questions:
        client_id = uuid.uuid4().hex
        sent = time.perf_counter()
        await socket.send_json({"type": "message", "client_id": client_id, "text": text})
        seq = None
        while True:
            frame = await socket.receive_json(timeout=30)
            if frame["type"] == "ack" and frame["client_id"] == client_id:
                seq = frame["seq"]
                acks.append(time.perf_counter() - sent)
            elif (
                frame["type"] == "message"
                and seq is not None
                and frame["seq"] > seq
                and frame["sender"] != "parent"
            ):
                replies.append(time.perf_counter() - sent)
                break
    await socket.close()


async def run(database: str | None, parents: int, questions: int) -> None:
    admin_url, pg_name = None, None
    with tempfile.TemporaryDirectory() as tmp:
        if database and database.startswith("postgresql"):
            admin_url = database
            database, pg_name = await fresh_postgres(admin_url)
        url = database or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        config = replace(
            load_demo_users(DEMO_USERS_FILE, load_config(environ={})),
            database_url=Secret(url),
            demo=False,
            # Every simulated parent speaks from 127.0.0.1; bench/rate_limits.py measures those.
            rate_limits=RateLimitSettings(enabled=False),
        )
        app = create_app(config)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        texts = [e.question for e in list(app[FAQ].kb.entries.values())[:questions]]
        acks: list[float] = []
        replies: list[float] = []
        connector = aiohttp.TCPConnector(limit=parents)
        started = time.perf_counter()
        async with aiohttp.ClientSession(connector=connector) as http:
            await asyncio.gather(
                *(parent(http, base, texts, acks, replies) for _ in range(parents))
            )
        elapsed = time.perf_counter() - started
        await runner.cleanup()
        if admin_url and pg_name:
            await drop_postgres(admin_url, pg_name)
    engine = url.split(":")[0]
    total = parents * questions
    print(
        f"engine {engine}: {parents} parents x {questions} questions = {total} messages "
        f"in {elapsed:.1f} s -> {total / elapsed:.0f} messages/s (ask, ack, reply delivered)"
    )
    print(
        f"  ack latency   p50 {nearest_rank(acks, 50) * 1000:.1f} ms, "
        f"p99 {nearest_rank(acks, 99) * 1000:.1f} ms"
    )
    print(
        f"  reply arrives p50 {nearest_rank(replies, 50) * 1000:.1f} ms, "
        f"p99 {nearest_rank(replies, 99) * 1000:.1f} ms ({len(replies)}/{total} seen)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--parents", type=int, default=50)
    parser.add_argument("--questions", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.database, args.parents, args.questions))


if __name__ == "__main__":
    main()
