"""`adviceline serve --workers N` on PostgreSQL: throughput and ack latency with 1, 2 and 4
processes behind one port, and an adviser's reply on process B reaching a parent on process A.

    python bench/workers_load.py                       # N = 1, 2, 4; 3 runs each
    python bench/workers_load.py --workers 2 --runs 1 --connections 50 --seconds 20
    python bench/workers_load.py --database postgresql+asyncpg://postgres@host/db

For each N: a fresh PostgreSQL database (dropped afterwards) and `adviceline serve --workers N`
as an operator starts it (the demo logins, rate limits off, plain-http cookies). Then RUNS runs:

- closed loop: CONNECTIONS parents, each on its own websocket (the kernel spreads them over the
  processes), send a message, wait for its ack, send the next, for SECONDS; every message is
  stored and then handled as usual (crisis check, FAQ, queue). Reported: acks per second, ack
  p50/p99, and messages handled per second (all stored messages over the time from the start
  until the last of them was handled);
- replies (N >= 2): a parent's websocket on one process (checked: the connection that asked
  /healthz for the pid is the one upgraded), an adviser's client kept on another; the adviser
  sends REPLIES replies one after the other; for each, the time from the reply's POST until the
  parent's websocket has it. Reported p50/p99.

Also printed: the machine's 1-minute load average before and after each run (the machine may be
shared). Bounded: SECONDS of load and REPLIES requests per run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from ack_loop import connection

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from adviceline.stats import nearest_rank

DEFAULT_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
QUESTION = "Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?"


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _database(admin_url: str, create: bool, name: str) -> None:
    import asyncpg

    connection_ = await asyncpg.connect(_dsn(admin_url))
    try:
        await connection_.execute(f'CREATE DATABASE "{name}"' if create
                                  else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection_.close()


def _config(directory: Path) -> Path:
    text = (ROOT / "config" / "adviceline.toml").read_text(encoding="utf-8")
    text = text.replace("secure_cookies = true", "secure_cookies = false")
    text = text.replace('postcodes_file = "data/',
                        f'postcodes_file = "{ROOT / "config" / "data"}/')
    # Rate limits off: every simulated parent speaks from 127.0.0.1.
    text, count = re.subn(r"(?m)^enabled = true$", "enabled = false", text, count=1)
    if count != 1 or text.index("enabled = false") < text.index("[rate_limits]"):
        raise RuntimeError("the shipped configuration's [rate_limits] enabled line moved")
    path = directory / "adviceline.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    """`adviceline serve --workers N` in a child process, its output in files."""

    def __init__(self, workers: int, database_url: str, directory: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.out = directory / f"out-{workers}.txt"
        self.err = directory / f"err-{workers}.txt"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "adviceline", "serve", "--workers", str(workers),
                 "--demo", "--config", str(_config(directory)), "--host", "127.0.0.1",
                 "--port", str(self.port), "--database", database_url],
                stdout=out, stderr=err, env=env, cwd=directory)
        deadline = time.monotonic() + 300
        while self.out.read_text().count(" is running") < workers:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the service did not start: {self.err.read_text()[-2000:]}")
            time.sleep(0.5)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def _unhandled(database_url: str) -> int:
    import asyncpg

    connection_ = await asyncpg.connect(_dsn(database_url))
    try:
        return int(await connection_.fetchval(
            "SELECT count(*) FROM messages WHERE sender = 'parent' AND NOT handled"))
    finally:
        await connection_.close()


async def closed_loop(service: Service, database_url: str, connections: int,
                      seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0,
                                                                    force_close=True)) as http:
        tokens = [(await (await http.post(f"{service.base}/api/v1/conversations",
                                          json={"municipality": "enschede"})).json())["token"]
                  for _ in range(connections)]
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(connection(http, service.base.replace("http", "ws")
                                                     + "/api/v1/conversation/ws", token,
                                                     started + seconds, latencies, errors)
                                          for token in tokens), return_exceptions=True)
        window = time.perf_counter() - started
    # A socket the server closed (1011: it failed to store in time) ends that parent's loop.
    lost = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    if lost:
        print(f"  {len(lost)} of {connections} sockets ended early: "
              f"{sorted({str(outcome)[:80] for outcome in lost})}", flush=True)
    deadline = time.perf_counter() + 600
    # Polled: the handling happens in the server processes, nothing here can be awaited.
    while await _unhandled(database_url) and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    handled_after = time.perf_counter() - started
    return {"acks_per_s": len(latencies) / window,
            "ack_p50_ms": nearest_rank(latencies, 50) * 1000,
            "ack_p99_ms": nearest_rank(latencies, 99) * 1000,
            "handled_per_s": len(latencies) / handled_after,
            "errors": len(errors), "sockets_lost": len(lost)}


async def _pid(http: aiohttp.ClientSession, base: str) -> int:
    async with http.get(f"{base}/healthz") as response:
        return int((await response.json())["pid"])


async def replies(service: Service, count: int) -> list[float]:
    """Reply latencies (s) from the POST's start on process B to the parent's socket on A."""
    base = service.base
    connections_made: list[object] = []

    async def made(*_: Any) -> None:
        connections_made.append(None)

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(made)
    parent = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1),
                                   trace_configs=[trace])
    advisers: list[aiohttp.ClientSession] = []
    try:
        async with aiohttp.ClientSession() as http:
            token = (await (await http.post(f"{base}/api/v1/conversations",
                                            json={"municipality": "enschede"})).json())["token"]
        parent_pid = await _pid(parent, base)
        socket = await parent.ws_connect(base.replace("http", "ws") + "/api/v1/conversation/ws")
        if len(connections_made) != 1:
            raise RuntimeError("the websocket did not reuse the connection whose pid we know")
        await socket.send_json({"type": "hello", "token": token, "last_seq": 0})
        text = f"{QUESTION} ({uuid.uuid4().hex[:8]})"
        await socket.send_json({"type": "message", "client_id": "q", "text": text})
        await socket.send_json({"type": "adviser", "client_id": "a"})
        while (await socket.receive_json(timeout=60)).get("kind") != "queued":
            pass
        jar = aiohttp.CookieJar(unsafe=True)
        while True:   # an adviser kept on another process than the parent's
            adviser = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1),
                                            cookie_jar=jar)
            advisers.append(adviser)
            adviser_pid = await _pid(adviser, base)
            if adviser_pid != parent_pid:
                break
            if len(advisers) > 100:
                raise RuntimeError("every connection went to the parent's process")
        login = await adviser.post(f"{base}/login", allow_redirects=False, data={
            "username": "adviseur.enschede", "password": "demo-enschede"})
        assert login.status == 303, login.status
        html = await (await adviser.get(f"{base}/console")).text()
        marker = 'name="csrf-token" content="'
        start = html.index(marker) + len(marker)
        headers = {"X-CSRF-Token": html[start:html.index('"', start)]}
        queue = (await (await adviser.get(f"{base}/console/api/queue")).json())["questions"]
        [question] = [found for found in queue if found["preview"] == text]
        url = f"{base}/console/api/questions/{question['id']}"
        assert (await adviser.post(f"{url}/claim", headers=headers)).status == 200
        arrivals: list[float] = []
        for _ in range(count):
            reply = f"antwoord {uuid.uuid4().hex[:8]}"
            sent = time.perf_counter()
            response = await adviser.post(f"{url}/reply", json={"text": reply}, headers=headers)
            assert response.status == 201, await response.text()
            while True:
                frame = await socket.receive_json(timeout=60)
                if frame.get("type") == "message" and frame.get("text") == reply:
                    arrivals.append(time.perf_counter() - sent)
                    break
        if await _pid(adviser, base) != adviser_pid:
            raise RuntimeError("the adviser's connection moved to another process")
        await socket.close()
        return arrivals
    finally:
        await parent.close()
        for session in advisers:
            await session.close()


async def run(admin_url: str, workers: list[int], runs: int, connections: int,
              seconds: float, reply_count: int) -> None:
    results: dict[int, list[dict[str, float]]] = {}
    for count in workers:
        name = f"adviceline_bench_{uuid.uuid4().hex[:8]}"
        await _database(admin_url, True, name)
        url = f"{admin_url.rpartition('/')[0]}/{name}"
        try:
            logs = Path(tempfile.mkdtemp(prefix=f"workers-bench-{count}-"))
            print(f"N={count}: the service's output is kept in {logs}", flush=True)
            service = Service(count, url, logs)
            try:
                for number in range(1, runs + 1):
                    load_before = os.getloadavg()[0]
                    figures = await closed_loop(service, url, connections, seconds)
                    if count > 1:
                        arrivals = await replies(service, reply_count)
                        figures["reply_p50_ms"] = nearest_rank(arrivals, 50) * 1000
                        figures["reply_p99_ms"] = nearest_rank(arrivals, 99) * 1000
                    figures["load_before"] = load_before
                    figures["load_after"] = os.getloadavg()[0]
                    results.setdefault(count, []).append(figures)
                    print(f"N={count} run {number}: " + ", ".join(
                        f"{key} {value:.1f}" for key, value in figures.items()), flush=True)
            finally:
                service.stop()
        finally:
            await _database(admin_url, False, name)
    print(f"\n{connections} connections, closed loop {seconds:.0f} s; {reply_count} replies; "
          f"medians of {runs} runs:")
    print("| processes | acks/s | handled/s | ack p50 / p99 | reply B->A p50 / p99 | load |")
    print("| --- | --- | --- | --- | --- | --- |")
    for count, rows in results.items():
        def median(key: str, rows: list[dict[str, float]] = rows) -> float:
            return statistics.median(row[key] for row in rows)
        reply = (f"{median('reply_p50_ms'):.0f} / {median('reply_p99_ms'):.0f} ms"
                 if count > 1 else "-")
        print(f"| {count} | {median('acks_per_s'):.0f} | {median('handled_per_s'):.0f} | "
              f"{median('ack_p50_ms'):.0f} / {median('ack_p99_ms'):.0f} ms | {reply} | "
              f"{median('load_before'):.1f}-{median('load_after'):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE,
                        help="a PostgreSQL URL whose server may create databases")
    parser.add_argument("--workers", type=int, action="append",
                        help="processes (repeatable; default 1, 2 and 4)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--replies", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(run(args.database, args.workers or [1, 2, 4], args.runs, args.connections,
                    args.seconds, args.replies))


if __name__ == "__main__":
    main()
