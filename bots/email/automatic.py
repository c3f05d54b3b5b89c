"""Mail no one should answer automatically (RFC 3834): auto-replies, bounces, lists, bulk.

Returns why a mail is automatic, or None for a person's mail. A bounce is told apart so the
adapter can mark what it bounced as undelivered.
"""

from __future__ import annotations

import re
from email.message import EmailMessage, Message

BOUNCE = "bounce"
_NO_REPLY = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|"
                       r"mail-?daemon)([+.-].*)?@", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic|matisch)? ?(reply|antwoord|response)|out of (the )?office|"
    r"afwezig(heid)?(smelding)?|niet aanwezig|abwesenheit|vacation|vakantie|"
    r"undeliver(able|ed)|onbestelbaar|niet bezorgd|delivery (status )?(notification|failure)|"
    r"mail delivery (failed|failure)|returned mail|failure notice)\b", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|onbestelbaar|niet bezorgd|delivery (status|failure)|mail delivery|"
    r"returned mail|failure notice", re.IGNORECASE)


def header(message: Message, name: str) -> str:
    """A header as text; one the parser cannot decode counts as absent."""
    try:
        value = message.get(name)
    except Exception:
        return ""
    return str(value) if value is not None else ""


def automatic(message: EmailMessage, sender: str,
              envelope_sender: str | None = None) -> str | None:
    """Why this mail must not be answered automatically, or None. `sender`: the From address;
    `envelope_sender`: the SMTP MAIL FROM ("" for a bounce), None when not known (IMAP)."""
    content_type = message.get_content_type()
    report = str(message.get_param("report-type", "", header="content-type") or "").lower()
    subject = header(message, "Subject")
    if content_type == "multipart/report" and report in ("delivery-status", ""):
        return BOUNCE
    if envelope_sender == "" or header(message, "Return-Path").strip() == "<>":
        return BOUNCE if _BOUNCE_SUBJECT.search(subject) or content_type.startswith(
            "multipart/report") or _NO_REPLY.match(sender) else "empty return path"
    if _NO_REPLY.match(sender):
        return BOUNCE if _BOUNCE_SUBJECT.search(subject) else "automatic sender"
    auto = header(message, "Auto-Submitted").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto.split(';')[0][:40]}"
    if content_type == "multipart/report":
        return f"report ({report[:40]})"
    for name in ("List-Id", "List-Unsubscribe", "List-Post", "List-Help", "Mailing-List"):
        if header(message, name):
            return "mailing list"
    precedence = header(message, "Precedence").strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    suppress = header(message, "X-Auto-Response-Suppress").lower()
    if any(word in suppress for word in ("all", "oof", "autoreply")):
        return "X-Auto-Response-Suppress"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder"):
        if header(message, name):
            return "auto-reply header"
    if _AUTO_SUBJECT.match(subject):
        return BOUNCE if _BOUNCE_SUBJECT.search(subject) else "automatic reply"
    return None
