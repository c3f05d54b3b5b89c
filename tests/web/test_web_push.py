"""Web Push against a local stand-in push service: encrypted, signed, nothing personal, once.

The stand-in is a small aiohttp server on a loopback port that records what a push service would
receive. The test plays the browser: it makes the subscription's keys and decrypts the push.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import http_ece
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select

from adviceline.clock import FrozenClock
from adviceline.config import Config, WebPushSettings
from adviceline.storage.models import ConversationToken, PushSubscription
from adviceline.web.keys import FAQ, SESSIONS
from tests.conftest import RunningApp, answerable
from tests.web.chat_client import ParentSocket, open_conversation

DEADLINE = 10.0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService:
    """Records each push; answers with the next status from `statuses` (then 201)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        self.arrived.set()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 201)

    async def next_push(self) -> tuple[dict[str, str], bytes]:
        count = len(self.received)
        while len(self.received) <= count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), DEADLINE)
        return self.received[count]


@pytest.fixture
async def push_service() -> AsyncIterator[tuple[PushService, str]]:
    service = PushService()
    app = web.Application()
    app.router.add_post("/push/{id}", service.handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield service, str(server.make_url("/push/browser-1"))
    await server.close()


@pytest.fixture
def config(config: Config) -> Config:
    return replace(config, web_push=WebPushSettings(
        subject="mailto:test@example.invalid", allowed_hosts=("127.0.0.1",), allow_http=True,
        poll_seconds=0.2))


class Browser:
    """The subscription keys a browser makes (RFC 8291: a P-256 key pair and an auth secret)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = b"sixteen byte key"

    def keys(self) -> dict[str, str]:
        public = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"p256dh": b64url(public), "auth": b64url(self.auth)}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                 version="aes128gcm")
        decoded: dict[str, Any] = json.loads(plain)
        return decoded


def verify_vapid(headers: dict[str, str], public_key: str, audience: str) -> dict[str, Any]:
    """Check the VAPID JWT (ES256) against the service's public key; return its claims."""
    scheme, _, rest = headers["Authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    assert fields["k"] == public_key
    head, claims, signature = fields["t"].split(".")
    raw = unb64url(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    key.verify(encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
               f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    decoded: dict[str, Any] = json.loads(unb64url(claims))
    assert decoded["aud"] == audience and decoded["sub"].startswith("mailto:")
    return decoded


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_answer_sends_one_encrypted_signed_push_without_content(
        running: RunningApp, push_service: tuple[PushService, str]) -> None:
    service, endpoint = push_service
    token = await open_conversation(running.http, running.url(""))
    key = (await (await running.http.get(running.url("/api/v1/push/key"))).json())["public_key"]
    browser = Browser()
    response = await running.http.post(
        running.url("/api/v1/conversation/push-subscription"), headers=bearer(token),
        json={"endpoint": endpoint, "keys": browser.keys()})
    assert response.status == 201, await response.text()

    entry = answerable(running.app[FAQ], "driftbuien")[0]
    client = await ParentSocket.connect(running.http, running.ws_url("/api/v1/conversation/ws"),
                                        token)
    seq = await client.ask(entry.question)
    answer = await client.wait_for(lambda c: c.first_after(seq, "faq_answer"))
    headers, body = await service.next_push()
    assert browser.decrypt(body) == {"type": "answer", "language": "nl"}
    assert headers["Content-Encoding"] == "aes128gcm" and int(headers["TTL"]) > 0
    verify_vapid(headers, key, endpoint.split("/push/")[0])
    assert entry.question.encode() not in body and answer["text"][:20].encode() not in body

    # Nothing new: no second push, even after several rounds of the sender.
    await asyncio.sleep(0)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(service.next_push(), 1.0)
    assert len(service.received) == 1
    await client.close()


async def test_a_failed_push_is_retried_and_a_gone_subscription_ends(
        running: RunningApp, push_service: tuple[PushService, str], clock: FrozenClock) -> None:
    service, endpoint = push_service
    service.statuses = [503, 410]
    token = await open_conversation(running.http, running.url(""))
    browser = Browser()
    await running.http.post(running.url("/api/v1/conversation/push-subscription"),
                            headers=bearer(token),
                            json={"endpoint": endpoint, "keys": browser.keys()})
    client = await ParentSocket.connect(running.http, running.ws_url("/api/v1/conversation/ws"),
                                        token)
    seq = await client.ask(answerable(running.app[FAQ], "driftbuien")[0].question)
    await client.wait_for(lambda c: c.first_after(seq, "faq_answer"))
    await service.next_push()                  # 503: the push service is busy
    clock.advance(minutes=1)                   # past the back-off
    _headers, body = await service.next_push()   # tried again: 410, the browser unsubscribed
    assert browser.decrypt(body)["type"] == "answer"

    async def subscriptions() -> int:
        async with running.app[SESSIONS]() as session:
            return await session.scalar(select(func.count(PushSubscription.id))) or 0

    deadline = asyncio.get_running_loop().time() + DEADLINE
    while await subscriptions():
        assert asyncio.get_running_loop().time() < deadline, "a gone subscription stayed"
        await asyncio.sleep(0.05)
    await client.close()


@pytest.mark.parametrize("endpoint", [
    "https://evil.example/push",             # not a push service: the server would be a proxy
    "http://127.0.0.1:1/../x",               # fine host, but see keys below
])
async def test_a_subscription_to_an_unknown_host_or_with_bad_keys_is_refused(
        running: RunningApp, endpoint: str) -> None:
    token = await open_conversation(running.http, running.url(""))
    keys = {"p256dh": b64url(b"\x04" + b"x" * 10), "auth": b64url(b"short")}
    response = await running.http.post(
        running.url("/api/v1/conversation/push-subscription"), headers=bearer(token),
        json={"endpoint": endpoint, "keys": keys if "127.0.0.1" in endpoint
              else Browser().keys()})
    assert response.status == 422


async def test_subscriptions_and_device_tokens_go_with_their_conversation(
        running: RunningApp, push_service: tuple[PushService, str]) -> None:
    """Erasing a conversation (issue 12's DELETE) leaves no subscription or device token."""
    _service, endpoint = push_service
    token = await open_conversation(running.http, running.url(""))
    await running.http.post(running.url("/api/v1/conversation/push-subscription"),
                            headers=bearer(token),
                            json={"endpoint": endpoint, "keys": Browser().keys()})
    code = (await (await running.http.post(running.url("/api/v1/conversation/resume-code"),
                                           headers=bearer(token))).json())["code"]
    resumed = await running.http.post(running.url("/api/v1/conversations/resume"),
                                      json={"code": code})
    assert resumed.status == 200
    from sqlalchemy import delete

    from adviceline.storage.models import Conversation

    async with running.app[SESSIONS].begin() as session:
        await session.execute(delete(Conversation))
    async with running.app[SESSIONS]() as session:
        assert await session.scalar(select(func.count(PushSubscription.id))) == 0
        assert await session.scalar(select(func.count()).select_from(ConversationToken)) == 0
