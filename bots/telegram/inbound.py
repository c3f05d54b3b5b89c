"""What a parent does in the chat, as calls into the core: commands, questions, button taps,
and a kind word for what the line cannot take (photos, voice notes, stickers, edits).

Every effect is keyed by the update's id, so handling an update again (after a crash, or a
redelivery) stores nothing twice: a question is stored once per update, a notice once, a tap
acts once. Only /stop's goodbye and the answers to taps go to Telegram directly; everything
the parent reads in the chat is a stored message pushed by the outbox.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adviceline.channels import ParentPort
from adviceline.domain import (
    AdvicelineError,
    ChannelInbound,
    ChannelNotice,
    ConversationView,
    Invalid,
)
from bots.telegram import texts
from bots.telegram.outbound import CHANNEL
from bots.telegram.render import tag

log = logging.getLogger(__name__)
_POSTCODE = re.compile(r"\s*[1-9][0-9]{3}\s*(?:[A-Za-z]{2})?\s*")
Context = ContextTypes.DEFAULT_TYPE


def _chat(update: Update) -> str:
    chat = update.effective_chat
    if chat is None:
        raise ValueError("an update without a chat")
    return str(chat.id)


def _language(update: Update) -> str:
    user = update.effective_user
    return texts.language_of(user.language_code if user else None)


async def _best_effort(call: Awaitable[Any]) -> None:
    """A courtesy call to Telegram (answering a tap, removing used buttons): never worth
    handling the update again for."""
    try:
        await call
    except TelegramError as error:
        log.info("a Telegram courtesy call failed", extra={"error": type(error).__name__})


class ChatHandlers:
    def __init__(self, port: Callable[[], ParentPort], account: str) -> None:
        self._port = port
        self._account = account

    @property
    def port(self) -> ParentPort:
        return self._port()

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        private = filters.ChatType.PRIVATE
        new = filters.UpdateType.MESSAGE & private
        return [
            MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, self.edited),
            CommandHandler("start", self.start, filters=new),
            CommandHandler("help", self.help, filters=new),
            CommandHandler("gemeente", self.municipality, filters=new),
            CommandHandler("stop", self.stop, filters=new),
            MessageHandler(filters.COMMAND & new, self.help),
            MessageHandler(filters.TEXT & new, self.text),
            MessageHandler(new, self.not_text),
            CallbackQueryHandler(self.button),
        ]

    # Saying something: stored once per update, pushed by the outbox ----------------------------

    async def _say(self, update: Update, text: str, *, suffix: str = "n",
                   buttons: list[list[tuple[str, str]]] | None = None,
                   municipality: str | None = None) -> ConversationView:
        return await self.port.tell(ChannelNotice(
            channel=CHANNEL, external_id=f"{self._account}:{update.update_id}:{suffix}",
            address=_chat(update), text=text,
            actions={"buttons": buttons} if buttons else None,
            municipality=municipality, language=_language(update)))

    def _municipality_buttons(self) -> list[list[tuple[str, str]]]:
        options = [(str(m["name"]), f"m:{m['id']}") for m in self.port.municipalities()]
        return [options[index:index + 2] for index in range(0, len(options), 2)]

    async def _greet(self, update: Update, conversation: ConversationView | None,
                     suffix: str) -> ConversationView:
        language = _language(update)
        name = self.port.municipality_name(conversation.municipality if conversation else None)
        if name is not None:
            return await self._say(update, texts.greeting(
                language, self.port.region_name, texts.municipality_set(language, name)),
                suffix=suffix)
        return await self._say(update, texts.greeting(
            language, self.port.region_name, texts.ask_municipality(language)),
            suffix=suffix, buttons=self._municipality_buttons())

    async def _conversation(self, update: Update) -> ConversationView | None:
        return await self.port.conversation_for_address(CHANNEL, _chat(update))

    async def _choose_municipality(self, update: Update, given: str, insist: bool) -> bool:
        """A municipality name or postcode: set it and say so. Otherwise False, or with
        `insist` (after /gemeente) the reason and the buttons."""
        language = _language(update)
        looks_like_postcode = _POSTCODE.fullmatch(given) is not None
        try:
            found = self.port.resolve_municipality(given[:80])
        except Invalid as error:
            if not (insist or looks_like_postcode):
                return False
            await self._say(update, texts.one_language(error.message, language),
                            buttons=self._municipality_buttons())
            return True
        if found is None:
            return False
        await self._say(update, texts.municipality_set(
            language, self.port.municipality_name(found) or found), municipality=found)
        return True

    # Commands -------------------------------------------------------------------------------

    async def start(self, update: Update, context: Context) -> None:
        await self._greet(update, await self._conversation(update), "n")

    async def help(self, update: Update, context: Context) -> None:
        await self._say(update, texts.help_text(_language(update), self.port.region_name))

    async def municipality(self, update: Update, context: Context) -> None:
        given = " ".join(context.args or [])
        if given and await self._choose_municipality(update, given, insist=True):
            return
        await self._say(update, texts.ask_municipality(_language(update)),
                        buttons=self._municipality_buttons())

    async def stop(self, update: Update, context: Context) -> None:
        """End the conversation and forget the chat id. The goodbye goes out directly: after
        this there is no address left to push anything to."""
        await self.port.forget_address(CHANNEL, _chat(update))
        await _best_effort(context.bot.send_message(int(_chat(update)),
                                                    texts.goodbye(_language(update))))

    # Messages -------------------------------------------------------------------------------

    async def text(self, update: Update, context: Context) -> None:
        message = update.message
        if message is None or message.text is None:
            return
        conversation = await self._conversation(update)
        if (conversation is None or conversation.municipality is None) and \
                len(message.text) <= 40 and \
                await self._choose_municipality(update, message.text, insist=False):
            return
        if conversation is None:   # a first message without /start: welcome them first
            conversation = await self._greet(update, None, "g")
        language = _language(update)
        try:
            await self.port.receive_from_channel(ChannelInbound(
                channel=CHANNEL, external_id=f"{self._account}:{update.update_id}",
                address=_chat(update), text=message.text,
                conversation_id=conversation.conversation_id, language=language,
                choices=True, reference=str(message.message_id)))
        except Invalid as error:
            await self._say(update, texts.one_language(error.message, language))

    async def not_text(self, update: Update, context: Context) -> None:
        message = update.message
        what = next((kind for kind in ("photo", "voice", "sticker", "video", "video_note",
                                       "document", "audio", "location", "contact")
                     if message is not None and getattr(message, kind, None)), "other")
        await self._say(update, texts.not_text(_language(update), what.replace("_note", "")))

    async def edited(self, update: Update, context: Context) -> None:
        await self._say(update, texts.edited(_language(update)))

    # Buttons --------------------------------------------------------------------------------

    async def button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None or update.effective_chat is None:
            return
        if update.effective_chat.type != "private":
            await _best_effort(query.answer())
            return
        language = _language(update)
        kind, _, rest = (query.data or "").partition(":")
        answer: str | None = texts.thanks_click(language)
        used = False
        if kind == "m":
            if self.port.municipality_name(rest) is None:
                answer = None
            else:
                await self._say(update, texts.municipality_set(
                    language, self.port.municipality_name(rest) or rest), municipality=rest)
                used = True
        elif kind in ("f", "c", "a"):
            answer, used = await self._act(update, kind, rest.split(":"), language)
        await _best_effort(query.answer(answer))
        if used and isinstance(query.message, Message):
            # The buttons did their work: show the message without them.
            await _best_effort(query.edit_message_text(
                query.message.text_html, parse_mode=ParseMode.HTML, reply_markup=None))

    async def _act(self, update: Update, kind: str, fields: list[str],
                   language: str) -> tuple[str, bool]:
        conversation = await self._conversation(update)
        if conversation is None or len(fields) < 2 or not fields[1].isdigit() or \
                fields[0] != tag(conversation.conversation_id):
            return texts.conversation_over(language), True
        conversation_id, seq = conversation.conversation_id, int(fields[1])
        try:
            if kind == "f":
                await self.port.feedback(conversation_id, seq, fields[2:] == ["y"])
            elif kind == "c":
                found = (await self.port.messages_after(conversation_id, seq - 1))[:1]
                options = ((found[0].actions or {}).get("suggestions") or []) if found else []
                index = int(fields[2]) if fields[2:] and fields[2].isdigit() else -1
                if not found or found[0].seq != seq or not 0 <= index < len(options):
                    return texts.conversation_over(language), True
                await self.port.choose(conversation_id, str(options[index]["entry"]))
            else:
                await self.port.ask_adviser(conversation_id)
        except AdvicelineError as error:
            return texts.one_language(error.message, language), False
        return texts.thanks_click(language), True
