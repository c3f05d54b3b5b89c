"""The parser on a corpus of awkward real-world-shaped mails (corpus/, made by make_corpus.py)
and on mails hypothesis makes up: the parent's new words only, never a crash."""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adviceline.domain import storable
from bots.email.automatic import BOUNCE
from bots.email.parse import ParsedMail, Unreadable, parse

CORPUS = Path(__file__).resolve().parent / "corpus"

# name: (words that must be in the text, words that must not, automatic?, attachments)
EXPECTED: dict[str, tuple[list[str], list[str], str | None, int]] = {
    "gmail-reply-qp.eml": (["'s nachts wakker", "Wat kan ik nog meer proberen?"],
                           ["schreef", "Fijn dat je het vraagt", "opvoedvragen@"], None, 0),
    "outlook-html-only-base64-cp1252.eml": (
        ["huilt heel erg bij het afscheid", "wat kunnen wij doen?"],
        ["Renée", "06-12345678", "Oude tekst", "Verzonden", "vriendelijke groet", "margin"],
        None, 0),
    "iphone-signature.eml": (["gamet tot diep in de nacht"],
                             ["iPhone", "Oud antwoord", "geschreven"], None, 0),
    "outlook-plain-header-block.eml": (["zindelijk", "café"],
                                       ["Verzonden", "Oude tekst", "Van:"], None, 0),
    "mislabelled-charset.eml": (["één keer"], ["\ufffd"], None, 0),
    "unknown-charset.eml": (["Crèche", "urenlang"], [], None, 0),
    "forwarded-inline-with-comment.eml": (["Hoe praten we hier thuis over?"],
                                          ["Juf Anja", "groep 6", "Forwarded"], None, 0),
    "forwarded-only.eml": (["peuter bijt andere kinderen"],
                           ["Doorgestuurd", "Partner", "Onderwerp"], None, 0),
    "forwarded-as-attachment.eml": (["kleinkind eet bijna niets"], ["oma@"], None, 0),
    "with-attachments.eml": (["eczeem"], ["geheime notities", "/9j/"], None, 2),
    "thunderbird-english-encoded-words.eml": (["afraid of the dark"],
                                              ["wrote", "old answer"], None, 0),
    "inline-reply.eml": (["Ze is zeven.", "Sinds de zomer plast ze weer in bed."],
                         ["Hoe oud is je kind", "Sinds wanneer", "Sanne"], None, 0),
    "out-of-office.eml": ([], [], "Auto-Submitted: auto-replied", 0),
    "out-of-office-subject-only.eml": ([], [], "automatic reply", 0),
    "bounce-dsn.eml": ([], [], BOUNCE, 0),
    "mailing-list.eml": ([], [], "mailing list", 0),
    "broken-mime-nul.eml": (["Mijn kind schreeuwt veel, wat nu?"], ["\x00"], None, 0),
    "no-message-id-signature.eml": (["driftbuien"], ["Sanne", "06-98765432", "groet"], None, 0),
    "encoded-crlf-subject.eml": (["niet eten"], [], None, 0),
    "utf16-base64.eml": (["taalontwikkeling"], [], None, 0),
}
UNREADABLE = {"no-from.eml": "From", "only-attachment.eml": "only attachments"}


def test_the_corpus_is_complete() -> None:
    assert {path.name for path in CORPUS.glob("*.eml")} == set(EXPECTED) | set(UNREADABLE)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_mail_gives_the_new_text_only(name: str) -> None:
    present, absent, reason, attachments = EXPECTED[name]
    mail = parse((CORPUS / name).read_bytes())
    for words in present:
        assert words in mail.text, (name, mail.text)
    for words in absent:
        assert words not in mail.text, (name, mail.text)
    assert mail.automatic == reason
    assert mail.attachments == attachments
    assert storable(mail.text)


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_corpus_mail_says_why(name: str) -> None:
    with pytest.raises(Unreadable, match=UNREADABLE[name]):
        parse((CORPUS / name).read_bytes())


def test_headers_come_out_clean() -> None:
    mail = parse((CORPUS / "encoded-crlf-subject.eml").read_bytes())
    assert mail.sender == "ouder@example.nl"
    assert "\r" not in mail.subject and "\n" not in mail.subject
    outlook = parse((CORPUS / "outlook-html-only-base64-cp1252.eml").read_bytes())
    assert outlook.sender == "renee.jansen@example.nl"
    assert outlook.recipients == ("opvoedvragen@almelo.example",)
    assert outlook.external_id == "AM0PR01MB1234@eurprd01.prod.outlook.example"
    english = parse((CORPUS / "thunderbird-english-encoded-words.eml").read_bytes())
    assert (english.language, english.subject) == ("en", "Re: Slaapproblemen")
    gmail = parse((CORPUS / "gmail-reply-qp.eml").read_bytes())
    assert gmail.references == ("<al.x@cjg-twente.example>",)
    bounce = parse((CORPUS / "bounce-dsn.eml").read_bytes())
    assert bounce.bounced == ("<al.original@cjg-twente.example>",)


def test_a_mail_without_message_id_is_known_by_its_content() -> None:
    raw = (CORPUS / "no-message-id-signature.eml").read_bytes()
    first, again = parse(raw), parse(raw)
    assert first.message_id is None
    assert first.external_id == again.external_id and first.external_id.startswith("sha256:")
    assert parse(raw + b"\r\nanders\r\n").external_id != first.external_id


def test_an_empty_envelope_sender_is_a_bounce_or_automatic() -> None:
    raw = b"From: ouder@example.nl\r\nSubject: hoi\r\n\r\nMijn kind slaapt niet.\r\n"
    assert parse(raw).automatic is None
    assert parse(raw, envelope_sender="").automatic is not None


# Property: whatever arrives, the parser returns a storable message or says why it cannot -----

_charsets = st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "utf-16", "koi8-r",
                             "us-ascii", "x-bogus", "utf-7"])
_cte = st.sampled_from(["7bit", "8bit", "quoted-printable", "base64"])


@st.composite
def mails(draw: st.DrawFn) -> bytes:
    """A mail with random text, charsets, transfer encodings, parts and quoted history, written
    byte by byte (as senders do, not as a careful library would), sometimes damaged after."""
    sender = draw(st.sampled_from(
        ["ouder@example.nl", "Ouder <ouder@example.nl>", "=?utf-8?q?=0D=0A?= <o@example.nl>",
         "", "geen adres", "<>", "\"a@b\" <c@d>"]))
    subject = draw(st.text(max_size=40)).encode("utf-8", "surrogatepass")
    headers = [b"From: " + sender.encode(), b"To: opvoedvragen@cjg-twente.example",
               b"Subject: " + b" ".join(subject.split())]
    if draw(st.booleans()):
        headers.append(f"Message-ID: <{draw(st.integers(0, 10**9))}@example.nl>".encode())
    if draw(st.booleans()):
        headers.append(b"Auto-Submitted: auto-replied")
    history = draw(st.sampled_from(["", "\n\nOp di schreef CJG:\n> oud\n", "\n-- \nJan\n",
                                    "\n---------- Forwarded message ---------\nVan: x\n\ny\n"]))
    body = draw(st.text(max_size=300)) + history
    charset, cte = draw(_charsets), draw(_cte)
    try:
        encoded = body.encode(charset)
    except (UnicodeEncodeError, LookupError):
        encoded = body.encode("utf-8", "surrogatepass")
    if cte == "base64":
        encoded = base64.encodebytes(encoded)
    elif cte == "quoted-printable":
        encoded = quopri.encodestring(encoded)
    subtype = draw(st.sampled_from(["plain", "html"]))
    part = (f"Content-Type: text/{subtype}; charset={charset}\r\n"
            f"Content-Transfer-Encoding: {cte}\r\n\r\n").encode() + encoded
    if draw(st.booleans()):
        headers.append(b'Content-Type: multipart/mixed; boundary="zz"')
        raw_body = (b"--zz\r\n" + part + b"\r\n--zz\r\nContent-Type: application/pdf\r\n"
                    b"Content-Disposition: attachment; filename=x.pdf\r\n\r\n" +
                    draw(st.binary(max_size=50)) + b"\r\n--zz--\r\n")
    else:
        head, _, rest = part.partition(b"\r\n\r\n")
        headers.extend(head.split(b"\r\n"))
        raw_body = rest
    raw = b"\r\n".join(headers) + b"\r\n\r\n" + raw_body
    damage = draw(st.sampled_from(["none", "truncate", "nul", "bytes"]))
    if damage == "truncate":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif damage == "nul":
        position = draw(st.integers(0, len(raw)))
        raw = raw[:position] + b"\x00" + raw[position:]
    elif damage == "bytes":
        raw = raw + draw(st.binary(max_size=80))
    return raw


def _check(raw: bytes) -> ParsedMail | None:
    try:
        mail = parse(raw)
    except Unreadable as reason:
        assert str(reason)
        return None
    assert storable(mail.text) and storable(mail.subject) and storable(mail.sender)
    assert 0 < len(mail.external_id) <= 128 and mail.external_id.isprintable()
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert mail.text or mail.automatic
    assert parse(raw).external_id == mail.external_id   # the same mail is the same message
    return mail


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mails())
def test_no_generated_mail_crashes_the_parser(raw: bytes) -> None:
    _check(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_no_byte_string_crashes_the_parser(raw: bytes) -> None:
    _check(raw)
