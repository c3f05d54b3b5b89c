"""Writes corpus/*.eml: awkward, real-world-shaped mails (run once; the files are committed).

Kept beside the corpus so a reader sees how each encoding was made; `test_parse.py` states
what the parser must make of every one of them.
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
H = ("From: Sanne de Vries <sanne.devries@example.nl>\r\nTo: opvoedvragen@cjg-twente.example\r\n"
     "Date: Tue, 24 Nov 2026 09:12:00 +0100\r\n")
files: dict[str, bytes] = {}


def mail(name: str, headers: str, body: str | bytes) -> None:
    data = body if isinstance(body, bytes) else body.encode("latin-1")
    files[name] = headers.encode("latin-1") + b"\r\n" + data


def qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


plain = ("Dank voor jullie antwoord. Hij blijft 's nachts wakker worden, ook met het vaste "
         "ritme.\r\nWat kan ik nog meer proberen?\r\n\r\nOp di 24 nov. 2026 om 10:02 schreef "
         "CJG Twente <\r\nopvoedvragen@cjg-twente.example>:\r\n\r\n> Fijn dat je het vraagt. "
         "Een vast slaapritme helpt veel kinderen.\r\n> Heeft dit je geholpen?\r\n")
html = ('<div dir="ltr">Dank voor jullie antwoord. Hij blijft \'s nachts wakker worden, ook met '
        'het vaste ritme.<br>Wat kan ik nog meer proberen?</div><br><div class="gmail_quote">'
        '<div class="gmail_attr">Op di 24 nov. 2026 om 10:02 schreef CJG Twente</div>'
        '<blockquote class="gmail_quote">Fijn dat je het vraagt.</blockquote></div>')
mail("gmail-reply-qp.eml", H + "Subject: Re: Je vraag aan CJG Twente\r\n"
     "Message-ID: <CAB1@mail.gmail.example>\r\nIn-Reply-To: <al.x@cjg-twente.example>\r\n"
     "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"gm1\"\r\n",
     "--gm1\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n"
     "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(plain) +
     "\r\n--gm1\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n"
     "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(html) + "\r\n--gm1--\r\n")

html = ("<html><head><style>p{margin:0}</style></head><body><p>Goedemorgen,</p><p>Onze dochter "
        "(4) wil 's ochtends niet naar de opvang en huilt heel erg bij het afscheid. Is dat "
        "normaal en wat kunnen wij doen?</p><p>Met vriendelijke groet,</p><p>Ren\xe9e Jansen<br>"
        "06-12345678</p><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\"><b>Van:"
        "</b> CJG Twente<br><b>Verzonden:</b> maandag</div><div>Oude tekst die weg moet</div>"
        "</body></html>")
mail("outlook-html-only-base64-cp1252.eml",
     "From: \"Jansen, Ren\xe9e\" <Renee.Jansen@Example.NL>\r\nTo: opvoedvragen@almelo.example\r\n"
     "Subject: RE: opvang\r\nMessage-ID: <AM0PR01MB1234@eurprd01.prod.outlook.example>\r\n"
     "MIME-Version: 1.0\r\nContent-Type: text/html; charset=\"windows-1252\"\r\n"
     "Content-Transfer-Encoding: base64\r\n", b64(html.encode("cp1252")))

mail("iphone-signature.eml", H + "Subject: Re: vraag\r\nMessage-ID: <1A2B@icloud.example>\r\n"
     "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
     b"Mijn zoon van 15 gamet tot diep in de nacht. Hoe maak ik afspraken die hij ook nakomt?"
     b"\r\n\r\nVerstuurd vanaf mijn iPhone\r\n\r\n> Op 24 nov. 2026 om 10:02 heeft CJG Twente "
     b"<opvoedvragen@cjg-twente.example> het volgende geschreven:\r\n>\r\n> Oud antwoord\r\n"
)

mail("outlook-plain-header-block.eml", H + "Subject: RE: vraag\r\nMessage-ID: <o2@example.nl>"
     "\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
     "Content-Transfer-Encoding: quoted-printable\r\n",
     qp("Hoe leer ik mijn kind zindelijk worden? Ze is bijna drie jaar, caf\xe9.\n\nVan: CJG "
        "Twente <opvoedvragen@cjg-twente.example>\nVerzonden: dinsdag 24 november 2026 10:02\n"
        "Aan: Sanne\nOnderwerp: Je vraag\n\nOude tekst\n", "latin-1"))

mail("mislabelled-charset.eml", H + "Subject: vraag\r\nMessage-ID: <mis@example.nl>\r\n"
     "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 8bit\r\n",
     "Mijn dochter is erg verdrietig na de scheiding, wat kan ik doen? Ze zegt: \xe9\xe9n keer."
     "\r\n")

mail("unknown-charset.eml", H + "Subject: vraag\r\nMessage-ID: <unk@example.nl>\r\n"
     "Content-Type: text/plain; charset=x-unknown-klingon\r\nContent-Transfer-Encoding: 8bit\r\n",
     "Mijn baby huilt elke avond urenlang, hoe kan ik hem troosten? Cr\u00e8che.\r\n"
     .encode("utf-8"))

mail("forwarded-inline-with-comment.eml", H + "Subject: Fwd: brief van school\r\n"
     "Message-ID: <fw1@example.nl>\r\nContent-Type: text/plain; charset=utf-8\r\n",
     "Wij kregen deze brief van school over pesten in de klas van onze zoon. Hoe praten we "
     "hier thuis over?\r\n\r\n---------- Forwarded message ---------\r\nVan: Juf Anja "
     "<anja@school.example>\r\nDate: ma 23 nov. 2026\r\nSubject: pesten\r\nTo: ouders\r\n\r\n"
     "Beste ouders, in groep 6 wordt gepest.\r\n")

mail("forwarded-only.eml", H + "Subject: Fwd: vraag\r\nMessage-ID: <fw2@example.nl>\r\n"
     "Content-Type: text/plain; charset=utf-8\r\n",
     "\r\n-------- Doorgestuurd bericht --------\r\nOnderwerp: vraag\r\nDatum: Mon, 23 Nov 2026"
     "\r\nVan: Partner <p@example.nl>\r\nAan: Sanne\r\n\r\nOnze peuter bijt andere kinderen op "
     "de opvang. Wat doen we daaraan?\r\n")

mail("forwarded-as-attachment.eml", H + "Subject: Fwd: zorgen\r\nMessage-ID: <fw3@example.nl>"
     "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b9\"\r\n",
     "--b9\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n--b9\r\n"
     "Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n"
     "From: oma@example.nl\r\nSubject: zorgen\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
     "Mijn kleinkind eet bijna niets meer sinds de verhuizing. Moeten we ons zorgen maken?\r\n"
     "--b9--\r\n")

mail("with-attachments.eml", H + "Subject: uitslag\r\nMessage-ID: <att@example.nl>\r\n"
     "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b10\"\r\n",
     "--b10\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIk heb een foto van de uitslag "
     "bijgevoegd, mijn kind heeft eczeem. Wat kunnen we doen?\r\n--b10\r\n"
     "Content-Type: image/jpeg; name=\"uitslag.jpg\"\r\n"
     "Content-Disposition: attachment; filename=\"uitslag.jpg\"\r\n"
     "Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRgABAQAAAQABAAD/2wBD\r\n--b10\r\n"
     "Content-Type: text/plain; name=\"notities.txt\"\r\n"
     "Content-Disposition: attachment; filename=\"notities.txt\"\r\n\r\ngeheime notities\r\n"
     "--b10--\r\n")

mail("thunderbird-english-encoded-words.eml",
     "From: =?utf-8?q?Fran=C3=A7oise_M=C3=BCller?= <francoise@example.de>\r\n"
     "To: opvoedvragen@cjg-twente.example\r\nSubject: =?utf-8?b?UmU6IFNsYWFwcHJvYmxlbWVu?=\r\n"
     "Message-ID: <tb@example.de>\r\nContent-Language: en-GB\r\nMIME-Version: 1.0\r\n"
     "Content-Type: multipart/alternative; boundary=\"b11\"\r\n",
     "--b11\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n\r\nMy son of six is "
     "afraid of the dark and will not sleep alone. What can we do?\r\n\r\nOn 24-11-2026 10:02, "
     "CJG Twente wrote:\r\n> old answer\r\n--b11\r\nContent-Type: text/html; charset=utf-8\r\n"
     "\r\n<p>My son of six is afraid of the dark</p><blockquote type=\"cite\">old answer"
     "</blockquote>\r\n--b11--\r\n")

mail("inline-reply.eml", H + "Subject: Re: vragen\r\nMessage-ID: <inl@example.nl>\r\n"
     "Content-Type: text/plain; charset=utf-8\r\n",
     "> Hoe oud is je kind?\r\nZe is zeven.\r\n\r\n> Sinds wanneer speelt dit?\r\nSinds de "
     "zomer plast ze weer in bed.\r\n\r\nGroetjes,\r\nSanne\r\n")

mail("out-of-office.eml", H + "Subject: Afwezigheidsmelding: Je vraag aan CJG Twente\r\n"
     "Message-ID: <ooo@example.nl>\r\nAuto-Submitted: auto-replied\r\n"
     "X-Auto-Response-Suppress: All\r\nContent-Type: text/plain; charset=utf-8\r\n",
     "Ik ben tot en met 30 november afwezig.\r\n")

mail("out-of-office-subject-only.eml", H + "Subject: Automatisch antwoord: Je vraag\r\n"
     "Message-ID: <ooo2@example.nl>\r\nContent-Type: text/plain; charset=utf-8\r\n",
     "Ik ben er niet.\r\n")

mail("bounce-dsn.eml", "From: Mail Delivery System <MAILER-DAEMON@mx.example.nl>\r\n"
     "To: opvoedvragen@cjg-twente.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
     "Message-ID: <bnc@mx.example.nl>\r\nMIME-Version: 1.0\r\n"
     "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b15\"\r\n",
     "--b15\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your "
     "message could not be delivered.\r\n--b15\r\nContent-Type: message/delivery-status\r\n\r\n"
     "Reporting-MTA: dns; mx.example.nl\r\n\r\nFinal-Recipient: rfc822; weg@example.nl\r\n"
     "Action: failed\r\nStatus: 5.1.1\r\n\r\n--b15\r\nContent-Type: text/rfc822-headers\r\n\r\n"
     "From: opvoedvragen@cjg-twente.example\r\nMessage-ID: <al.original@cjg-twente.example>\r\n"
     "Subject: Je vraag\r\n--b15--\r\n")

mail("mailing-list.eml", "From: Nieuwsbrief <nieuws@lijst.example>\r\n"
     "To: opvoedvragen@cjg-twente.example\r\nSubject: Nieuwsbrief november\r\n"
     "Message-ID: <list@lijst.example>\r\nList-Id: <nieuws.lijst.example>\r\n"
     "List-Unsubscribe: <mailto:uit@lijst.example>\r\nPrecedence: bulk\r\n"
     "Content-Type: text/plain\r\n", "Deze maand: tips voor de feestdagen.\r\n")

mail("no-from.eml", "To: opvoedvragen@cjg-twente.example\r\nSubject: vraag\r\n"
     "Message-ID: <nofrom@example.nl>\r\n", "Hoe gaat dit?\r\n")

mail("only-attachment.eml", H + "Subject: zie bijlage\r\nMessage-ID: <onlyatt@example.nl>\r\n"
     "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b18\"\r\n",
     "--b18\r\nContent-Type: application/pdf; name=\"brief.pdf\"\r\n"
     "Content-Disposition: attachment; filename=\"brief.pdf\"\r\n"
     "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b18--\r\n")

mail("broken-mime-nul.eml", H + "Subject: vraag\r\nMessage-ID: <broken@example.nl>\r\n"
     "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b19\"\r\n",
     b"--b19\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64"
     b"\r\n\r\nTWlqbiBraW5kIHNjaHJlZXV3dCB2ZWVsLCB3YXQgbnU/\x00==x\r\n")

mail("no-message-id-signature.eml", H + "Subject: peuter\r\n"
     "Content-Type: text/plain; charset=utf-8\r\n",
     "Onze peuter krijgt driftbuien in de supermarkt. Hoe reageer ik rustig?\r\n\r\n"
     "Met vriendelijke groet,\r\nSanne de Vries\r\n-- \r\nSanne de Vries | Hengelo | "
     "06-98765432\r\n")

mail("encoded-crlf-subject.eml",
     "From: =?utf-8?q?Evil=0D=0ABcc:_x@evil.example?= <ouder@example.nl>\r\n"
     "To: opvoedvragen@cjg-twente.example\r\n"
     "Subject: =?utf-8?q?vraag=0D=0ABcc:_victim@evil.example?=\r\n"
     "Message-ID: <inj@example.nl>\r\nContent-Type: text/plain; charset=utf-8\r\n",
     "Mijn kind wil niet eten, wat nu?\r\n")

mail("utf16-base64.eml", H + "Subject: taal\r\nMessage-ID: <u16@example.nl>\r\n"
     "Content-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n",
     b64("Hoe stimuleer ik de taalontwikkeling van mijn tweejarige?\n".encode("utf-16")))

if __name__ == "__main__":
    CORPUS.mkdir(exist_ok=True)
    for name, data in files.items():
        (CORPUS / name).write_bytes(data)
    print(f"{len(files)} mails written to {CORPUS}")
