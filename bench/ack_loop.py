"""Closed loop over the chat websocket: send a message, wait for its ack, send the next; against
a raw aiohttp websocket echo in the same run, as the yardstick.

    python bench/ack_loop.py                          # 100 connections, 20 s each, SQLite
    python bench/ack_loop.py --connections 10 --seconds 10
    python bench/ack_loop.py --faq                    # every message an FAQ question
    ADVICELINE_SOURCE=/path/to/old/checkout python bench/ack_loop.py   # the code before

Each server runs in a child process (the app by bench/serve_process.py, the echo here with
--echo), the clients in this one. CONNECTIONS parents each open a conversation, then for SECONDS
send {"type": "message"} frames, each after the previous one's ack (the echo answers every frame
with an ack at once). Every message is stored and handled as usual (FAQ, queue), so the
handling's work competes with the acks, as it would in use. Reports acks per second, the ratio to
the echo's, and the ack latency. With --faq every message is a question the FAQ answers, and the
time from sending it to its answer's arrival on the socket is reported too (answers that arrive
within 30 s after the loop ends are counted; the rest are reported as missing), and how many
arrived during the loop itself: whether handling keeps up with the acks. Bounded: SECONDS
per server, 30 s more to collect answers, all on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web
from serve_process import Server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from adviceline.stats import nearest_rank

TEXTS = [
    "Mijn dochter van 2 wil niet slapen, wat kan ik doen?",
    "Hoeveel schermtijd is goed voor een kind van 8?",
    "Mijn zoon heeft driftbuien als hij zijn zin niet krijgt",
    "Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?",
    "Onze puber praat niet meer met ons, hoe krijg ik weer contact?",
    "Dank je wel!",
]
# A question the FAQ answers (checked: every reply must be a faq_answer).
FAQ_TEXT = "Mijn dochter van 2 wil niet slapen, wat kan ik doen?"
ANSWER_WAIT = 30.0


async def _echo(request: web.Request) -> web.WebSocketResponse:
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    seq = 0
    async for frame in socket:
        if frame.type == aiohttp.WSMsgType.TEXT:
            seq += 1
            data = json.loads(frame.data)
            await socket.send_json({"type": "ack", "client_id": data.get("client_id"),
                                    "seq": seq, "duplicate": False})
    return socket


async def serve_echo() -> None:
    app = web.Application()
    app.router.add_get("/ws", _echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"port {site._server.sockets[0].getsockname()[1]}", flush=True)  # type: ignore[union-attr]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_reader(sys.stdin.fileno(), stop.set)
    await stop.wait()
    await runner.cleanup()


class Answers:
    """Send times of the messages still waiting for their FAQ answer, and the answers' latency
    (a conversation's messages are handled in order, so its next answer is its oldest's)."""

    def __init__(self) -> None:
        self.waiting: dict[int, list[float]] = {}
        self.latencies: list[float] = []
        self.other_kinds: list[str] = []
        self.arrived_at: list[float] = []
        self.loop_ends = 0.0

    def sent(self, connection: int, at: float) -> None:
        self.waiting.setdefault(connection, []).append(at)

    def arrived(self, connection: int, frame: dict[str, object]) -> None:
        if frame.get("type") != "message" or frame.get("sender") == "parent":
            return
        if frame.get("kind") != "faq_answer":
            self.other_kinds.append(str(frame.get("kind")))
            return
        now = time.perf_counter()
        self.latencies.append(now - self.waiting[connection].pop(0))
        self.arrived_at.append(now)

    def missing(self) -> int:
        return sum(len(times) for times in self.waiting.values())


async def connection(http: aiohttp.ClientSession, ws_url: str, token: str | None,
                     until: float, latencies: list[float], errors: list[str],
                     answers: Answers | None = None, number: int = 0) -> None:
    socket = await http.ws_connect(ws_url)
    if token is not None:
        await socket.send_json({"type": "hello", "token": token, "last_seq": 0})
    n = 0
    while time.perf_counter() < until:
        client_id = uuid.uuid4().hex
        text = FAQ_TEXT if answers is not None else TEXTS[n % len(TEXTS)]
        frame_out = {"type": "message", "client_id": client_id, "text": text}
        sent = time.perf_counter()
        await socket.send_json(frame_out)
        if answers is not None:
            answers.sent(number, sent)
        n += 1
        while True:
            frame = await socket.receive_json(timeout=120)
            if answers is not None:
                answers.arrived(number, frame)
            if frame.get("type") == "ack" and frame.get("client_id") == client_id:
                latencies.append(time.perf_counter() - sent)
                break
            if frame.get("type") == "error":
                # As the chat page does: an error without our client id means "send it again";
                # the latency counts from the first try.
                errors.append(str(frame.get("code")))
                if frame.get("client_id") is not None:
                    raise RuntimeError(frame)
                await asyncio.sleep(0.1)
                await socket.send_json(frame_out)
    if answers is not None:
        # The answers still on their way (handling may lag the acks): wait for them a while.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ANSWER_WAIT):
                while answers.waiting.get(number):
                    answers.arrived(number, await socket.receive_json())
    await socket.close()


async def loop(base: str, ws_path: str, connections: int, seconds: float, chat: bool,
               answers: Answers | None = None) -> tuple[float, list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        tokens: list[str | None] = [None] * connections
        if chat:
            tokens = [(await (await http.post(f"{base}/api/v1/conversations",
                                              json={"municipality": "enschede"})).json())["token"]
                      for _ in range(connections)]
        started = time.perf_counter()
        if answers is not None:
            answers.loop_ends = started + seconds
        await asyncio.gather(*(connection(http, base.replace("http", "ws") + ws_path, token,
                                          started + seconds, latencies, errors,
                                          answers if chat else None, number)
                               for number, token in enumerate(tokens)))
        elapsed = min(time.perf_counter() - started, seconds + 1)
    return len(latencies) / elapsed, latencies, errors


def report(name: str, rate: float, latencies: list[float]) -> None:
    print(f"  {name:<10} {rate:8.0f} acks/s   ack p50 {nearest_rank(latencies, 50) * 1000:7.1f} ms"
          f"   p99 {nearest_rank(latencies, 99) * 1000:7.1f} ms   ({len(latencies)} acks)")


async def run(connections: int, seconds: float, faq: bool) -> None:
    # Started before anything is measured; blocking for its first line is harmless here.
    echo = subprocess.Popen([sys.executable, __file__, "--echo"],  # noqa: ASYNC220
                            stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert echo.stdout is not None
    echo_base = f"http://127.0.0.1:{int(echo.stdout.readline().split()[1])}"
    try:
        echo_rate, echo_latencies, _ = await loop(echo_base, "/ws", connections, seconds, False)
    finally:
        echo.terminate()
        echo.wait()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
                        source=os.environ.get("ADVICELINE_SOURCE"))
        try:
            cpu = server.cpu_seconds()
            answers = Answers() if faq else None
            rate, latencies, errors = await loop(server.base, "/api/v1/conversation/ws",
                                                 connections, seconds, True, answers)
            used = server.cpu_seconds() - cpu
        finally:
            server.stop()
    print(f"{connections} connections, closed loop, {seconds:.0f} s each"
          f"{', every message an FAQ question' if faq else ''}; load average "
          f"{os.getloadavg()[0]:.1f}:")
    report("echo", echo_rate, echo_latencies)
    report("chat", rate, latencies)
    print(f"  chat / echo = {rate / echo_rate:.4f}; server CPU {used * 1000 / len(latencies):.1f} "
          f"ms per acked message (storing and handling); {len(errors)} error frames "
          f"({', '.join(sorted(set(errors))) or 'none'}), each message resent until acked")
    if answers is not None:
        print(f"  FAQ answer {len(answers.latencies)} arrived: p50 "
              f"{nearest_rank(answers.latencies, 50) * 1000:.1f} ms, p99 "
              f"{nearest_rank(answers.latencies, 99) * 1000:.1f} ms; "
              f"{answers.missing()} missing after {ANSWER_WAIT:.0f} s; other replies: "
              f"{len(answers.other_kinds)} ({', '.join(sorted(set(answers.other_kinds)))})")
        during = sum(1 for at in answers.arrived_at if at <= answers.loop_ends)
        print(f"  FAQ answers that arrived during the {seconds:.0f} s loop: {during} "
              f"({during / seconds:.0f}/s, against {rate:.0f} acks/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--faq", action="store_true",
                        help="every message an FAQ question; also time its answer")
    parser.add_argument("--echo", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo:
        asyncio.run(serve_echo())
    else:
        asyncio.run(run(args.connections, args.seconds, args.faq))


if __name__ == "__main__":
    main()
