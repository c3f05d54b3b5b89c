"""The parent's own words in a mail: without quoted history, signatures or forwarded headers.

Works on plain text; `html_to_text` first turns an HTML-only mail into text, leaving out the
blockquotes and reply containers mail programs put the quoted history in.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# "Op di 24 nov. 2026 om 10:00 schreef Jan <jan@example.nl>:", "On Tue, ... wrote:",
# also when a mail program wrapped it over two lines.
_ATTRIBUTION = re.compile(
    r"^\s*(op|on|am|le)\b.{0,300}?\b(schreef|wrote|heeft .{0,80}geschreven|schrieb|a écrit)"
    r"\s*.{0,80}:\s*$", re.IGNORECASE | re.DOTALL)
_ORIGINAL = re.compile(
    r"^\s*(-{2,}|_{2,})?\s*(original message|oorspronkelijk bericht|origineel bericht|"
    r"ursprüngliche nachricht)\s*(-{2,}|_{2,})?\s*$", re.IGNORECASE)
_FORWARD = re.compile(
    r"^\s*(-{2,}\s*)?(forwarded message|doorgestuurd bericht|doorgestuurde bericht|"
    r"begin forwarded message|begin doorgestuurd bericht|weitergeleitete nachricht)"
    r"\s*:?\s*(-{2,})?\s*$", re.IGNORECASE)
# An Outlook reply header: "Van: ...", then "Verzonden: ..." or "Sent: ..." close below.
_HEADER_FROM = re.compile(r"^\s*\*?(van|from|von)\s*:\*?\s", re.IGNORECASE)
_HEADER_SENT = re.compile(r"^\s*\*?(verzonden|sent|date|datum|gesendet|aan|to)\s*:\*?\s",
                          re.IGNORECASE)
_HEADER_LINE = re.compile(
    r"^\s*\*?(van|from|verzonden|sent|date|datum|onderwerp|subject|aan|to|cc)\s*:\*?",
    re.IGNORECASE)
_OUTLOOK_RULE = re.compile(r"^\s*_{20,}\s*$")
_SIGNATURE_DASHES = re.compile(r"^--\s?$")
_MOBILE = re.compile(
    r"^\s*(verzonden|verstuurd|sent|gesendet)\s+(vanaf|van|from|met|with|von)\s+(mijn|my|mein)"
    r"\b.{0,40}$|^\s*(get|download)\s+outlook\s+(for|voor)\b.{0,30}$", re.IGNORECASE)
_CLOSING = re.compile(
    r"^\s*(met\s+)?(vriendelijke|hartelijke)\s+groet(en)?\b|^\s*m\.?v\.?g\.?\b|"
    r"^\s*groet(jes|en)?\s*[,!.]?\s*$|^\s*(kind|best|warm)\s+regards\b|"
    r"^\s*(best wishes|cheers|regards)\s*[,!.]?\s*$|^\s*(groetjes|liefs)\b", re.IGNORECASE)
_CLOSING_TAIL_LINES = 6


def new_text(text: str) -> str:
    """The new part of a plain-text mail body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    own = _before_history(lines)
    if not _meaningful(own):
        forwarded = _forwarded_body(lines)
        if forwarded is not None:
            own = _before_history(forwarded)
    own = _without_signature(own)
    own = [line for line in own if not line.lstrip().startswith(">")]
    return _tidy(own)


def _before_history(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">") and _rest_is_quoted(lines[index:]):
            return _drop_attribution(lines[:index])
        if _ORIGINAL.match(line) or _OUTLOOK_RULE.match(line) or _FORWARD.match(line):
            return lines[:index]
        if _ATTRIBUTION.match(line):
            return lines[:index]
        if index + 1 < len(lines) and _ATTRIBUTION.match(f"{line} {lines[index + 1]}") \
                and not _ATTRIBUTION.match(lines[index + 1]) and line.strip():
            return lines[:index]
        if _HEADER_FROM.match(line) and any(_HEADER_SENT.match(later)
                                            for later in lines[index + 1:index + 4]):
            return lines[:index]
    return lines


def _rest_is_quoted(lines: list[str]) -> bool:
    """A '>' block that runs to the end (apart from blank lines and a signature) is history;
    '>' lines between the parent's own paragraphs are answered inline and only dropped."""
    rest = [line for line in lines if line.strip()]
    body = _without_signature(rest)
    return all(line.lstrip().startswith(">") for line in body)


def _drop_attribution(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if lines and _ATTRIBUTION.match(lines[-1]):
        return lines[:-1]
    if len(lines) >= 2 and _ATTRIBUTION.match(f"{lines[-2]} {lines[-1]}"):
        return lines[:-2]
    return lines


def _forwarded_body(lines: list[str]) -> list[str] | None:
    """A mail that only forwards another: the forwarded text without its header lines."""
    for index, line in enumerate(lines):
        if _FORWARD.match(line) or _ORIGINAL.match(line):
            rest = lines[index + 1:]
            while rest and (not rest[0].strip() or _HEADER_LINE.match(rest[0])):
                rest = rest[1:]
            return rest
    return None


def _without_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if _SIGNATURE_DASHES.match(line) or _MOBILE.match(line):
            lines = lines[:index]
            break
    filled = [index for index, line in enumerate(lines) if line.strip()]
    for index in filled[-_CLOSING_TAIL_LINES:]:
        if _CLOSING.match(lines[index]) and index != filled[0]:
            return lines[:index]
    return lines


def _meaningful(lines: list[str]) -> bool:
    return any(line.strip() and not line.lstrip().startswith(">") for line in lines)


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# HTML ---------------------------------------------------------------------------------------------

_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
           "blockquote", "hr", "section", "article", "header", "footer", "pre"}
_SKIP = {"script", "style", "head", "title", "template"}
# Containers of quoted history: <blockquote type=cite> (Apple, Thunderbird), Gmail's
# gmail_quote, Outlook's divRplyFwdMsg/appendonsend, Yahoo's yahoo_quoted.
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "ms-outlook-mobile-reference")
_QUOTE_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source",
         "wbr", "param", "track"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[tuple[str, bool]] = []   # (tag, hides its content)
        self._hidden = 0
        self.cut = False     # a reply container starts: everything after it is history

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if self.cut:
            return
        classes = values.get("class", "").lower()
        ident = values.get("id", "").lower()
        if any(name in ident for name in _QUOTE_IDS) or \
                any(name in classes for name in _QUOTE_CLASSES) or \
                (tag == "blockquote" and values.get("type", "").lower() == "cite"):
            self.cut = True
            return
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag in _VOID:
            return
        hides = tag in _SKIP
        self._stack.append((tag, hides))
        self._hidden += hides

    def handle_endtag(self, tag: str) -> None:
        if self.cut:
            return
        for position in range(len(self._stack) - 1, -1, -1):
            if self._stack[position][0] == tag:
                for _, hides in self._stack[position:]:
                    self._hidden -= hides
                del self._stack[position:]
                break
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.cut and not self._hidden:
            self.parts.append(re.sub(r"[ \t\r\n\f\v]+", " ", data))


def html_to_text(html: str) -> str:
    """The visible text of an HTML body, up to where the quoted history starts."""
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except Exception:   # html.parser is lenient; anything it still refuses is cut off there
        pass
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return _tidy(lines)
