"""What a channel adapter may do with the core: the parent-facing operations, nothing more.

Adapters in `bots/` get a `ParentPort`, never the pipeline, the database or the app itself.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from adviceline.config import Config
from adviceline.domain import (
    ChannelInbound,
    ChannelNotice,
    ConversationView,
    Inbound,
    NewConversation,
    NotFound,
    OutboundMessage,
    Receipt,
    StoredUpdate,
)
from adviceline.erasure import Erasure
from adviceline.notify import Notifier, conversation_topic
from adviceline.outbox import DeliveryWorker, PushChannel, StaffMailer
from adviceline.pipeline import Pipeline
from adviceline.pushchannels import PushChannels
from adviceline.ratelimit import RateLimiter
from adviceline.region import resolve_municipality
from adviceline.resume import ResumeCodes
from adviceline.staffmail import StaffMailWorker
from adviceline.webpush import WebPush

# Messages an open chat reads at most at once (more: it reads again at once).
FOLLOW_BATCH = 500


@dataclass(frozen=True)
class ParentPort:
    _pipeline: Pipeline
    _notifier: Notifier
    _config: Config
    # How long an open chat waits for a wake-up before it re-reads anyway ([service]
    # live_fallback_seconds): idle chats cost no database reads.
    poll_seconds: float = 60.0
    _resume: ResumeCodes | None = None
    _push: WebPush | None = None
    _channels: PushChannels | None = None
    _erasure: Erasure | None = None
    _limits: RateLimiter | None = None

    def rate_limit(self, kind: str, address: str) -> None:
        """Count a request of `kind` ("conversations", "messages", "websockets") from a client
        address; raises RateLimited (429) when that address is over its limit."""
        if self._limits is not None:
            self._limits.check(kind, address)

    @property
    def trust_forwarded_for(self) -> bool:
        return self._config.trust_forwarded_for

    def municipalities(self) -> list[dict[str, Any]]:
        return sorted(({"id": m.id, "name": m.name,
                        "desk_hours": {"nl": m.desk_hours.describe_nl(),
                                       "en": m.desk_hours.describe_en()}}
                       for m in self._config.municipalities.values()),
                      key=lambda m: str(m["name"]))

    def service(self) -> dict[str, Any]:
        """What the landing page tells a parent about the service: region, hours, answer time."""
        pool = self._config.desks.regional_pool
        return {"region": self._config.region_name,
                "answer_within_minutes": int(self._config.desks.answer_within.total_seconds()
                                             // 60),
                "regional_desk_hours": {"nl": pool.describe_nl(), "en": pool.describe_en()}}

    def resolve_municipality(self, given: str | None) -> str | None:
        return resolve_municipality(self._config, given)

    @property
    def max_message_chars(self) -> int:
        return self._config.max_message_chars

    @property
    def public_origin(self) -> str | None:
        return self._config.public_origin

    async def open_conversation(self, channel: str, municipality: str | None, language: str,
                                channel_ref: str | None = None,
                                source: str | None = None) -> NewConversation:
        """`source`: the client address it is opened from (only a keyed hash is kept)."""
        return await self._pipeline.open_conversation(channel, municipality, language,
                                                      channel_ref, source)

    async def conversation_for_token(self, token: str) -> ConversationView | None:
        return await self._pipeline.conversation_for_token(token)

    async def make_resume_code(self, conversation_id: str) -> str:
        return await self._resume_codes().make(conversation_id)

    async def resume(self, code: str) -> NewConversation:
        return await self._resume_codes().redeem(code)

    def _resume_codes(self) -> ResumeCodes:
        if self._resume is None:
            raise NotFound("Resume codes are not available.")
        return self._resume

    def push_key(self) -> str:
        if self._push is None or not self._push.enabled:
            raise NotFound("Web Push is not available.")
        return self._push.public_key

    async def subscribe_push(self, conversation_id: str, endpoint: str, p256dh: str,
                             auth: str) -> None:
        if self._push is None:
            raise NotFound("Web Push is not available.")
        await self._push.subscribe(conversation_id, endpoint, p256dh, auth)

    async def unsubscribe_push(self, conversation_id: str, endpoint: str) -> None:
        if self._push is not None:
            await self._push.unsubscribe(conversation_id, endpoint)

    async def erase(self, conversation_id: str) -> None:
        """The parent's right to erasure: the conversation's text and everything that leads back
        to the parent are gone; its token opens nothing any more."""
        if self._erasure is None:
            raise NotFound("Erasure is not available.")
        await self._erasure.erase_for_parent(conversation_id)

    async def choose_language(self, conversation_id: str, language: str) -> ConversationView:
        return await self._pipeline.choose_language(conversation_id, language)

    async def receive(self, inbound: Inbound) -> Receipt:
        return await self._pipeline.receive(inbound)

    async def messages_after(self, conversation_id: str, after_seq: int) -> list[OutboundMessage]:
        return await self._pipeline.messages_after(conversation_id, after_seq)

    async def wait_for_messages(self, conversation_id: str, after_seq: int) -> \
            list[OutboundMessage]:
        """Messages after `after_seq`; when there are none yet, waits for a wake-up on the
        conversation's topic (or poll_seconds at most) and reads once more."""
        wake = self._notifier.listen(conversation_topic(conversation_id))
        messages = await self.messages_after(conversation_id, after_seq)
        if messages:
            wake.cancel()
            return messages
        await self._notifier.wait(wake, self.poll_seconds)
        return await self.messages_after(conversation_id, after_seq)

    async def follow(self, conversation_id: str,
                     after_seq: int) -> AsyncGenerator[list[OutboundMessage]]:
        """Every message after `after_seq`, in order and without gaps, in batches as they are
        stored, for as long as the caller iterates. One read per wake-up: the wake-up is taken
        before the read, so a change committed during the read wakes it again, and after a
        read that found something no second read is needed to be sure nothing was missed."""
        while True:
            wake = self._notifier.listen(conversation_topic(conversation_id))
            try:
                messages = await self._pipeline.messages_after(conversation_id, after_seq,
                                                               FOLLOW_BATCH)
                if messages:
                    yield messages
                    after_seq = messages[-1].seq
                if len(messages) < FOLLOW_BATCH:
                    await self._notifier.wait(wake, self.poll_seconds)
            finally:
                wake.cancel()   # a listener nobody waits on would stay registered

    async def queue_status(self, conversation_id: str) -> dict[str, Any]:
        """Place in the queue and expected wait of the conversation's waiting question."""
        return await self._pipeline.queue_status(conversation_id)

    async def feedback(self, conversation_id: str, seq: int, helpful: bool) -> None:
        await self._pipeline.feedback(conversation_id, seq, helpful)

    async def choose(self, conversation_id: str, entry_id: str) -> None:
        await self._pipeline.choose(conversation_id, entry_id)

    async def ask_adviser(self, conversation_id: str) -> None:
        await self._pipeline.ask_adviser(conversation_id)

    # Push channels (e-mail, Telegram) ----------------------------------------------------------

    def _push_channels(self) -> PushChannels:
        if self._channels is None:
            raise NotFound("Push channels are not available.")
        return self._channels

    @property
    def region_name(self) -> str:
        return self._config.region_name

    def municipality_name(self, municipality: str | None) -> str | None:
        found = self._config.municipalities.get(municipality or "")
        return found.name if found is not None else None

    async def receive_from_channel(self, inbound: ChannelInbound) -> Receipt:
        """Store a message once per channel id (a Message-ID, an update id), in the conversation
        it continues or a new one; only after this returns may the channel acknowledge it."""
        return await self._pipeline.receive_from_channel(inbound)

    async def conversation_for_address(self, channel: str, address: str,
                                       conversation_id: str | None = None) \
            -> ConversationView | None:
        return await self._push_channels().conversation_for_address(channel, address,
                                                                    conversation_id)

    def delivery_worker(self, channel: PushChannel) -> DeliveryWorker:
        """The worker that pushes this channel's messages; the adapter runs it (`run()`)."""
        return self._push_channels().worker(channel)

    def staff_mail_worker(self, mailer: StaffMailer) -> StaffMailWorker:
        """The worker that sends on-call e-mails to staff through this mailer (the e-mail
        channel's relay); the adapter runs it (`run()`)."""
        return self._push_channels().staff_worker(mailer)

    async def channel_secret(self, name: str) -> bytes:
        return await self._push_channels().secret(name)

    async def quarantine(self, *, channel: str, raw: bytes, reason: str,
                         external_id: str | None = None, sender: str | None = None,
                         municipality: str | None = None) -> bool:
        return await self._push_channels().quarantine(
            channel=channel, raw=raw, reason=reason, external_id=external_id, sender=sender,
            municipality=municipality)

    async def delivery_bounced(self, channel: str, channel_message_id: str, reason: str) -> int:
        return await self._push_channels().bounced(channel, channel_message_id, reason)

    async def automatic_replies_today(self, channel: str, address: str) -> int:
        return await self._push_channels().automatic_replies_today(channel, address)

    def faq_entry(self, entry_id: str, language: str,
                  municipality: str | None) -> tuple[str, str] | None:
        return self._push_channels().entry(entry_id, language, municipality)

    async def tell(self, notice: ChannelNotice) -> ConversationView:
        """The channel's own message to the parent (a greeting, a prompt), stored once per
        external id and pushed through the outbox."""
        return await self._push_channels().tell(notice)

    async def forget_address(self, channel: str, address: str) -> int:
        return await self._push_channels().forget_address(channel, address)

    async def accept_update(self, channel: str, account: str, update_id: int,
                            payload: dict[str, Any]) -> bool:
        """Store an update before acknowledging it; False when it was stored before."""
        return await self._push_channels().accept_update(channel, account, update_id, payload)

    async def pending_updates(self, channel: str, account: str,
                              limit: int = 50) -> list[StoredUpdate]:
        return await self._push_channels().pending_updates(channel, account, limit)

    async def update_handled(self, channel: str, account: str, update_id: int,
                             failed: bool = False) -> int:
        return await self._push_channels().update_handled(channel, account, update_id, failed)
