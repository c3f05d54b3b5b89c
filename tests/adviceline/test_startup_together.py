"""Several service processes starting at once on a fresh PostgreSQL database: each migrates and
syncs the configuration's staff (what `serve` does before it takes requests), and none fails."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_ENV, _drop_postgres_database, _postgres_database

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4
ROUNDS = 3
# The start-up of `serve` up to taking requests (adviceline.web.app.open_database), in a process
# of its own; it waits for a line on stdin so that all of them begin at the same moment.
START = """
import asyncio, sys
from dataclasses import replace
from adviceline.cli import DEMO_USERS_FILE
from adviceline.config import Secret, load_config, load_demo_users
from adviceline.web.app import open_database

config = replace(load_demo_users(DEMO_USERS_FILE, load_config(environ={})),
                 database_url=Secret(sys.argv[1]))

async def start() -> None:
    engine = await open_database(config)
    await engine.dispose()

print("ready", flush=True)
sys.stdin.readline()
asyncio.run(start())
print("started", flush=True)
"""


def _admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"needs {POSTGRES_ENV}")
    return url


async def _users(url: str) -> list[str]:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return [row["username"] for row in await connection.fetch(
            "SELECT username FROM users ORDER BY username")]
    finally:
        await connection.close()


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_four_processes_start_at_once_on_a_fresh_database(round_: int) -> None:
    admin_url = _admin_url()
    url, name = asyncio.run(_postgres_database(admin_url))
    processes: list[subprocess.Popen[str]] = []
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for _ in range(PROCESSES):
            processes.append(subprocess.Popen(
                [sys.executable, "-c", START, url], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
        for process in processes:
            assert process.stdout is not None and process.stdout.readline() == "ready\n", \
                process.communicate(timeout=60)[1]
        for process in processes:   # all four go as one
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outcomes = [process.communicate(timeout=120) for process in processes]
        for process, (out, err) in zip(processes, outcomes, strict=True):
            assert process.returncode == 0 and out.strip() == "started", err[-3000:]
        users = asyncio.run(_users(url))
        assert users and len(users) == len(set(users)), users
        assert "adviseur.enschede" in users
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        asyncio.run(_drop_postgres_database(admin_url, name))
