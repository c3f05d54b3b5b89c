"""The reply mail as written: no subject, title or adviser name can add a header, the thread's
references are ours or checked, and the text reads the same in plain text and HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from hypothesis import given, settings
from hypothesis import strategies as st

from adviceline.domain import ADVISER, FAQ, OutboundMessage
from adviceline.outbox import Pending, Thread
from bots.email.compose import EMERGENCY, Sender, as_bytes, compose

SENDER = Sender("opvoedvragen@almelo.example", "Advieslijn opvoeden Almelo")
OURS = "<al.aaaa@almelo.example>"
HEADERS = {"from", "to", "subject", "date", "message-id", "in-reply-to", "references",
           "auto-submitted", "x-auto-response-suppress", "content-language", "content-type",
           "mime-version"}


def pending(text: str, *, sender: str = FAQ, kind: str = "faq_answer", title: str = "Slapen",
            author: str | None = None) -> Pending:
    actions = {"title": title, "feedback": None} if kind == "faq_answer" else None
    return Pending(1, OutboundMessage(2, sender, kind, text, actions,
                                      datetime(2026, 12, 1, 9, tzinfo=UTC), author), "q", 0)


def written(item: Pending, subject: str = "Vraag", reference: str | None = "<q@example.nl>"
            ) -> bytes:
    thread = Thread(reference, {"subject": subject}, 1, (OURS,))
    return as_bytes(compose(items=[item], thread=thread, sender=SENDER, to="ouder@example.nl",
                            message_id="<al.bbbb@almelo.example>", language="nl",
                            entry=lambda _: None))


@settings(max_examples=100, deadline=None)
@given(subject=st.text(max_size=300), title=st.text(max_size=100),
       author=st.text(max_size=60))
def test_nothing_a_parent_or_the_knowledge_base_writes_adds_a_header(
        subject: str, title: str, author: str) -> None:
    for item in (pending("Antwoord", title=title),
                 pending("Antwoord", sender=ADVISER, kind="text", author=author)):
        raw = written(item, subject)
        parsed = message_from_bytes(raw, policy=policy.default)
        assert {name.lower() for name in parsed.keys()} <= HEADERS  # noqa: SIM118
        assert parsed["Message-ID"] == "<al.bbbb@almelo.example>"
        assert parsed["To"] == "ouder@example.nl"
        assert str(parsed["Subject"]).startswith("Re: ")
        assert b"\nBcc" not in raw and all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_subject_references_and_markup() -> None:
    raw = written(pending("Lees **dit** en [meer](https://example.nl/slapen).",
                          title="Slapen\r\nBcc: x@evil.example"),
                  subject="RE: Antw: Vraag\r\nBcc: x@evil.example", reference="<q@x> <bad")
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Re: Vraag Bcc: x@evil.example"
    assert parsed["In-Reply-To"] == OURS   # the parent's reference was no Message-ID
    assert parsed["References"] == OURS
    assert parsed["Auto-Submitted"] == "auto-replied"
    body = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Lees dit en meer (https://example.nl/slapen)." in body
    assert body.rstrip().endswith("Advieslijn opvoeden Almelo")
    assert EMERGENCY.split("\n")[0] in body
    page = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert '<b>dit</b> en <a href="https://example.nl/slapen">meer</a>' in page

    personal = message_from_bytes(written(pending("Hoi", sender=ADVISER, kind="text",
                                                  author="Carin")), policy=policy.default)
    assert personal["Auto-Submitted"] is None and personal["In-Reply-To"] == "<q@example.nl>"
    assert EMERGENCY.split("\n")[0] not in personal.get_body(  # type: ignore[union-attr]
        ("plain",)).get_content()
