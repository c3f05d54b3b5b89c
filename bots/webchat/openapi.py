"""The OpenAPI 3 description of the parent-facing JSON API v1, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

_ERROR: dict[str, Any] = {"$ref": "#/components/responses/Error"}
_RATE_LIMITED: dict[str, Any] = {"$ref": "#/components/responses/RateLimited"}
_AUTH: list[dict[str, list[str]]] = [{"conversationToken": []}]


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "adviceline parent API",
        "version": "1",
        "description": (
            "Parents open a conversation (no account), receive a token once, and send it as "
            "'Authorization: Bearer <token>' on every call. The token never appears in a URL. "
            "Live updates: GET /api/v1/conversation/ws upgrades to a websocket; its first frame "
            "is {\"type\": \"hello\", \"token\": ..., \"last_seq\": N} and the server then sends "
            "every message with a higher seq, in order, and acknowledges each parent message "
            "({\"type\": \"ack\", \"client_id\", \"seq\"}) only after it is stored. "
            "feedback, choice and adviser frames sent with a client_id are acknowledged "
            "({\"type\": \"ack\", \"client_id\", \"action\"}) after the commit; a resend "
            "acts once. {\"type\": \"ping\"} is answered with {\"type\": \"pong\"}."),
    },
    "paths": {
        "/api/v1/municipalities": {"get": {
            "summary": "Municipalities a parent can choose from",
            "responses": {"200": _ok("The region's municipalities", {
                "type": "object", "properties": {
                    "region": {"type": "string", "description": "The region's name"},
                    "answer_within_minutes": {"type": "integer", "description":
                                              "Usual answer time while a desk is staffed"},
                    "regional_desk_hours": {"$ref": "#/components/schemas/DeskHours"},
                    "municipalities": {"type": "array",
                                       "items": {"$ref": "#/components/schemas/Municipality"}}}})},
        }},
        "/api/v1/conversations": {"post": {
            "summary": "Open a conversation",
            "requestBody": _json_body({"type": "object", "properties": {
                "municipality": {"type": "string", "description":
                                 "Municipality id or name, or a 4-digit postcode"},
                "language": {"type": "string", "enum": ["nl", "en"], "default": "nl"}},
                "additionalProperties": False}),
            "responses": {"201": _ok("Opened; keep the token, it is shown only now", {
                "type": "object", "required": ["token", "language"], "properties": {
                    "token": {"type": "string"},
                    "municipality": {"type": "string", "nullable": True},
                    "language": {"type": "string"}}}),
                "400": _ERROR, "413": _ERROR, "415": _ERROR, "422": _ERROR,
                "429": _RATE_LIMITED},
        }},
        "/api/v1/conversation": {
            "get": {
                "summary": "The conversation of this token",
                "security": _AUTH,
                "responses": {"200": _ok("The conversation",
                                         {"$ref": "#/components/schemas/Conversation"}),
                              "401": _ERROR},
            },
            "patch": {
                "summary": "Switch the conversation's language; replies follow it from now on",
                "security": _AUTH,
                "requestBody": _json_body({"type": "object", "required": ["language"],
                                           "properties": {"language": {
                                               "type": "string", "enum": ["nl", "en"]}},
                                           "additionalProperties": False}),
                "responses": {"200": _ok("Changed",
                                         {"$ref": "#/components/schemas/Conversation"}),
                              "400": _ERROR, "401": _ERROR, "415": _ERROR, "422": _ERROR},
            },
            "delete": {
                "summary": "Erase the conversation (right to erasure): every message's text, "
                           "every device's token, the resume code and push subscriptions; "
                           "anonymous statistics stay. The token opens nothing afterwards.",
                "security": _AUTH,
                "responses": {"200": _ok("Erased", {
                    "type": "object", "properties": {"status": {"type": "string",
                                                                "enum": ["erased"]}}}),
                              "401": _ERROR},
            },
        },
        "/api/v1/conversation/queue": {
            "get": {
                "summary": "The waiting question's place in the queue, expected wait and "
                           "promised answer time",
                "security": _AUTH,
                "responses": {"200": _ok("Queue status", {"type": "object", "properties": {
                    "status": {"type": "string", "enum": ["waiting", "with_adviser", "none"]},
                    "position": {"type": "integer", "nullable": True},
                    "estimated_wait_minutes": {"type": "integer", "nullable": True},
                    "answer_by": {"type": "string", "format": "date-time",
                                  "nullable": True}}}),
                    "401": _ERROR},
            },
        },
        "/api/v1/conversation/messages": {
            "get": {
                "summary": "Messages after a sequence number, oldest first",
                "security": _AUTH,
                "parameters": [{"name": "after", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 0, "default": 0}}],
                "responses": {"200": _ok("Up to 500 messages", {"type": "object", "properties": {
                    "messages": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/Message"}}}}),
                    "400": _ERROR, "401": _ERROR},
            },
            "post": {
                "summary": "Send a parent message (stored before it is acknowledged)",
                "security": _AUTH,
                "requestBody": _json_body({"type": "object", "required": ["text"], "properties": {
                    "text": {"type": "string", "minLength": 1, "maxLength": 4000},
                    "client_id": {"type": "string", "maxLength": 64, "description":
                                  "The client's own id; a resend with the same id is stored once"},
                }}),
                "responses": {
                    "201": _ok("Stored", {"$ref": "#/components/schemas/Receipt"}),
                    "200": _ok("Already stored earlier (same client_id)",
                               {"$ref": "#/components/schemas/Receipt"}),
                    "400": _ERROR, "401": _ERROR, "413": _ERROR, "415": _ERROR, "422": _ERROR,
                    "429": _RATE_LIMITED},
            },
        },
        "/api/v1/conversation/feedback": {"post": {
            "summary": "Answer 'did this help?' for an FAQ answer; 'no' asks an adviser",
            "security": _AUTH,
            "requestBody": _json_body({"type": "object", "required": ["seq", "helpful"],
                                       "properties": {"seq": {"type": "integer"},
                                                      "helpful": {"type": "boolean"}}}),
            "responses": {"200": _ok("Recorded", {"type": "object"}), "400": _ERROR,
                          "401": _ERROR, "404": _ERROR, "409": _ERROR, "429": _RATE_LIMITED},
        }},
        "/api/v1/conversation/choice": {"post": {
            "summary": "Pick one of the suggested FAQ entries",
            "security": _AUTH,
            "requestBody": _json_body({"type": "object", "required": ["entry"],
                                       "properties": {"entry": {"type": "string"}}}),
            "responses": {"200": _ok("Answered", {"type": "object"}), "400": _ERROR,
                          "401": _ERROR, "409": _ERROR, "422": _ERROR, "429": _RATE_LIMITED},
        }},
        "/api/v1/conversation/adviser": {"post": {
            "summary": "Ask for an adviser instead of the FAQ",
            "security": _AUTH,
            "responses": {"200": _ok("Queued", {"type": "object"}), "401": _ERROR,
                          "409": _ERROR, "422": _ERROR, "429": _RATE_LIMITED},
        }},
        "/api/v1/conversation/resume-code": {"post": {
            "summary": "A resume code for this conversation (a new one replaces the old one)",
            "description": "Short and typeable (XXXX-XXXX-XXXX); opens the conversation on "
                           "another device with POST /api/v1/conversations/resume. Only its "
                           "hash is stored; never put it in a URL.",
            "security": _AUTH,
            "responses": {"201": _ok("The code, shown once", {
                "type": "object", "required": ["code"],
                "properties": {"code": {"type": "string"}}}), "401": _ERROR},
        }},
        "/api/v1/conversations/resume": {"post": {
            "summary": "Open a conversation on this device with its resume code",
            "requestBody": _json_body({"type": "object", "required": ["code"],
                                       "properties": {"code": {"type": "string"}}}),
            "responses": {"200": _ok("A token of this device's own", {
                "type": "object", "required": ["token", "language"], "properties": {
                    "token": {"type": "string"},
                    "municipality": {"type": "string", "nullable": True},
                    "language": {"type": "string"}}}),
                "400": _ERROR, "404": _ERROR, "415": _ERROR, "429": _RATE_LIMITED},
        }},
        "/api/v1/push/key": {"get": {
            "summary": "The service's VAPID public key (applicationServerKey) for Web Push",
            "responses": {"200": _ok("The key", {"type": "object", "properties": {
                "public_key": {"type": "string", "description": "base64url, P-256"}}}),
                "404": _ERROR},
        }},
        "/api/v1/conversation/push-subscription": {
            "post": {
                "summary": "Tell this browser when an answer arrives (no content in the push)",
                "security": _AUTH,
                "requestBody": _json_body({"type": "object", "required": ["endpoint", "keys"],
                                           "properties": {
                    "endpoint": {"type": "string", "description":
                                 "PushSubscription.endpoint (a known push service)"},
                    "keys": {"type": "object", "required": ["p256dh", "auth"], "properties": {
                        "p256dh": {"type": "string"}, "auth": {"type": "string"}}}}}),
                "responses": {"201": _ok("Subscribed", {"type": "object"}), "400": _ERROR,
                              "401": _ERROR, "404": _ERROR, "422": _ERROR},
            },
            "delete": {
                "summary": "Stop notifications to this browser",
                "security": _AUTH,
                "requestBody": _json_body({"type": "object", "required": ["endpoint"],
                                           "properties": {"endpoint": {"type": "string"}}}),
                "responses": {"200": _ok("Unsubscribed", {"type": "object"}), "400": _ERROR,
                              "401": _ERROR},
            },
        },
        "/api/v1/conversation/ws": {"get": {
            "summary": "Websocket for live messages (see the description above)",
            "responses": {"101": {"description": "Switching protocols"}, "403": _ERROR,
                          "429": _RATE_LIMITED},
        }},
    },
    "components": {
        "securitySchemes": {"conversationToken": {"type": "http", "scheme": "bearer"}},
        "responses": {"Error": {"description": "An error", "content": {"application/json": {
            "schema": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}}}}}}}},
            "RateLimited": {
                "description": "Too many requests from this client address (code "
                               "rate_limited; the message in Dutch and English)",
                "headers": {"Retry-After": {"description": "Seconds until the next request "
                                                           "is allowed",
                                            "schema": {"type": "integer", "minimum": 1}}},
                "content": {"application/json": {"schema": {
                    "type": "object", "required": ["error"], "properties": {"error": {
                        "type": "object", "required": ["code", "message"], "properties": {
                            "code": {"type": "string", "enum": ["rate_limited"]},
                            "message": {"type": "string"}}}}}}}}},
        "schemas": {
            "Municipality": {"type": "object", "properties": {
                "id": {"type": "string"}, "name": {"type": "string"},
                "desk_hours": {"$ref": "#/components/schemas/DeskHours"}}},
            "DeskHours": {"type": "object", "description": "When advisers are at work, in words",
                          "properties": {"nl": {"type": "string"}, "en": {"type": "string"}}},
            "Conversation": {"type": "object", "properties": {
                "municipality": {"type": "string", "nullable": True},
                "language": {"type": "string", "enum": ["nl", "en"]},
                "last_seq": {"type": "integer"}}},
            "Receipt": {"type": "object", "required": ["seq", "duplicate"], "properties": {
                "seq": {"type": "integer"}, "client_id": {"type": "string", "nullable": True},
                "duplicate": {"type": "boolean"}}},
            "Message": {"type": "object", "required": ["seq", "sender", "kind", "text"],
                        "properties": {
                "seq": {"type": "integer"},
                "sender": {"type": "string", "enum": ["parent", "faq", "adviser", "system"]},
                "kind": {"type": "string", "enum": ["text", "faq_answer", "suggestions", "queued",
                                                    "crisis", "concern", "small_talk", "claimed",
                                                    "closed"]},
                "text": {"type": "string"},
                "actions": {"type": "object", "nullable": True},
                "created_at": {"type": "string", "format": "date-time"},
                "author": {"type": "string", "nullable": True},
                "client_id": {"type": "string", "nullable": True, "description":
                              "The sender's own id of a parent message"}}},
        },
    },
}
