"""The adviser console: a live queue, claim, read the conversation, reply, release, close."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from html import escape

from aiohttp import WSMsgType, web

from adviceline.advisers import Adviser
from adviceline.notify import QUEUE
from adviceline.web import pages
from adviceline.web.auth import current_staff, require_staff, same_origin, staff_page
from adviceline.web.errors import BadRequest, path_id, prepare_socket, read_json
from adviceline.web.keys import CLOCK, CONFIG, CONSOLE_SOCKETS, DESK, NOTIFIER, PIPELINE

routes = web.RouteTableDef()
# How often an open console tells the desk it is still there (a write), at most.
SEEN_EVERY = timedelta(seconds=15)


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
  <p class="presence"><label for="presence">Ik ben</label>
    <select id="presence">
      <option value="available">beschikbaar</option>
      <option value="busy">bezig (geen nieuwe vragen)</option>
      <option value="away">afwezig (mijn vragen gaan terug)</option>
    </select>
    <button id="notify-me" type="button" class="link" hidden>Browsermeldingen aanzetten</button></p>
  <div id="on-call" class="offer on-call" role="alert" hidden>
    <h3>Je bent opgeroepen (dienst op afroep)</h3>
    <ul id="on-call-list"></ul>
  </div>
  <div id="offer" class="offer" role="alert" hidden>
    <p id="offer-text"></p>
    <button id="offer-accept" type="button">Aannemen</button>
    <button id="offer-decline" type="button" class="secondary">Nu niet</button>
  </div>
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
    <ul id="notes" class="notes"
        aria-label="Overdrachtsnotities (niet zichtbaar voor de ouder)"></ul>
    <form id="transfer-form">
      <label for="transfer-to">Overdragen aan</label>
      <select id="transfer-to" required></select>
      <label for="transfer-note">Notitie voor wie het overneemt (de ouder ziet dit niet)</label>
      <textarea id="transfer-note" rows="2" maxlength="2000" required></textarea>
      <button type="submit" class="secondary">Overdragen</button>
    </form>
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
    <div class="erase">
      <button id="erase" type="button" class="secondary">Gesprek verwijderen op verzoek van de
        ouder</button>
      <p id="erase-confirm" hidden>Alle berichten van dit gesprek worden gewist, ook voor de
        ouder; alleen anonieme cijfers blijven. Dit kan niet ongedaan worden gemaakt en wordt met
        jouw naam vastgelegd.
        <button id="erase-yes" type="button">Ja, verwijder dit gesprek</button>
        <button id="erase-no" type="button" class="link">Annuleren</button></p>
    </div>
    <p id="erased" class="muted" hidden></p>
    <p id="error" class="error" role="alert"></p>
  </div>
</section>
<section class="undelivered" aria-labelledby="undelivered-title">
  <h2 id="undelivered-title">Niet afgeleverd</h2>
  <p class="muted">Berichten aan ouders die hun kanaal (e-mail) niet kon afleveren.</p>
  <ul id="undelivered"></ul>
  <h2 id="quarantine-title">Niet verwerkte berichten</h2>
  <p class="muted">Binnengekomen berichten die niet als vraag konden worden gelezen
    (bijvoorbeeld een kapotte of automatische e-mail), met de reden.</p>
  <ul id="quarantine"></ul>
  <h2 id="set-aside-title">Vastgelopen berichten</h2>
  <p class="muted">Berichten van ouders die zijn opgeslagen, maar die we na herhaalde pogingen
    niet konden verwerken (geen antwoord, niet in de wachtrij). Probeer opnieuw zodra de storing
    verholpen is.</p>
  <ul id="set-aside"></ul>
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


@routes.post("/console/api/questions/{question_id}/accept")
async def accept(request: web.Request) -> web.Response:
    """Take a question offered to this adviser (the same as claiming it)."""
    adviser = await _adviser(request, state_changing=True)
    await request.app[DESK].claim(adviser, request.match_info["question_id"])
    return web.json_response({"status": "claimed"})


@routes.post("/console/api/questions/{question_id}/decline")
async def decline(request: web.Request) -> web.Response:
    """'Not now' to an offer: it goes to the next adviser."""
    adviser = await _adviser(request, state_changing=True)
    await request.app[DESK].decline(adviser, request.match_info["question_id"])
    return web.json_response({"status": "declined"})


@routes.get("/console/api/on-call")
async def on_call(request: web.Request) -> web.Response:
    """The calls this adviser got while on call, not yet marked seen."""
    adviser = await _adviser(request)
    return web.json_response({"notices": await request.app[DESK].on_call(adviser)})


@routes.post("/console/api/on-call/{notice_id:[0-9]{1,10}}/seen")
async def on_call_seen(request: web.Request) -> web.Response:
    adviser = await _adviser(request, state_changing=True)
    await request.app[DESK].on_call_seen(adviser, path_id(request, "notice_id"))
    return web.json_response({"status": "seen"})


@routes.get("/console/api/presence")
async def presence(request: web.Request) -> web.Response:
    adviser = await _adviser(request)
    return web.json_response(await request.app[DESK].presence(adviser))


@routes.post("/console/api/presence")
async def set_presence(request: web.Request) -> web.Response:
    """{"status": "available" | "busy" | "away"}."""
    adviser = await _adviser(request, state_changing=True)
    body = await read_json(request)
    if not isinstance(body.get("status"), str):
        raise BadRequest("'status' (available, busy or away) is required.")
    await request.app[DESK].set_presence(adviser, body["status"])
    return web.json_response(await request.app[DESK].presence(adviser))


@routes.post("/console/api/questions/{question_id}/release")
async def release(request: web.Request) -> web.Response:
    adviser = await _adviser(request, state_changing=True)
    await request.app[DESK].release(adviser, request.match_info["question_id"])
    return web.json_response({"status": "waiting"})


@routes.post("/console/api/questions/{question_id}/transfer")
async def transfer(request: web.Request) -> web.Response:
    """Hand a question you hold to a colleague or a desk, with a note the parent never sees:
    {"to_adviser": USERNAME} or {"to_desk": MUNICIPALITY | "regional_pool"}, and "note"."""
    adviser = await _adviser(request, state_changing=True)
    body = await read_json(request)
    to_adviser, to_desk, note = body.get("to_adviser"), body.get("to_desk"), body.get("note")
    if not isinstance(note, str) or not all(value is None or isinstance(value, str)
                                            for value in (to_adviser, to_desk)):
        raise BadRequest("'note' (a string) and 'to_adviser' or 'to_desk' (a string) are "
                         "required.")
    status = await request.app[DESK].transfer(adviser, request.match_info["question_id"],
                                              to_adviser=to_adviser, to_desk=to_desk, note=note)
    return web.json_response({"status": status})


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


@routes.post("/console/api/questions/{question_id}/erase")
async def erase(request: web.Request) -> web.Response:
    """Erase the question's conversation on the parent's request (recorded in the audit log)."""
    adviser = await _adviser(request, state_changing=True)
    await request.app[DESK].erase(adviser, request.match_info["question_id"])
    return web.json_response({"status": "erased"})


@routes.post("/console/api/questions/{question_id}/messages/{seq}/crisis-mark")
async def crisis_mark(request: web.Request) -> web.Response:
    """An adviser marks a parent message "was a crisis" (with a category) or "was not"."""
    adviser = await _adviser(request, state_changing=True)
    body = await read_json(request)
    seq = request.match_info["seq"]
    if not seq.isdigit() or len(seq) > 9:
        raise BadRequest("'seq' must be a message number.")
    label, category = body.get("label"), body.get("category")
    if not isinstance(label, str) or not (category is None or isinstance(category, str)):
        raise BadRequest("'label' (crisis | not_crisis) and an optional 'category' are needed.")
    await request.app[DESK].mark_crisis(adviser, request.match_info["question_id"], int(seq),
                                        label, category)
    return web.json_response({"label": label, "category": category})


@routes.get("/console/api/undelivered")
async def undelivered(request: web.Request) -> web.Response:
    adviser = await _adviser(request)
    return web.json_response({"items": await request.app[DESK].undelivered(adviser)})


@routes.post("/console/api/deliveries/{item_id:[0-9]{1,10}}/retry")
async def retry_delivery(request: web.Request) -> web.Response:
    adviser = await _adviser(request, state_changing=True)
    await request.app[DESK].retry_delivery(adviser, path_id(request, "item_id"))
    return web.json_response({"status": "pending"})


@routes.get("/console/api/set-aside")
async def set_aside(request: web.Request) -> web.Response:
    adviser = await _adviser(request)
    return web.json_response({"items": await request.app[DESK].set_aside(adviser)})


@routes.post("/console/api/set-aside/{message_id:[0-9]{1,10}}/retry")
async def retry_set_aside(request: web.Request) -> web.Response:
    adviser = await _adviser(request, state_changing=True)
    await request.app[DESK].retry_set_aside(adviser, path_id(request, "message_id"))
    request.app[PIPELINE].backlog.set()   # the retry loop takes it now
    return web.json_response({"status": "pending"})


@routes.get("/console/api/quarantine")
async def quarantine(request: web.Request) -> web.Response:
    adviser = await _adviser(request)
    return web.json_response({"items": await request.app[DESK].quarantine(adviser)})


@routes.get("/console/api/quarantine/{item_id:[0-9]{1,10}}/raw")
async def quarantined_raw(request: web.Request) -> web.Response:
    """The message exactly as it came in; a mail downloads as a .eml file."""
    adviser = await _adviser(request)
    item_id = path_id(request, "item_id")
    channel, raw = await request.app[DESK].quarantined(adviser, item_id)
    mail = channel == "email"
    return web.Response(
        body=raw, content_type="message/rfc822" if mail else "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="bericht-{item_id}'
                                        f'{".eml" if mail else ".bin"}"'})


@routes.post("/console/api/quarantine/{item_id:[0-9]{1,10}}/dismiss")
async def dismiss_quarantined(request: web.Request) -> web.Response:
    adviser = await _adviser(request, state_changing=True)
    await request.app[DESK].dismiss_quarantined(adviser, path_id(request, "item_id"))
    return web.json_response({"status": "dismissed"})


@routes.get("/console/ws")
async def live(request: web.Request) -> web.WebSocketResponse:
    """Tells the console to refresh whenever the queue or a conversation changes."""
    adviser = await _adviser(request)
    if not same_origin(request):
        raise web.HTTPForbidden(text="cross-origin websocket refused")
    socket = web.WebSocketResponse(heartbeat=30, max_msg_size=1024)
    await prepare_socket(request, socket)
    request.app[CONSOLE_SOCKETS].add(socket)
    notifier = request.app[NOTIFIER]
    clock, config = request.app[CLOCK], request.app[CONFIG]
    # Woken by every queue change; on its own only as often as presence needs (a console not
    # seen for [routing] disconnected_after_seconds counts as gone) or the live fallback says.
    fallback = max(1.0, min(config.live_fallback_seconds,
                            config.routing.disconnected_after_seconds / 4))
    reader = asyncio.create_task(_drain(socket))
    seen: datetime | None = None
    try:
        while not socket.closed and not reader.done():
            if await current_staff(request, touch=False) is None:
                # Logged out, idle too long or a new password: the page goes to the login.
                await socket.close(code=4401, message=b"session ended")
                break
            wake = notifier.listen(QUEUE)
            now = clock.now()
            if seen is None or now - seen >= SEEN_EVERY:
                # An open console keeps the adviser "connected"; a closed one lets their
                # claims go back to the queue after [routing] disconnected_after_seconds.
                await request.app[DESK].console_seen(adviser)
                seen = now
            await socket.send_json({"type": "changed"})
            await notifier.wait(wake, fallback)
    except ConnectionResetError:
        pass
    finally:
        reader.cancel()
    return socket


async def _drain(socket: web.WebSocketResponse) -> None:
    async for message in socket:
        if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
            break
