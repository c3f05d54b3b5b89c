"""Run the real app in a child process, for benchmarks that measure the server on its own.

    python bench/serve_process.py DATABASE_URL [LIVE_FALLBACK_SECONDS]

prints "port N" once it listens on 127.0.0.1 and serves until stdin closes or it is terminated.
ADVICELINE_SOURCE=/path/to/a/checkout runs that checkout's code (a before/after comparison).
Rate limits are off: every simulated client speaks from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path

sys.path.insert(0, os.environ.get("ADVICELINE_SOURCE",
                                  str(Path(__file__).resolve().parent.parent)))

from aiohttp import web

from adviceline.cli import DEMO_USERS_FILE
from adviceline.config import (
    Config,
    RateLimitSettings,
    Secret,
    load_config,
    load_demo_users,
)
from adviceline.web.app import create_app


def bench_config(database_url: str, live_fallback_seconds: float | None = None) -> Config:
    config = replace(load_demo_users(DEMO_USERS_FILE, load_config(environ={})),
                     database_url=Secret(database_url), demo=False, secure_cookies=False,
                     rate_limits=RateLimitSettings(enabled=False))
    if live_fallback_seconds is not None and \
            "live_fallback_seconds" in {f.name for f in fields(config)}:
        config = replace(config, live_fallback_seconds=live_fallback_seconds)
    return config


async def serve(database_url: str, live_fallback_seconds: float | None) -> None:
    runner = web.AppRunner(create_app(bench_config(database_url, live_fallback_seconds)),
                           access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"port {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(sys.stdin.fileno(), stop.set)   # the parent went away
    await stop.wait()
    await runner.cleanup()


class Server:
    """The child process, seen from the benchmark."""

    def __init__(self, database_url: str, live_fallback_seconds: float | None = None,
                 source: str | None = None) -> None:
        env = dict(os.environ)
        if source:
            env["ADVICELINE_SOURCE"] = source
        args = [sys.executable, __file__, database_url]
        if live_fallback_seconds is not None:
            args.append(str(live_fallback_seconds))
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        env=env, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("port "):
            raise RuntimeError(f"the server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"

    def cpu_seconds(self) -> float:
        """User + system CPU the server process used so far (Linux /proc)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else None))
