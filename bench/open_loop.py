"""Open loop over the chat websocket: many connected parents, each sending a message every few
seconds whatever the server does; against a raw aiohttp websocket echo in the same run.

    python bench/open_loop.py                           # 1,000 parents x 1 message / 5 s, 60 s
    python bench/open_loop.py --parents 200 --seconds 30
    ADVICELINE_SOURCE=/path/to/old/checkout python bench/open_loop.py   # the code before

Each server runs in a child process (bench/ack_loop.py --echo, bench/serve_process.py), the
clients in this one. PARENTS parents open a conversation (the chat only) and a websocket, 50 at a
time; then each sends an FAQ question every INTERVAL seconds (first at a random moment within
the first interval), so PARENTS / INTERVAL messages a second arrive, without waiting for acks.
Reports the ack latency (send -> ack), the FAQ answer's (send -> answer on the socket; answers
still missing 30 s after the last send are counted as missing), the server's peak and final
resident memory (Linux /proc) and its CPU. Bounded: SECONDS per server, all on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from ack_loop import ANSWER_WAIT, FAQ_TEXT, Answers
from serve_process import Server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from adviceline.stats import nearest_rank


async def parent(http: aiohttp.ClientSession, base: str, ws_path: str, chat: bool) -> \
        aiohttp.ClientWebSocketResponse:
    socket = await http.ws_connect(base.replace("http", "ws") + ws_path)
    if chat:
        response = await http.post(f"{base}/api/v1/conversations",
                                   json={"municipality": "enschede"})
        token = (await response.json())["token"]
        await socket.send_json({"type": "hello", "token": token, "last_seq": 0})
        assert (await socket.receive_json(timeout=60))["type"] == "ready"
    return socket


async def speak(socket: aiohttp.ClientWebSocketResponse, number: int, interval: float,
                until: float, acks: list[float], answers: Answers | None) -> None:
    sent: dict[str, float] = {}

    async def listen() -> None:
        async for frame in socket:
            data = frame.json()
            if answers is not None:
                answers.arrived(number, data)
            if data.get("type") == "ack" and data.get("client_id") in sent:
                acks.append(time.perf_counter() - sent.pop(data["client_id"]))

    listening = asyncio.create_task(listen())
    await asyncio.sleep(random.uniform(0, interval))
    next_at = time.perf_counter()
    while next_at < until:
        client_id = uuid.uuid4().hex
        sent[client_id] = time.perf_counter()
        if answers is not None:
            answers.sent(number, sent[client_id])
        await socket.send_json({"type": "message", "client_id": client_id, "text": FAQ_TEXT})
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(ANSWER_WAIT):
            while sent or (answers is not None and answers.waiting.get(number)):  # noqa: ASYNC110
                await asyncio.sleep(0.2)
    listening.cancel()
    await asyncio.gather(listening, return_exceptions=True)
    await socket.close()


async def loop(base: str, ws_path: str, parents: int, interval: float, seconds: float,
               chat: bool) -> tuple[list[float], Answers]:
    acks: list[float] = []
    answers = Answers()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        sockets = []
        for start in range(0, parents, 50):   # 50 at a time: not a connection storm
            sockets += await asyncio.gather(*(parent(http, base, ws_path, chat)
                                              for _ in range(min(50, parents - start))))
        until = time.perf_counter() + seconds
        await asyncio.gather(*(speak(socket, number, interval, until, acks,
                                     answers if chat else None)
                               for number, socket in enumerate(sockets)))
    return acks, answers


def memory_kb(pid: int) -> dict[str, int]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {line.split(":")[0]: int(line.split()[1]) for line in lines
            if line.startswith(("VmRSS", "VmHWM"))}


def ms(values: list[float], percent: int) -> str:
    found = nearest_rank(values, percent)
    return "-" if found is None else f"{found * 1000:.1f}"


async def run(parents: int, interval: float, seconds: float) -> None:
    echo = subprocess.Popen([sys.executable, str(Path(__file__).with_name("ack_loop.py")),  # noqa: ASYNC220
                             "--echo"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert echo.stdout is not None
    echo_base = f"http://127.0.0.1:{int(echo.stdout.readline().split()[1])}"
    try:
        echo_acks, _ = await loop(echo_base, "/ws", parents, interval, seconds, False)
    finally:
        echo.terminate()
        echo.wait()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
                        source=os.environ.get("ADVICELINE_SOURCE"))
        try:
            cpu, wall = server.cpu_seconds(), time.monotonic()
            acks, answers = await loop(server.base, "/api/v1/conversation/ws", parents,
                                       interval, seconds, True)
            used, elapsed = server.cpu_seconds() - cpu, time.monotonic() - wall
            memory = memory_kb(server.process.pid)
        finally:
            server.stop()
    print(f"{parents} parents x 1 message / {interval:.0f} s ({parents / interval:.0f} msg/s), "
          f"{seconds:.0f} s, every message an FAQ question; load average "
          f"{os.getloadavg()[0]:.1f}:")
    print(f"  echo  ack p50 {ms(echo_acks, 50)} ms  p99 {ms(echo_acks, 99)} ms  "
          f"({len(echo_acks)} acks)")
    print(f"  chat  ack p50 {ms(acks, 50)} ms  p99 {ms(acks, 99)} ms  ({len(acks)} acks); "
          f"FAQ answer p50 {ms(answers.latencies, 50)} ms  p99 {ms(answers.latencies, 99)} ms "
          f"({len(answers.latencies)} arrived, {answers.missing()} missing, "
          f"{len(answers.other_kinds)} other replies)")
    print(f"  server RSS peak {memory['VmHWM'] / 1024:.0f} MB, at the end "
          f"{memory['VmRSS'] / 1024:.0f} MB; CPU {100 * used / elapsed:.0f} % of a core "
          f"(connecting included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parents", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(run(args.parents, args.interval, args.seconds))


if __name__ == "__main__":
    main()
