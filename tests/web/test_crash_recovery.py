"""The service killed (SIGKILL) again and again during mixed parent traffic on SQLite: after each
restart every acknowledged message is stored exactly once and every stored message is handled.

The service runs as a real process (`python -m adviceline serve`), parents talk to it over
websockets and HTTP the way the chat page does: every message has a client_id, stays in the
parent's outbox until acknowledged, and is sent again after a reconnect.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PARENTS, MESSAGES, KILLS = 5, 12, 3
QUESTIONS = ("Mijn peuter wil niet slapen, wat kan ik doen?",
             "Hoe leer ik mijn kind zelf aankleden?",
             "Mijn zoon van vier slaat andere kinderen.",
             "Bedankt!")


def free_port() -> int:
    # The service is restarted several times; each start gets a port that is free just now.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    """`adviceline serve` on a SQLite file, started and SIGKILLed at will."""

    def __init__(self, directory: Path) -> None:
        self.database = directory / "adviceline.db"
        self.config = directory / "adviceline.toml"
        text = (ROOT / "config" / "adviceline.toml").read_text(encoding="utf-8")
        text = text.replace('postcodes_file = "data/',
                            f'postcodes_file = "{ROOT / "config" / "data"}/')
        # Every test parent comes from 127.0.0.1: the per-address limits are not tested here.
        text = text.replace("[rate_limits]\n", "[rate_limits]\nenabled = false\n", 1)
        text = text.replace("\nenabled = true\nconversations_per_minute",
                            "\nconversations_per_minute", 1)
        self.config.write_text(text, encoding="utf-8")
        self.log = directory / "service.log"
        self.process: asyncio.subprocess.Process | None = None
        self.base: str | None = None   # None while down

    async def start(self) -> None:
        port = free_port()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "adviceline", "serve", "--config", str(self.config),
                "--database", f"sqlite+aiosqlite:///{self.database}", "--host", "127.0.0.1",
                "--port", str(port), cwd=ROOT, stdout=log, stderr=log,
                env={**os.environ, "PYTHONPATH": str(ROOT)})
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            for _ in range(1200):
                try:
                    if (await http.get(f"{base}/readyz")).status == 200:
                        self.base = base
                        return
                except aiohttp.ClientError:
                    pass
                if self.process.returncode is not None:
                    break
                await asyncio.sleep(0.05)
        raise AssertionError("the service did not start:\n" + self.log.read_text()[-3000:])

    async def kill(self) -> None:
        assert self.process is not None
        self.base = None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()


class Parent:
    """One parent: an outbox of unacknowledged messages, resent after every reconnect."""

    def __init__(self, number: int, token: str, progress: asyncio.Event) -> None:
        self.number, self.token, self.progress = number, token, progress
        self.outbox: dict[str, str] = {}
        self.acked: dict[str, int] = {}
        self.sent = 0

    def next_message(self) -> tuple[str, str]:
        client_id = f"p{self.number}-m{self.sent}"
        text = f"{QUESTIONS[self.sent % len(QUESTIONS)]} ({client_id})"
        self.sent += 1
        self.outbox[client_id] = text
        return client_id, text

    async def run(self, service: Service, http: aiohttp.ClientSession) -> None:
        while self.sent < MESSAGES or self.outbox:
            base = service.base
            if base is None:
                await asyncio.sleep(0.02)
                continue
            try:
                if self.sent % 3 == 2 and not self.outbox:
                    await self._over_http(base, http)
                else:
                    await self._over_websocket(base, http)
            except (aiohttp.ClientError, ConnectionError, TimeoutError):
                await asyncio.sleep(0.02)   # the service is down: wait for the next one

    async def _over_http(self, base: str, http: aiohttp.ClientSession) -> None:
        client_id, text = self.next_message()
        response = await http.post(f"{base}/api/v1/conversation/messages",
                                   json={"text": text, "client_id": client_id},
                                   headers={"Authorization": f"Bearer {self.token}"},
                                   timeout=aiohttp.ClientTimeout(total=5))
        assert response.status in (200, 201), await response.text()
        self._ack(client_id, (await response.json())["seq"])

    async def _over_websocket(self, base: str, http: aiohttp.ClientSession) -> None:
        async with http.ws_connect(f"{base.replace('http', 'ws')}/api/v1/conversation/ws",
                                   timeout=aiohttp.ClientWSTimeout(ws_close=1)) as ws:
            await ws.send_json({"type": "hello", "token": self.token, "last_seq": 0})
            for client_id, text in list(self.outbox.items()):   # what the page resends
                await ws.send_json({"type": "message", "client_id": client_id, "text": text})
            if not self.outbox and self.sent < MESSAGES:
                client_id, text = self.next_message()
                await ws.send_json({"type": "message", "client_id": client_id, "text": text})
            while self.outbox:
                message = await ws.receive(timeout=5)
                if message.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError("the socket closed")
                frame = message.json()
                assert frame["type"] != "error", frame
                if frame["type"] == "ack" and "seq" in frame:
                    self._ack(frame["client_id"], frame["seq"])

    def _ack(self, client_id: str, seq: int) -> None:
        assert self.acked.setdefault(client_id, seq) == seq, "one message, two seqs"
        self.outbox.pop(client_id, None)
        self.progress.set()


def stored(database: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(
            "SELECT c.token_hash, m.seq, m.client_id, m.body, m.handled, m.decision "
            "FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE m.sender = 'parent'")]


@pytest.mark.timeout(240)
async def test_every_acknowledged_message_survives_sigkill_once_and_is_handled(
        tmp_path: Path) -> None:
    service = Service(tmp_path)
    await service.start()
    try:
        async with aiohttp.ClientSession() as http:
            parents, progress = [], asyncio.Event()
            for number in range(PARENTS):
                response = await http.post(f"{service.base}/api/v1/conversations",
                                           json={"municipality": "enschede"})
                parents.append(Parent(number, (await response.json())["token"], progress))
            talking = asyncio.gather(*(parent.run(service, http) for parent in parents))
            for kill in range(1, KILLS + 1):
                # Kill while parents are mid-conversation: after some progress, before the end.
                while sum(len(p.acked) for p in parents) < kill * PARENTS * MESSAGES // (KILLS + 1):
                    progress.clear()
                    await asyncio.wait_for(progress.wait(), 60)
                await service.kill()
                await service.start()
            # And a knowledge-base reload while the parents finish (SIGHUP, off the loop).
            assert service.process is not None
            service.process.send_signal(signal.SIGHUP)
            await asyncio.wait_for(talking, 120)

            # Every stored message is handled: left-overs at each start, new ones at once.
            for _ in range(600):
                rows = stored(service.database)
                if all(row["handled"] and row["decision"] for row in rows):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("stored messages left unhandled for 30 s")
            for _ in range(600):
                if '"knowledge base reloaded"' in service.log.read_text(encoding="utf-8"):
                    break
                await asyncio.sleep(0.05)
    finally:
        await service.stop()

    by_parent = {hashlib.sha256(p.token.encode()).hexdigest(): p for p in parents}
    for parent in parents:
        assert len(parent.acked) == MESSAGES and not parent.outbox
    seen: dict[str, int] = {}
    for row in rows:
        parent = by_parent[row["token_hash"]]
        assert row["client_id"] in parent.acked, row           # nothing stored unasked
        assert parent.acked[row["client_id"]] == row["seq"]     # the seq the parent was told
        assert row["body"].endswith(f"({row['client_id']})")
        seen[row["client_id"]] = seen.get(row["client_id"], 0) + 1
    assert sorted(seen) == sorted(c for p in parents for c in p.acked)
    assert set(seen.values()) == {1}                            # exactly once
    log = service.log.read_text(encoding="utf-8")
    assert log.count("adviceline is running") == KILLS + 1      # it really was restarted
    assert log.count('"knowledge base reloaded"') == 1
    for question in QUESTIONS:                                  # and no parent text in its log
        assert question not in log
