"""Stored messages as one reply mail in the parent's thread: headers, plain text and HTML.

The headers we write come from the configuration, our own signed Message-IDs and references
that the parser already checked; the subject is cleaned of control characters, so nothing a
parent or an FAQ title contains can add a header. The channel's own lines (the "did this
help?" prompt, the note on attachments, the emergency line) are Dutch first, then English; the
stored messages keep the conversation's language.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from adviceline.domain import ADVISER
from adviceline.outbox import Pending, Thread
from adviceline.texts import EMAIL_FOOTER

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]")
_MSGID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>")
_REPLY_PREFIX = re.compile(r"^\s*(re|antw|aw|sv|fw|fwd|doorst)\s*:\s*", re.IGNORECASE)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL)
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
MAX_REFERENCES = 10
MAX_SUBJECT = 150

FEEDBACK = ("Heeft dit antwoord je geholpen? Antwoord op deze mail met 'ja' of 'nee'. Met 'nee' "
            "gaat je vraag naar een adviseur.\n"
            "Did this answer help? Reply to this mail with 'yes' or 'no'. 'No' passes your "
            "question to an adviser.")
SUGGESTIONS = ("Een adviseur beantwoordt je vraag. Misschien helpt een van deze antwoorden uit "
               "onze kennisbank je al:\n"
               "An adviser will answer your question. One of these answers from our knowledge "
               "base may already help:")
ATTACHMENTS = ("Je mail had een bijlage. Bijlagen bewaren en lezen we niet; schrijf wat je "
               "wilt vertellen in de mail zelf.\n"
               "Your mail had an attachment. We do not keep or read attachments; please write "
               "what you want to tell us in the mail itself.")
# Under every automatic reply: the crisis lines in their one wording (knowledge_base/
# crisis_lines.py), plain text, Dutch then English.
EMERGENCY = EMAIL_FOOTER
# 7-bit: quoted-printable or base64 bodies and encoded-word headers pass any relay, with or
# without 8BITMIME.
_SEVEN_BIT = SMTP.clone(cte_type="7bit")
_UNFOLDED = _SEVEN_BIT.clone(max_line_length=998)
DEFAULT_SUBJECT = "Je vraag aan de advieslijn / Your question to the advice line"


@dataclass(frozen=True)
class Sender:
    """Who the mail is from: the municipality's advice address, or the region's."""

    address: str
    name: str


def subject(thread: Thread) -> str:
    """'Re: ' and the parent's subject, cleaned; a standard subject when there is none."""
    given = str((thread.context or {}).get("subject") or "")
    cleaned = " ".join(_CONTROL.sub(" ", given).split())
    while _REPLY_PREFIX.match(cleaned):
        cleaned = _REPLY_PREFIX.sub("", cleaned, count=1)
    cleaned = cleaned[:MAX_SUBJECT] or DEFAULT_SUBJECT
    return f"Re: {cleaned}"


def references(thread: Thread) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References): the parent's last mail, then ours sent since, newest last."""
    found = [value for value in (thread.reference, *thread.sent)
             if value is not None and _MSGID.fullmatch(value)]
    found = list(dict.fromkeys(found))[-MAX_REFERENCES:]
    parent = thread.reference if thread.reference in found else None
    return (parent or (found[-1] if found else None)), found


def _blocks(items: Sequence[Pending], entry: Callable[[str], tuple[str, str] | None],
            attachments: bool, language: str) -> list[str]:
    """The mail's paragraphs in the knowledge base's light markup (**bold**, [text](url))."""
    blocks: list[str] = [ATTACHMENTS] if attachments else []
    for item in items:
        message = item.message
        actions = message.actions or {}
        if message.sender == ADVISER:
            label = "adviser" if language == "en" else "adviseur"
            who = _plain_line(message.author or label.capitalize())
            blocks.append(f"**{who}** ({label}):")
            blocks.append(message.text)
        elif message.kind == "faq_answer":
            title = actions.get("title")
            if title:
                blocks.append(f"**{_plain_line(str(title))}**")
            blocks.append(message.text)
            if actions.get("feedback") is None:
                blocks.append(FEEDBACK)
        elif message.kind == "suggestions":
            if actions.get("chosen"):
                continue
            blocks.append(SUGGESTIONS)
            for option in actions.get("suggestions") or []:
                found = entry(str(option.get("entry", "")))
                if found is not None:
                    question, answer = found
                    blocks.append(f"**{_plain_line(question)}**\n{answer}")
        elif message.text.strip():
            blocks.append(message.text)
    return blocks


def _plain_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split()).replace("*", "")


def plain(blocks: Sequence[str]) -> str:
    text = "\n\n".join(block.strip() for block in blocks if block.strip())
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    return _BOLD.sub(r"\1", text) + "\n"


def as_html(blocks: Sequence[str]) -> str:
    paragraphs = []
    for block in blocks:
        if not block.strip():
            continue
        out: list[str] = []
        position = 0
        for match in _LINK.finditer(block):
            out.append(_bold(html.escape(block[position:match.start()], quote=False)))
            out.append(f'<a href="{html.escape(match.group(2), quote=True)}">'
                       f"{html.escape(match.group(1), quote=False)}</a>")
            position = match.end()
        out.append(_bold(html.escape(block[position:], quote=False)))
        paragraphs.append("<p>" + "".join(out).strip().replace("\n", "<br>\n") + "</p>")
    return ("<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif\">\n"
            + "\n".join(paragraphs) + "\n</body></html>\n")


def _bold(escaped: str) -> str:
    return _BOLD.sub(r"<b>\1</b>", escaped)


def compose(*, items: Sequence[Pending], thread: Thread, sender: Sender, to: str,
            message_id: str, language: str,
            entry: Callable[[str], tuple[str, str] | None]) -> EmailMessage:
    """One reply mail carrying `items` (oldest first) in the parent's thread."""
    automatic = all(item.automatic for item in items)
    # The note on attachments goes with our first reply to the parent's mail that had them.
    attachments = not thread.sent and bool((thread.context or {}).get("attachments"))
    blocks = _blocks(items, entry, attachments, language)
    if automatic:
        blocks.append(EMERGENCY)
    blocks.append(_plain_line(sender.name))
    mail = EmailMessage(policy=_SEVEN_BIT)
    mail["From"] = Address(display_name=_plain_line(sender.name), addr_spec=sender.address)
    mail["To"] = Address(addr_spec=to)
    mail["Subject"] = subject(thread)
    created = items[0].message.created_at
    mail["Date"] = format_datetime(created if created.tzinfo else created.replace(tzinfo=UTC))
    mail["Message-ID"] = message_id
    in_reply_to, chain = references(thread)
    if in_reply_to is not None:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = " ".join(chain)
    if automatic:
        # RFC 3834: an automatic answer; and ask Exchange not to answer it with an out-of-office.
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
    mail["Content-Language"] = "en" if language == "en" else "nl"
    mail.set_content(plain(blocks), charset="utf-8")
    mail.add_alternative(as_html(blocks), subtype="html", charset="utf-8")
    return mail


def as_bytes(mail: EmailMessage) -> bytes:
    """The mail as sent. Headers are written unfolded up to RFC 5322's hard limit: a
    Message-ID folded onto a line of its own is read back with a leading space by some mail
    programs, which breaks the thread. (The body was encoded with the usual 78.)"""
    return mail.as_bytes(policy=_UNFOLDED)
