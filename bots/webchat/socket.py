"""The parent's live chat over a websocket.

Protocol (JSON text frames):
  client -> {"type": "hello", "token": "...", "last_seq": N}        first frame, within 10 s
  server -> {"type": "ready", "municipality": ..., "language": ..., "last_seq": N}
  server -> {"type": "message", "seq": ..., "sender": ..., "kind": ..., "text": ..., ...}
            every message with seq > the client's last_seq, in order, then each new one
  client -> {"type": "message", "client_id": "...", "text": "..."}
  server -> {"type": "ack", "client_id": "...", "seq": N, "duplicate": bool}  after the commit
  client -> {"type": "feedback", "seq": N, "helpful": bool, "client_id": "..."}
            | {"type": "choice", "entry": id, "client_id": "..."}
            | {"type": "adviser", "client_id": "..."}
            | {"type": "language", "language": "nl|en", "client_id": "..."}
  server -> {"type": "ack", "client_id": "...", "action": "feedback|choice|adviser|language"}
            after the action is committed; a resend with the same client_id is harmless
  client -> {"type": "ping"}        server -> {"type": "pong"}   (the page's heartbeat)
  server -> {"type": "error", "code": "...", "message": "...", "client_id": ...}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from adviceline.channels import ParentPort
from adviceline.domain import (
    MAX_SEQ,
    AdvicelineError,
    ConversationView,
    Inbound,
    NotFound,
    RateLimited,
)
from adviceline.jsonapi import client_address, prepare_socket
from bots.webchat.keys import PORT, SOCKETS

log = logging.getLogger(__name__)
HELLO_TIMEOUT = 10.0
MAX_FRAME_BYTES = 32 * 1024
# What a parent writes or clicks: counted against the address's messages_per_minute.
WRITES = frozenset({"message", "feedback", "choice", "adviser"})


class ProtocolError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _origin_allowed(request: web.Request, public_origin: str | None) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:   # not a browser; browsers always send Origin on websockets
        return True
    return origin in {f"{request.scheme}://{request.host}", public_origin}


async def websocket(request: web.Request) -> web.WebSocketResponse:
    parent_port: ParentPort = request.app[PORT]()
    if not _origin_allowed(request, parent_port.public_origin):
        raise web.HTTPForbidden(text="cross-origin websocket refused")
    address = client_address(request, parent_port.trust_forwarded_for)
    parent_port.rate_limit("websockets", address)   # a 429, before the upgrade
    socket = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME_BYTES)
    await prepare_socket(request, socket)
    request.app[SOCKETS].add(socket)
    session = _Session(socket, parent_port, address)
    try:
        await session.run()
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        await session.stop()
    return socket


class _Session:
    def __init__(self, socket: web.WebSocketResponse, port: ParentPort, address: str) -> None:
        self._socket = socket
        self._port = port
        self._address = address
        self._send_lock = asyncio.Lock()
        self._deliver: asyncio.Task[None] | None = None

    async def send(self, payload: dict[str, Any]) -> None:
        async with self._send_lock:
            if not self._socket.closed:
                await self._socket.send_json(payload)

    async def run(self) -> None:
        conversation, last_seq = await self._hello()
        if conversation is None:
            return
        await self.send({"type": "ready", "municipality": conversation.municipality,
                         "language": conversation.language, "last_seq": conversation.last_seq})
        self._deliver = asyncio.create_task(self._delivery(conversation.conversation_id, last_seq))
        async for frame in self._socket:
            if frame.type != WSMsgType.TEXT:
                if frame.type == WSMsgType.BINARY:
                    await self._error("bad_frame", "Send JSON text frames.")
                continue
            parsed: dict[str, Any] = {}
            try:
                parsed = _parse(frame.data)
                await self._handle(conversation, parsed)
            except ProtocolError as exc:
                # With the client id, the page stops resending what can never succeed.
                client_id = parsed.get("client_id")
                await self._error("bad_request", exc.message,
                                  client_id if isinstance(client_id, str) else None)
            except (asyncio.CancelledError, ConnectionResetError):
                raise
            except Exception:
                # Our fault, perhaps passing (the database): no client id, so the page keeps the
                # frame and sends it again; the socket and the frames after it carry on.
                log.exception("a web chat frame failed", extra={"frame": parsed.get("type")
                                                                if isinstance(parsed.get("type"),
                                                                              str) else None})
                await self._error("internal", "Er ging bij ons iets mis; we proberen het zo "
                                              "opnieuw. / Something went wrong on our side.")

    async def _hello(self) -> tuple[ConversationView | None, int]:
        try:
            frame = await self._socket.receive(timeout=HELLO_TIMEOUT)
        except TimeoutError:
            await self._close(4408, "hello expected")
            return None, 0
        if frame.type != WSMsgType.TEXT:
            await self._close(4400, "hello expected")
            return None, 0
        try:
            hello = _parse(frame.data)
            if hello.get("type") != "hello" or not isinstance(hello.get("token"), str):
                raise ProtocolError("The first frame must be {type: hello, token, last_seq}.")
            last_seq = hello.get("last_seq", 0)
            if not isinstance(last_seq, int) or isinstance(last_seq, bool) or \
                    not 0 <= last_seq <= MAX_SEQ:
                raise ProtocolError(f"'last_seq' must be a whole number from 0 to {MAX_SEQ}.")
        except ProtocolError as exc:
            await self._error("bad_request", exc.message)
            await self._close(4400, "bad hello")
            return None, 0
        conversation = await self._port.conversation_for_token(hello["token"])
        if conversation is None:
            await self._error("unknown_token", "No conversation has this token.")
            await self._close(4401, "unknown token")
            return None, 0
        return conversation, last_seq

    async def _delivery(self, conversation_id: str, last_seq: int) -> None:
        """Send every stored message after last_seq, in order, without gaps, as they arrive."""
        try:
            async with contextlib.aclosing(self._port.follow(conversation_id, last_seq)) as live:
                async for messages in live:
                    if self._socket.closed:
                        break
                    for message in messages:
                        await self.send({"type": "message", **message.to_json()})
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except NotFound:
            # Erased (on another device, by an adviser, after the retention period).
            await self._error("unknown_token", "Dit gesprek bestaat niet meer. / This "
                                               "conversation no longer exists.")
            await self._close(4401, "conversation erased")
        except Exception:
            # The client reconnects and resumes from its last seq; nothing is lost.
            log.exception("delivery to a web chat failed; closing the socket")
            await self._close(1011, "delivery failed")

    async def _handle(self, conversation: ConversationView, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        client_id = frame.get("client_id")
        if kind == "ping":
            await self.send({"type": "pong"})
            return
        if client_id is not None and not isinstance(client_id, str):
            raise ProtocolError("'client_id' must be a string.")
        try:
            if kind in WRITES:
                self._port.rate_limit("messages", self._address)
            if kind == "message":
                text = frame.get("text")
                if not isinstance(text, str):
                    raise ProtocolError("'text' must be a string.")
                receipt = await self._port.receive(
                    Inbound(conversation.conversation_id, text, client_id))
                await self.send({"type": "ack", "client_id": receipt.client_id,
                                 "seq": receipt.seq, "duplicate": receipt.duplicate})
            elif kind == "feedback":
                seq, helpful = frame.get("seq"), frame.get("helpful")
                if not isinstance(seq, int) or isinstance(seq, bool) or \
                        not isinstance(helpful, bool):
                    raise ProtocolError("feedback needs 'seq' (number) and 'helpful' (boolean).")
                await self._port.feedback(conversation.conversation_id, seq, helpful)
            elif kind == "choice":
                entry = frame.get("entry")
                if not isinstance(entry, str):
                    raise ProtocolError("choice needs 'entry'.")
                await self._port.choose(conversation.conversation_id, entry)
            elif kind == "adviser":
                await self._port.ask_adviser(conversation.conversation_id)
            elif kind == "language":
                language = frame.get("language")
                if not isinstance(language, str):
                    raise ProtocolError("language needs 'language' ('nl' or 'en').")
                await self._port.choose_language(conversation.conversation_id, language)
            else:
                raise ProtocolError(f"Unknown frame type {kind!r}.")
            if kind != "message" and client_id is not None:
                # The page keeps an action in its outbox until this arrives.
                await self.send({"type": "ack", "client_id": client_id, "action": kind})
        except RateLimited as exc:
            # Without the client id: the page keeps the frame and sends it after retry_after.
            await self.send({"type": "error", "code": exc.code, "message": exc.message,
                             "client_id": None, "retry_after": exc.retry_after})
        except AdvicelineError as exc:
            await self._error(exc.code, exc.message,
                              client_id if isinstance(client_id, str) else None)

    async def _error(self, code: str, message: str, client_id: str | None = None) -> None:
        await self.send({"type": "error", "code": code, "message": message,
                         "client_id": client_id})

    async def _close(self, code: int, reason: str) -> None:
        await self._socket.close(code=code, message=reason.encode())

    async def stop(self) -> None:
        if self._deliver is not None:
            self._deliver.cancel()
            await asyncio.gather(self._deliver, return_exceptions=True)


def _parse(data: str) -> dict[str, Any]:
    try:
        frame = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"Not valid JSON: {exc.msg}.") from exc
    except RecursionError as exc:
        raise ProtocolError("The frame is nested too deeply.") from exc
    if not isinstance(frame, dict):
        raise ProtocolError("A frame must be a JSON object.")
    return frame
