"""A small local stand-in for the Telegram Bot API's HTTP interface (getMe, getUpdates,
setWebhook, deleteWebhook, sendMessage, editMessageText, answerCallbackQuery), on a loopback
port, with scripted 429 retry_after, 5xx, dropped connections and slow answers."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

TOKEN = "123456789:AAHfakefakefakefakefakefakefakefake"
BOT_ID = 123456789
_dates = itertools.count(1_764_900_000)


@dataclass(frozen=True)
class Fault:
    kind: str            # "429" | "500" | "502" | "drop" | "slow"
    seconds: float = 0   # retry_after for 429, the delay for slow


@dataclass
class FakeBotApi:
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    offsets: list[int | None] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)   # every call, also those that failed
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    # Called with the offset of every getUpdates before it is answered (to check what is stored).
    on_get_updates: Callable[[int | None], Awaitable[None]] | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    # A fresh Event per change, no lock: Python 3.11's asyncio.Condition can hang for good when
    # a waiter is cancelled while reacquiring it (test teardowns cancel every task at once).
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    server: TestServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/bot"))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self.server = TestServer(app, host="127.0.0.1", port=0)
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    def fail(self, method: str, *faults: Fault) -> None:
        self.faults.setdefault(method, []).extend(faults)

    async def push(self, update: dict[str, Any]) -> None:
        """Telegram has a new update for the bot (polling mode)."""
        self.updates.append(update)
        self._notify()

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [params for method, params in self.calls if method == "sendMessage"
                and (chat_id is None or int(params["chat_id"]) == chat_id)]

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        async with asyncio.timeout(timeout):
            await self._until(condition)

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _until(self, condition: Callable[[], bool]) -> None:
        while not condition():
            await self._changed.wait()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != TOKEN:
            return _fail(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        self.attempts.append(method)
        self._notify()
        queued = self.faults.get(method)
        fault = queued.pop(0) if queued else None
        if fault is not None:
            if fault.kind == "429":
                return web.json_response(
                    {"ok": False, "error_code": 429,
                     "description": f"Too Many Requests: retry after {int(fault.seconds)}",
                     "parameters": {"retry_after": int(fault.seconds)}}, status=429)
            if fault.kind in ("500", "502"):
                return _fail(int(fault.kind), "Internal Server Error")
            if fault.kind == "drop":
                assert request.transport is not None
                request.transport.close()
                return web.Response()
            if fault.kind == "slow":
                await asyncio.sleep(fault.seconds)
        result = await self._answer(method, params)
        if isinstance(result, dict) and "message_id" in result:
            params["_message_id"] = result["message_id"]
        self.calls.append((method, params))
        self._notify()
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "Advieslijn",
                    "username": "advieslijn_test_bot", "can_join_groups": False,
                    "can_read_all_group_messages": False, "supports_inline_queries": False}
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "setWebhook":
            self.webhook = params
            return True
        if method in ("deleteWebhook", "answerCallbackQuery"):
            return True
        if method == "sendMessage":
            return {"message_id": next(self._ids), "date": next(_dates),
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "text": params["text"]}
        if method == "editMessageText":
            return {"message_id": int(params["message_id"]), "date": next(_dates),
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "text": params["text"]}
        return _fail(404, "Not Found: method not found")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params["offset"]) if params.get("offset") is not None else None
        self.offsets.append(offset)
        if self.on_get_updates is not None:
            await self.on_get_updates(offset)
        if offset is not None:   # an offset confirms every update before it
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            timeout = float(params.get("timeout") or 0)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(timeout, 2.0)):
                    await self._until(lambda: bool(self.updates))
        return list(self.updates)


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data)
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        text = value if isinstance(value, str) else ""
        if key in ("reply_markup", "allowed_updates", "link_preview_options"):
            params[key] = json.loads(text)
        else:
            params[key] = text
    return params


def _fail(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description},
                             status=status)


# Updates as Telegram sends them -------------------------------------------------------------

_update_ids = itertools.count(500_000)
_message_ids = itertools.count(1)


def _user(chat_id: int, language: str) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Ouder", "language_code": language}


def message(chat_id: int, text: str | None = None, *, language: str = "nl",
            update_id: int | None = None, edited: bool = False,
            **content: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"message_id": next(_message_ids), "date": next(_dates),
                            "chat": {"id": chat_id, "type": "private", "first_name": "Ouder"},
                            "from": _user(chat_id, language), **content}
    if text is not None:
        body["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if edited:
        body["edit_date"] = next(_dates)
    return {"update_id": update_id if update_id is not None else next(_update_ids),
            "edited_message" if edited else "message": body}


def tap(chat_id: int, data: str, *, message_id: int, text: str = "…",
        language: str = "nl") -> dict[str, Any]:
    return {"update_id": next(_update_ids),
            "callback_query": {
                "id": str(next(_update_ids)), "from": _user(chat_id, language),
                "chat_instance": "1", "data": data,
                "message": {"message_id": message_id, "date": next(_dates),
                            "chat": {"id": chat_id, "type": "private"}, "text": text}}}


def buttons(params: dict[str, Any]) -> list[tuple[str, str]]:
    markup = params.get("reply_markup") or {}
    return [(button["text"], button["callback_data"])
            for row in markup.get("inline_keyboard", []) for button in row]
