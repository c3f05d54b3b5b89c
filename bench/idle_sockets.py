"""What open but idle parent chats cost the server: CPU of a core while nobody writes.

    python bench/idle_sockets.py                        # 1,000 parents, 120 s window, SQLite
    python bench/idle_sockets.py --parents 200 --seconds 20
    ADVICELINE_SOURCE=/path/to/old/checkout python bench/idle_sockets.py   # the code before

The server runs in a child process (bench/serve_process.py) so that only its CPU is counted.
PARENTS parents each open a conversation and keep its websocket open (hello, ready, then
nothing); after they are all connected and a settling pause, the server's user + system CPU
over SECONDS is divided by SECONDS. Bounded: PARENTS connections, all on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import aiohttp
from serve_process import Server


async def connect(http: aiohttp.ClientSession, base: str) -> aiohttp.ClientWebSocketResponse:
    response = await http.post(f"{base}/api/v1/conversations", json={"municipality": "enschede"})
    token = (await response.json())["token"]
    socket = await http.ws_connect(base.replace("http", "ws") + "/api/v1/conversation/ws")
    await socket.send_json({"type": "hello", "token": token, "last_seq": 0})
    assert (await socket.receive_json(timeout=60))["type"] == "ready"
    return socket


async def run(parents: int, seconds: float, settle: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
                        source=os.environ.get("ADVICELINE_SOURCE"))
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:
                sockets = []
                for start in range(0, parents, 50):   # 50 at a time: not a connection storm
                    sockets += await asyncio.gather(*(connect(http, server.base)
                                                      for _ in range(min(50, parents - start))))
                await asyncio.sleep(settle)
                cpu, wall = server.cpu_seconds(), time.monotonic()
                await asyncio.sleep(seconds)
                used, elapsed = server.cpu_seconds() - cpu, time.monotonic() - wall
                alive = sum(not s.closed for s in sockets)
                await asyncio.gather(*(s.close() for s in sockets))
        finally:
            server.stop()
    print(f"{alive} idle parents connected: server CPU {used:.2f} s in {elapsed:.1f} s "
          f"= {100 * used / elapsed:.1f} % of a core")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parents", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--settle", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(run(args.parents, args.seconds, args.settle))


if __name__ == "__main__":
    main()
