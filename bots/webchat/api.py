"""JSON API v1 for parents: open a conversation, post and list messages, answer prompts."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adviceline.channels import ParentPort
from adviceline.domain import MAX_SEQ, ConversationView, Inbound, Invalid
from adviceline.jsonapi import BadRequest, client_address, json_error, read_json
from bots.webchat.keys import CHANNEL, PORT
from bots.webchat.openapi import OPENAPI

routes = web.RouteTableDef()


def port(request: web.Request) -> ParentPort:
    return request.app[PORT]()


def limit(request: web.Request, kind: str) -> None:
    """Count this request against its client address (429 with Retry-After when over)."""
    parent_port = port(request)
    parent_port.rate_limit(kind, client_address(request, parent_port.trust_forwarded_for))


async def authorised(request: web.Request) -> ConversationView:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise web.HTTPUnauthorized(
            text='{"error": {"code": "token_required", "message": "Send the conversation token '
                 'as: Authorization: Bearer <token>"}}', content_type="application/json")
    conversation = await port(request).conversation_for_token(token.strip())
    if conversation is None:
        raise web.HTTPUnauthorized(
            text='{"error": {"code": "unknown_token", "message": "No conversation has this '
                 'token."}}', content_type="application/json")
    return conversation


def field(body: dict[str, Any], name: str, kind: type, required: bool = True) -> Any:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BadRequest(f"'{name}' must be a {kind.__name__}.")
    if isinstance(value, int) and not 0 <= value <= MAX_SEQ:
        raise BadRequest(f"'{name}' must be a whole number from 0 to {MAX_SEQ}.")
    return value


def only_fields(body: dict[str, Any], *names: str) -> None:
    """Refuse fields the request's schema does not name (`additionalProperties: false`)."""
    unknown = sorted(set(body) - set(names))
    if unknown:
        raise BadRequest(f"Unknown field(s): {', '.join(unknown)[:200]}.")


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


@routes.get("/api/v1/municipalities")
async def municipalities(request: web.Request) -> web.Response:
    parent_port = port(request)
    return web.json_response({**parent_port.service(),
                              "municipalities": parent_port.municipalities()})


@routes.post("/api/v1/conversations")
async def create_conversation(request: web.Request) -> web.Response:
    limit(request, "conversations")
    body = await read_json(request)
    only_fields(body, "municipality", "language")
    language = field(body, "language", str, required=False) or "nl"
    if language not in ("nl", "en"):
        raise Invalid("'language' must be 'nl' or 'en'.")
    given = field(body, "municipality", str, required=False)
    municipality = port(request).resolve_municipality(given)
    parent_port = port(request)
    created = await parent_port.open_conversation(
        CHANNEL, municipality, language,
        source=client_address(request, parent_port.trust_forwarded_for))
    return web.json_response({"token": created.token, "municipality": created.municipality,
                              "language": created.language}, status=201)


@routes.get("/api/v1/conversation")
async def conversation(request: web.Request) -> web.Response:
    found = await authorised(request)
    return web.json_response({"municipality": found.municipality, "language": found.language,
                              "last_seq": found.last_seq})


@routes.patch("/api/v1/conversation")
async def change_conversation(request: web.Request) -> web.Response:
    """The parent switched language; system messages and answers follow it from now on."""
    found = await authorised(request)
    body = await read_json(request)
    only_fields(body, "language")
    changed = await port(request).choose_language(found.conversation_id,
                                                  field(body, "language", str))
    return web.json_response({"municipality": changed.municipality,
                              "language": changed.language, "last_seq": changed.last_seq})


@routes.delete("/api/v1/conversation")
async def erase_conversation(request: web.Request) -> web.Response:
    """The parent deletes the conversation: every message's text, the tokens of every device,
    the resume code and push subscriptions. Anonymous statistics stay."""
    found = await authorised(request)
    await port(request).erase(found.conversation_id)
    return web.json_response({"status": "erased"})


@routes.get("/api/v1/conversation/messages")
async def list_messages(request: web.Request) -> web.Response:
    found = await authorised(request)
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        return json_error(400, "bad_request", "'after' must be a whole number.")
    if not 0 <= after <= MAX_SEQ:
        return json_error(400, "bad_request", f"'after' must be from 0 to {MAX_SEQ}.")
    messages = await port(request).messages_after(found.conversation_id, after)
    return web.json_response({"messages": [m.to_json() for m in messages]})


@routes.get("/api/v1/conversation/queue")
async def queue_status(request: web.Request) -> web.Response:
    """{"status": "waiting", "position", "estimated_wait_minutes", "answer_by"}, or
    "with_adviser" / "none"."""
    found = await authorised(request)
    return web.json_response(await port(request).queue_status(found.conversation_id))


@routes.post("/api/v1/conversation/messages")
async def post_message(request: web.Request) -> web.Response:
    found = await authorised(request)
    limit(request, "messages")
    body = await read_json(request)
    text = field(body, "text", str)
    client_id = field(body, "client_id", str, required=False)
    receipt = await port(request).receive(Inbound(found.conversation_id, text, client_id))
    return web.json_response({"seq": receipt.seq, "client_id": receipt.client_id,
                              "duplicate": receipt.duplicate},
                             status=200 if receipt.duplicate else 201)


@routes.post("/api/v1/conversation/feedback")
async def feedback(request: web.Request) -> web.Response:
    found = await authorised(request)
    limit(request, "messages")
    body = await read_json(request)
    await port(request).feedback(found.conversation_id, field(body, "seq", int),
                                 field(body, "helpful", bool))
    return web.json_response({"status": "recorded"})


@routes.post("/api/v1/conversation/choice")
async def choice(request: web.Request) -> web.Response:
    found = await authorised(request)
    limit(request, "messages")
    body = await read_json(request)
    await port(request).choose(found.conversation_id, field(body, "entry", str))
    return web.json_response({"status": "answered"})


@routes.post("/api/v1/conversation/adviser")
async def adviser(request: web.Request) -> web.Response:
    found = await authorised(request)
    limit(request, "messages")
    await port(request).ask_adviser(found.conversation_id)
    return web.json_response({"status": "queued"})


@routes.post("/api/v1/conversation/resume-code")
async def resume_code(request: web.Request) -> web.Response:
    """A short code that opens this conversation on another device (a new one replaces it)."""
    found = await authorised(request)
    code = await port(request).make_resume_code(found.conversation_id)
    return web.json_response({"code": code}, status=201)


@routes.post("/api/v1/conversations/resume")
async def resume(request: web.Request) -> web.Response:
    """Open a conversation on this device with its resume code; returns a token of its own."""
    limit(request, "conversations")   # also what keeps codes from being guessed in bulk
    body = await read_json(request)
    opened = await port(request).resume(field(body, "code", str))
    return web.json_response({"token": opened.token, "municipality": opened.municipality,
                              "language": opened.language})


@routes.get("/api/v1/push/key")
async def push_key(request: web.Request) -> web.Response:
    return web.json_response({"public_key": port(request).push_key()})


@routes.post("/api/v1/conversation/push-subscription")
async def subscribe_push(request: web.Request) -> web.Response:
    found = await authorised(request)
    body = await read_json(request)
    keys = field(body, "keys", dict)
    await port(request).subscribe_push(found.conversation_id, field(body, "endpoint", str),
                                       field(keys, "p256dh", str), field(keys, "auth", str))
    return web.json_response({"status": "subscribed"}, status=201)


@routes.delete("/api/v1/conversation/push-subscription")
async def unsubscribe_push(request: web.Request) -> web.Response:
    found = await authorised(request)
    body = await read_json(request)
    await port(request).unsubscribe_push(found.conversation_id, field(body, "endpoint", str))
    return web.json_response({"status": "unsubscribed"})
