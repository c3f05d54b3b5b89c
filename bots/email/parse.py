"""A raw mail, as a parent's message: who sent it, to whom, in which thread, and the new text.

Uses the standard library's parser with `policy.default`. Multipart, HTML-only, quoted-printable
and base64 bodies, unknown or wrong charsets and forwarded mail (inline or attached) all give
the parent's own words; attachments are counted, never kept. What cannot be read at all raises
`Unreadable`, and the adapter keeps the raw mail in the quarantine.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from bots.email.automatic import automatic, header
from bots.email.newtext import html_to_text, new_text

_MSGID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,900}>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]")


class Unreadable(Exception):
    """A mail that cannot be taken in as a parent's message; the text says why (no content)."""


@dataclass(frozen=True)
class ParsedMail:
    external_id: str                     # the Message-ID, or a hash of the mail without one
    message_id: str | None               # with angle brackets, to reply to
    sender: str                          # the From address, lower-cased
    recipients: tuple[str, ...]          # addresses from the delivery and To/Cc headers
    subject: str
    references: tuple[str, ...]          # In-Reply-To, then References newest first
    text: str                            # the new text only
    attachments: int                     # left out (data minimisation)
    automatic: str | None                # why no automatic reply may go to it
    bounced: tuple[str, ...]             # a bounce: the Message-IDs it reports on
    language: str                        # from Content-Language: nl unless it says English


def parse(raw: bytes, envelope_sender: str | None = None) -> ParsedMail:
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        if not isinstance(message, EmailMessage):   # pragma: no cover - policy.default gives one
            raise Unreadable("not a mail")
        return _parsed(message, raw, envelope_sender)
    except Unreadable:
        raise
    except (RecursionError, MemoryError) as exc:
        raise Unreadable(f"too deeply nested or too large: {type(exc).__name__}") from exc
    except Exception as exc:   # the parser's many header and MIME errors
        raise Unreadable(f"cannot be parsed: {type(exc).__name__}") from exc


def _parsed(message: EmailMessage, raw: bytes, envelope_sender: str | None) -> ParsedMail:
    message_ids = _ids(header(message, "Message-ID"))
    message_id = message_ids[0] if message_ids else None
    sender = _sender(message)
    if sender is None:
        raise Unreadable("no usable From address")
    reason = automatic(message, sender, envelope_sender)
    bounced = _bounced_ids(message) if reason == "bounce" else ()
    in_reply_to = _ids(header(message, "In-Reply-To"))
    references = tuple(reversed(_ids(header(message, "References"))))
    text, attachments = _text(message)
    text = text.replace("\x00", "")
    if not text and reason is None:
        raise Unreadable("no text in the mail" + (" (only attachments)" if attachments else ""))
    language = "en" if header(message, "Content-Language").lower().startswith("en") else "nl"
    return ParsedMail(
        external_id=_external_id(message_id, raw),
        message_id=message_id,
        sender=sender,
        recipients=_recipients(message),
        subject=_clean(header(message, "Subject"))[:200],
        references=tuple(dict.fromkeys(in_reply_to + references)),
        text=text,
        attachments=attachments,
        automatic=reason,
        bounced=bounced,
        language=language,
    )


def _external_id(message_id: str | None, raw: bytes) -> str:
    """The Message-ID without brackets; a long one (it would not fit) and a missing one by
    their SHA-256, so two different mails never share an id."""
    if message_id is not None and len(message_id) - 2 <= 120:
        return message_id[1:-1]
    seed = message_id.encode("ascii") if message_id is not None else raw
    return "sha256:" + hashlib.sha256(seed).hexdigest()


def _clean(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _ids(value: str) -> tuple[str, ...]:
    return tuple(_MSGID.findall(value))


_ADDRESS = re.compile(r"[a-z0-9.!#$%&'*+/=^_`{|}~-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+")


def _valid_address(address: str) -> bool:
    """A plain address we can write into a header as it is (no quoting, no '?', no spaces)."""
    return len(address) <= 254 and _ADDRESS.fullmatch(address) is not None


def _sender(message: EmailMessage) -> str | None:
    try:
        header = message["From"]
        addresses = [item.addr_spec for item in header.addresses] if header is not None else []
    except Exception:   # a From the header parser refuses (say an encoded CR LF in the name)
        raw = [value for name, value in message.raw_items() if name.lower() == "from"]
        bracketed = re.search(r"<([^<>\s]+)>\s*$", str(raw[0])) if raw else None
        addresses = [bracketed.group(1) if bracketed else parseaddr(str(raw[0]))[1]] \
            if raw else []
    for address in addresses[:1]:
        found = str(address).strip().lower()
        if _valid_address(found):
            return found
    return None


def _recipients(message: EmailMessage) -> tuple[str, ...]:
    values: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        try:
            values.extend(str(value) for value in message.get_all(name, []))
        except Exception:
            continue
    found = [address.strip().lower() for _, address in getaddresses(values)]
    return tuple(dict.fromkeys(address for address in found if _valid_address(address)))


def _decoded(part: Message) -> str:
    """A text part's content whatever its transfer encoding and (possibly wrong) charset."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64" and any(
            "base64" in type(defect).__name__.lower() for defect in part.defects):
        # Damaged base64 (stray characters, NULs, bad padding): decode what is there.
        raw = part.get_payload(decode=False)
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", raw if isinstance(raw, str) else "")
        cleaned = cleaned[: len(cleaned) - len(cleaned) % 4]
        payload = base64.b64decode(cleaned) if cleaned else b""
    charset = (part.get_content_charset() or "us-ascii").strip().lower()
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    if charset in ("us-ascii", "ascii"):
        charset = "utf-8"   # 8-bit text labelled ASCII is nearly always UTF-8
    try:
        return payload.decode(charset)
    except (UnicodeDecodeError, LookupError):
        pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("cp1252", errors="replace")


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or (
        bool(part.get_filename()) and not part.get_content_type().startswith("text/"))


def _text(message: Message) -> tuple[str, int]:
    """(new text, number of attachments left out) of a mail or a forwarded mail inside it."""
    plain: str | None = None
    html: str | None = None
    forwarded: list[Message] = []
    attachments = 0
    for part in _leaves(message, forwarded):
        content_type = part.get_content_type()
        if _is_attachment(part):
            attachments += 1
        elif content_type == "text/plain" and plain is None:
            plain = _decoded(part)
        elif content_type == "text/html" and html is None:
            html = _decoded(part)
        elif not content_type.startswith(("multipart/", "text/")):
            attachments += 1
    text = new_text(plain) if plain is not None and plain.strip() else ""
    if not text and html is not None:
        text = new_text(html_to_text(html))
    if not text:
        for inner in forwarded:   # a mail that only forwards another one as an attachment
            inner_text, inner_attachments = _text(inner)
            attachments += inner_attachments
            if inner_text:
                return inner_text, attachments
    return text, attachments


def _leaves(message: Message, forwarded: list[Message], depth: int = 0) -> list[Message]:
    """The non-multipart parts, outermost first; attached mails go to `forwarded` instead."""
    if depth > 20:
        raise Unreadable("too deeply nested")
    content_type = message.get_content_type()
    if content_type == "message/rfc822":
        inner = message.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            forwarded.append(inner[0])
        return []
    if message.is_multipart():
        payload = message.get_payload()
        parts = payload if isinstance(payload, list) else []
        found: list[Message] = []
        for part in parts:
            if isinstance(part, Message):
                found.extend(_leaves(part, forwarded, depth + 1))
        return found
    return [message]


def _bounced_ids(message: EmailMessage) -> tuple[str, ...]:
    """The Message-IDs a delivery report is about (the returned headers or mail)."""
    found: list[str] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "text/rfc822-headers",
                            "message/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list):
                for inner in payload:
                    if isinstance(inner, Message):
                        found.extend(_ids(header(inner, "Message-ID")))
            else:
                text = _decoded(part) if isinstance(payload, str) else ""
                match = re.search(r"^message-id:\s*(<[^<>\s]+>)", text,
                                  re.IGNORECASE | re.MULTILINE)
                if match:
                    found.append(match.group(1))
    found.extend(_ids(header(message, "In-Reply-To")))
    found.extend(_ids(header(message, "References")))
    return tuple(dict.fromkeys(found))
