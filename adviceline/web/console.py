"""The adviser console: a live queue, claim, read the conversation, reply, release, close."""

from __future__ import annotations

import asyncio
from html import escape

from aiohttp import WSMsgType, web

from adviceline.advisers import Adviser
from adviceline.notify import QUEUE
from adviceline.web import pages
from adviceline.web.auth import require_staff, same_origin, staff_page
from adviceline.web.errors import BadRequest, read_json
from adviceline.web.keys import CONSOLE_SOCKETS, DESK, NOTIFIER

routes = web.RouteTableDef()
POLL_SECONDS = 5.0


async def _adviser(request: web.Request, state_changing: bool = False) -> Adviser:
    staff = await require_staff(request, "adviser", state_changing=state_changing)
    return Adviser.from_user(staff.user)


@routes.get("/console")
async def console_page(request: web.Request) -> web.Response:
    staff = await staff_page(request, "adviser")
    body = pages.staff_header(staff.user.display_name, "Adviseur", staff.csrf_token) + f"""
<main class="console">
<section class="queue" aria-labelledby="queue-title">
  <h2 id="queue-title">Wachtende vragen <span id="live" class="live">verbinden…</span></h2>
  <ul id="queue" aria-live="polite"></ul>
  <p id="queue-empty" class="muted">Er wachten geen vragen voor
    {escape(", ".join(staff.user.municipalities) or "jouw gemeenten")}.</p>
</section>
<section class="conversation" aria-labelledby="conversation-title">
  <h2 id="conversation-title">Gesprek</h2>
  <p id="conversation-hint" class="muted">Kies een vraag uit de lijst.</p>
  <div id="conversation" hidden>
    <p id="question-meta" class="meta"></p>
    <ol id="messages" class="messages"></ol>
    <div class="actions">
      <button id="claim" type="button">Oppakken</button>
      <button id="release" type="button">Teruggeven aan de wachtrij</button>
    </div>
    <form id="reply-form">
      <label for="reply">Antwoord aan de ouder</label>
      <textarea id="reply" rows="5" maxlength="4000" required></textarea>
      <button type="submit">Versturen</button>
    </form>
    <form id="close-form">
      <label for="topic">Onderwerp</label>
      <select id="topic" required></select>
      <button type="submit">Afsluiten</button>
    </form>
    <p id="error" class="error" role="alert"></p>
  </div>
</section>
</main>"""
    return pages.layout("Console", body, csrf=staff.csrf_token, script="console.js")


@routes.get("/console/api/queue")
async def queue(request: web.Request) -> web.Response:
    adviser = await _adviser(request)
    return web.json_response({"questions": await request.app[DESK].queue(adviser)})


@routes.get("/console/api/questions/{question_id}")
async def question(request: web.Request) -> web.Response:
    adviser = await _adviser(request)
    return web.json_response(await request.app[DESK].conversation(
        adviser, request.match_info["question_id"]))


@routes.post("/console/api/questions/{question_id}/claim")
async def claim(request: web.Request) -> web.Response:
    adviser = await _adviser(request, state_changing=True)
    await request.app[DESK].claim(adviser, request.match_info["question_id"])
    return web.json_response({"status": "claimed"})


@routes.post("/console/api/questions/{question_id}/release")
async def release(request: web.Request) -> web.Response:
    adviser = await _adviser(request, state_changing=True)
    await request.app[DESK].release(adviser, request.match_info["question_id"])
    return web.json_response({"status": "waiting"})


@routes.post("/console/api/questions/{question_id}/reply")
async def reply(request: web.Request) -> web.Response:
    adviser = await _adviser(request, state_changing=True)
    body = await read_json(request)
    if not isinstance(body.get("text"), str):
        raise BadRequest("'text' (a string) is required.")
    seq = await request.app[DESK].reply(adviser, request.match_info["question_id"], body["text"])
    return web.json_response({"seq": seq}, status=201)


@routes.post("/console/api/questions/{question_id}/close")
async def close(request: web.Request) -> web.Response:
    adviser = await _adviser(request, state_changing=True)
    body = await read_json(request)
    if not isinstance(body.get("topic"), str):
        raise BadRequest("'topic' (a topic id) is required.")
    await request.app[DESK].close(adviser, request.match_info["question_id"], body["topic"])
    return web.json_response({"status": "closed"})


@routes.get("/console/ws")
async def live(request: web.Request) -> web.WebSocketResponse:
    """Tells the console to refresh whenever the queue or a conversation changes."""
    await _adviser(request)
    if not same_origin(request):
        raise web.HTTPForbidden(text="cross-origin websocket refused")
    socket = web.WebSocketResponse(heartbeat=30, max_msg_size=1024)
    await socket.prepare(request)
    request.app[CONSOLE_SOCKETS].add(socket)
    notifier = request.app[NOTIFIER]
    reader = asyncio.create_task(_drain(socket))
    try:
        while not socket.closed and not reader.done():
            wake = notifier.listen(QUEUE)
            await socket.send_json({"type": "changed"})
            await notifier.wait(wake, POLL_SECONDS)
    except ConnectionResetError:
        pass
    finally:
        reader.cancel()
    return socket


async def _drain(socket: web.WebSocketResponse) -> None:
    async for message in socket:
        if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
            break
