"""JSON API v1 for parents: open a conversation, post and list messages, answer prompts."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adviceline.channels import ParentPort
from adviceline.domain import ConversationView, Inbound, Invalid
from adviceline.web.errors import BadRequest, json_error, read_json
from bots.webchat.keys import CHANNEL, PORT
from bots.webchat.openapi import OPENAPI

routes = web.RouteTableDef()


def port(request: web.Request) -> ParentPort:
    return request.app[PORT]()


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
    return value


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


@routes.get("/api/v1/municipalities")
async def municipalities(request: web.Request) -> web.Response:
    return web.json_response({"municipalities": port(request).municipalities()})


@routes.post("/api/v1/conversations")
async def create_conversation(request: web.Request) -> web.Response:
    body = await read_json(request)
    language = field(body, "language", str, required=False) or "nl"
    if language not in ("nl", "en"):
        raise Invalid("'language' must be 'nl' or 'en'.")
    given = field(body, "municipality", str, required=False)
    municipality = port(request).resolve_municipality(given)
    created = await port(request).open_conversation(CHANNEL, municipality, language)
    return web.json_response({"token": created.token, "municipality": created.municipality,
                              "language": created.language}, status=201)


@routes.get("/api/v1/conversation")
async def conversation(request: web.Request) -> web.Response:
    found = await authorised(request)
    return web.json_response({"municipality": found.municipality, "language": found.language,
                              "last_seq": found.last_seq})


@routes.get("/api/v1/conversation/messages")
async def list_messages(request: web.Request) -> web.Response:
    found = await authorised(request)
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        return json_error(400, "bad_request", "'after' must be a whole number.")
    if after < 0:
        return json_error(400, "bad_request", "'after' must not be negative.")
    messages = await port(request).messages_after(found.conversation_id, after)
    return web.json_response({"messages": [m.to_json() for m in messages]})


@routes.post("/api/v1/conversation/messages")
async def post_message(request: web.Request) -> web.Response:
    found = await authorised(request)
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
    body = await read_json(request)
    await port(request).feedback(found.conversation_id, field(body, "seq", int),
                                 field(body, "helpful", bool))
    return web.json_response({"status": "recorded"})


@routes.post("/api/v1/conversation/choice")
async def choice(request: web.Request) -> web.Response:
    found = await authorised(request)
    body = await read_json(request)
    await port(request).choose(found.conversation_id, field(body, "entry", str))
    return web.json_response({"status": "answered"})


@routes.post("/api/v1/conversation/adviser")
async def adviser(request: web.Request) -> web.Response:
    found = await authorised(request)
    await port(request).ask_adviser(found.conversation_id)
    return web.json_response({"status": "queued"})
