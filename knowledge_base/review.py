"""A review of an entry records who read which text when: `last_reviewed = { on, by, text }`.

`text` is a fingerprint of what a parent reads (both questions and both answers). When any of it
changes, the fingerprint no longer matches and `kb check` asks for a new review, so a date in the
file always belongs to the words that were actually read, never to a later edit. A review is
recorded per entry by naming it (`adviceline kb review ENTRY --by NAME`); there is no "all".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge_base.crisis_lines import expand_lines

FINGERPRINT_LENGTH = 12
_LAST_REVIEWED_LINE = re.compile(r"^last_reviewed\s*=.*$", re.MULTILINE)


@dataclass(frozen=True)
class Review:
    on: date
    by: str
    text: str  # fingerprint of the reviewed text


def fingerprint(question: str, question_en: str, answer_nl: str, answer_en: str) -> str:
    """A short, stable hash of the text a parent reads; whitespace at line ends does not count.

    Crisis lines are hashed as the words they stand for: moving a hand-written line into its
    placeholder keeps the review, and a new wording of a line asks for every entry to be read.
    """
    parts = (question, question_en, expand_lines(answer_nl, "nl"), expand_lines(answer_en, "en"))
    normal = "\n\x1f\n".join(
        "\n".join(line.rstrip() for line in part.strip().splitlines()) for part in parts
    )
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


def review_line(review: Review) -> str:
    by = review.by.replace("\\", "\\\\").replace('"', '\\"')
    on = review.on.isoformat()
    return f'last_reviewed = {{ on = {on}, by = "{by}", text = "{review.text}" }}'


class ReviewError(ValueError):
    """The review cannot be recorded (no reviewer, no such line)."""


def record_review(path: Path, text: str, by: str, on: date) -> Review:
    """Rewrite the `last_reviewed` line of the entry file at `path`; everything else stays."""
    if not by.strip():
        raise ReviewError("a review needs the reviewer's name (--by)")
    review = Review(on=on, by=by.strip(), text=text)
    content = path.read_text(encoding="utf-8")
    front_end = content.find("\n+++", 3)
    if front_end < 0 or not _LAST_REVIEWED_LINE.search(content, 0, front_end):
        raise ReviewError(f"{path}: no last_reviewed line in the front matter")
    head = _LAST_REVIEWED_LINE.sub(lambda _: review_line(review), content[:front_end], count=1)
    path.write_text(head + content[front_end:], encoding="utf-8")
    return review
