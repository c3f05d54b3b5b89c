"""A small parent client for tests: opens a conversation and reads the websocket with deadlines."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp

DEADLINE = 10.0


async def open_conversation(http: aiohttp.ClientSession, base: str,
                            municipality: str | None = "enschede",
                            language: str = "nl") -> str:
    response = await http.post(f"{base}/api/v1/conversations",
                               json={"municipality": municipality, "language": language})
    assert response.status == 201, await response.text()
    return str((await response.json())["token"])


class ParentSocket:
    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.messages: dict[int, dict[str, Any]] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self.errors: list[dict[str, Any]] = []

    @classmethod
    async def connect(cls, http: aiohttp.ClientSession, ws_url: str, token: str,
                      last_seq: int = 0, origin: str | None = None) -> ParentSocket:
        headers = {"Origin": origin} if origin else {}
        socket = await http.ws_connect(ws_url, headers=headers)
        await socket.send_json({"type": "hello", "token": token, "last_seq": last_seq})
        client = cls(socket)
        ready = await client.next_frame()
        assert ready["type"] == "ready", ready
        return client

    async def next_frame(self) -> dict[str, Any]:
        frame: dict[str, Any] = await asyncio.wait_for(self.socket.receive_json(), DEADLINE)
        if frame["type"] == "message":
            assert frame["seq"] not in self.messages, f"duplicate delivery of seq {frame['seq']}"
            self.messages[frame["seq"]] = frame
        elif frame["type"] == "ack":
            self.acks[frame["client_id"]] = frame
        elif frame["type"] == "error":
            self.errors.append(frame)
        return frame

    async def wait_for(self, found: Callable[[ParentSocket], Any]) -> Any:
        """Read frames until `found(self)` returns something truthy, or fail at the deadline."""
        async def loop() -> Any:
            while not (result := found(self)):
                await self.next_frame()
            return result
        return await asyncio.wait_for(loop(), DEADLINE)

    async def ask(self, text: str, client_id: str | None = None) -> int:
        client_id = client_id or str(uuid.uuid4())
        await self.socket.send_json({"type": "message", "client_id": client_id, "text": text})
        ack = await self.wait_for(lambda c: c.acks.get(client_id))
        return int(ack["seq"])

    def after(self, seq: int) -> list[dict[str, Any]]:
        return [self.messages[s] for s in sorted(self.messages) if s > seq]

    def first_after(self, seq: int, kind: str) -> dict[str, Any] | None:
        return next((m for m in self.after(seq) if m["kind"] == kind), None)

    async def close(self) -> None:
        await self.socket.close()
