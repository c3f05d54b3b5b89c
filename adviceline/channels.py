"""What a channel adapter may do with the core: the parent-facing operations, nothing more.

Adapters in `bots/` get a `ParentPort`, never the pipeline, the database or the app itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from adviceline.config import Config
from adviceline.domain import ConversationView, Inbound, NewConversation, OutboundMessage, Receipt
from adviceline.notify import Notifier, conversation_topic
from adviceline.pipeline import Pipeline
from adviceline.region import resolve_municipality


@dataclass(frozen=True)
class ParentPort:
    _pipeline: Pipeline
    _notifier: Notifier
    _config: Config
    poll_seconds: float = 2.0

    def municipalities(self) -> list[dict[str, str]]:
        return sorted(({"id": m.id, "name": m.name} for m in self._config.municipalities.values()),
                      key=lambda m: m["name"])

    def resolve_municipality(self, given: str | None) -> str | None:
        return resolve_municipality(self._config, given)

    @property
    def max_message_chars(self) -> int:
        return self._config.max_message_chars

    @property
    def public_origin(self) -> str | None:
        return self._config.public_origin

    async def open_conversation(self, channel: str, municipality: str | None, language: str,
                                channel_ref: str | None = None) -> NewConversation:
        return await self._pipeline.open_conversation(channel, municipality, language,
                                                      channel_ref)

    async def conversation_for_token(self, token: str) -> ConversationView | None:
        return await self._pipeline.conversation_for_token(token)

    async def receive(self, inbound: Inbound) -> Receipt:
        return await self._pipeline.receive(inbound)

    async def messages_after(self, conversation_id: str, after_seq: int) -> list[OutboundMessage]:
        return await self._pipeline.messages_after(conversation_id, after_seq)

    async def wait_for_messages(self, conversation_id: str, after_seq: int) -> \
            list[OutboundMessage]:
        """Messages after `after_seq`, waiting up to poll_seconds for new ones to arrive."""
        wake = self._notifier.listen(conversation_topic(conversation_id))
        messages = await self.messages_after(conversation_id, after_seq)
        if messages:
            wake.cancel()
            return messages
        await self._notifier.wait(wake, self.poll_seconds)
        return await self.messages_after(conversation_id, after_seq)

    async def feedback(self, conversation_id: str, seq: int, helpful: bool) -> None:
        await self._pipeline.feedback(conversation_id, seq, helpful)

    async def choose(self, conversation_id: str, entry_id: str) -> None:
        await self._pipeline.choose(conversation_id, entry_id)

    async def ask_adviser(self, conversation_id: str) -> None:
        await self._pipeline.ask_adviser(conversation_id)
