"""Helpers for tests that run the service (or a server it talks to) as a separate process:
a free loopback port, a plain HTTP GET, and waiting until the service says it is ready."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def wait_until_ready(process: subprocess.Popen[str], base: str, seconds: float) -> None:
    """Poll GET /readyz until 200, failing with the process's stderr if it exits first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if http_get(f"{base}/readyz")[0] == 200:
                return
        except OSError:
            pass
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, f"the service did not become ready in {seconds} s"
        time.sleep(0.2)
