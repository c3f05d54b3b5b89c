"""Stored messages as Telegram messages: HTML escaped for parse_mode=HTML, split at Telegram's
limit, with inline buttons for "did this help?", suggestions and the channel's own prompts.

Telegram counts a message's length in UTF-16 code units of the text after entity parsing, at
most 4096. Parts are cut from the source text at paragraph, line or word boundaries so that
no tag ever spans two parts.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from adviceline.domain import ADVISER, OutboundMessage
from bots.telegram import texts

MAX_MESSAGE = 4096
MAX_BUTTON_TEXT = 60
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL)
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")

_NUMBER = re.compile(r"0800-\d{4}|\b11[23]\b")
# The line that fits the signal first, as on the web chat (bots/webchat/static/chat.js).
FIRST_LINES: dict[str, tuple[str, ...]] = {
    "suicide_self_harm": ("113", "0800-0113", "112"),
    "domestic_violence": ("0800-2000", "112"), "child_abuse": ("0800-2000", "112"),
    "sexual_abuse": ("0800-2000", "112"), "neglect": ("0800-2000", "112"),
    "harm_fear": ("0800-2000", "112"), "child_in_danger": ("112",),
    "other_acute": ("112", "0800-2000"),
}

Buttons = tuple[tuple[tuple[str, str], ...], ...]   # rows of (label, callback data)


@dataclass(frozen=True)
class Part:
    html: str
    buttons: Buttons = ()


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def to_html(text: str) -> str:
    """Plain text with the knowledge base's **bold** and [links](https://...) as Telegram HTML;
    everything else escaped."""
    out: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        out.append(_bold(html.escape(text[position:match.start()], quote=False)))
        out.append(f'<a href="{html.escape(match.group(2), quote=True)}">'
                   f"{html.escape(match.group(1), quote=False)}</a>")
        position = match.end()
    out.append(_bold(html.escape(text[position:], quote=False)))
    return "".join(out)


def _bold(escaped: str) -> str:
    return _BOLD.sub(r"<b>\1</b>", escaped)


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Pieces of at most `limit` UTF-16 units, cut at the widest boundary that fits."""
    pieces: list[str] = []
    rest = text.strip()
    while utf16_length(rest) > limit:
        window = _prefix(rest, limit)
        # A paragraph end in the second half of the window, else a line end, else a space;
        # never a tiny first part (a title on its own).
        cut = next((found for boundary in ("\n\n", "\n", " ")
                    if (found := window.rfind(boundary)) > len(window) // 2),
                   window.rfind(" "))
        if cut <= 0:
            cut = len(window)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def _prefix(text: str, limit: int) -> str:
    """The longest prefix of at most `limit` UTF-16 units (never half a surrogate pair)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def tag(conversation_id: str) -> str:
    """A short mark of the conversation in callback data, so a button of an ended conversation
    is never taken for one of the next."""
    return conversation_id.replace("-", "")[:8]


def render(message: OutboundMessage, conversation_id: str, language: str) -> list[Part]:
    actions = message.actions or {}
    text = message.text
    buttons: Buttons = ()
    if message.sender == ADVISER:
        who = message.author or texts.adviser_label(language).capitalize()
        text = f"**{who}** ({texts.adviser_label(language)}):\n{text}"
    mark = f"{tag(conversation_id)}:{message.seq}"
    if message.kind == "faq_answer":
        title = actions.get("title")
        if title:
            text = f"**{title}**\n\n{text}"
        if actions.get("feedback") is None:
            prompt = actions.get("prompt") or ("Did this help?" if language == "en"
                                               else "Heeft dit je geholpen?")
            text = f"{text}\n\n{prompt}"
            yes, no = texts.yes_no(language)
            buttons = (((yes, f"f:{mark}:y"), (no, f"f:{mark}:n")),)
    elif message.kind == "suggestions" and not actions.get("chosen"):
        rows = [((_label(str(option.get("title", "?"))), f"c:{mark}:{index}"),)
                for index, option in enumerate(actions.get("suggestions") or [])]
        if actions.get("adviser"):
            rows.append(((texts.ask_adviser(language), f"a:{mark}"),))
        buttons = tuple(rows)
    elif message.kind in ("crisis", "concern"):
        text = fit_first(text, str(actions.get("category") or ""))
    elif message.kind == "notice" and actions.get("buttons"):
        buttons = tuple(tuple((str(label), str(data)) for label, data in row)
                        for row in actions["buttons"])
    pieces = split_text(text)
    parts = [Part(to_html(piece)) for piece in pieces]
    if parts and buttons:
        parts[-1] = Part(parts[-1].html, buttons)
    return parts


def fit_first(text: str, category: str) -> str:
    """The emergency lines ("- ...") reordered so the number that fits the category leads."""
    order = FIRST_LINES.get(category)
    if not order:
        return text
    lines = text.split("\n")
    bullets = [index for index, line in enumerate(lines) if line.startswith("- ")]

    def rank(line: str) -> int:
        found = [order.index(n) for n in _NUMBER.findall(line) if n in order]
        return min(found, default=len(order))
    for index, line in zip(bullets, sorted((lines[i] for i in bullets), key=rank),
                           strict=True):
        lines[index] = line
    return "\n".join(lines)


def _label(text: str) -> str:
    return text if len(text) <= MAX_BUTTON_TEXT else text[: MAX_BUTTON_TEXT - 1] + "…"
