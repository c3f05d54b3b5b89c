"""Read topics.toml and the entry files (TOML front matter between +++ lines, then two answers).

Loading is strict about structure (parse errors, missing fields, wrong types, unknown topic,
duplicate id) and lenient about quality; the quality rules live in `check.py`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from knowledge_base.model import (
    AGE_GROUPS,
    DEFAULT_ENTRIES_DIR,
    DEFAULT_TOPICS_FILE,
    LEVELS,
    TOPIC_KINDS,
    Entry,
    KnowledgeBase,
    KnowledgeBaseError,
    Topic,
)
from knowledge_base.review import FINGERPRINT_LENGTH, Review

REQUIRED_ENTRY_FIELDS: tuple[str, ...] = (
    "id",
    "topic",
    "ages",
    "level",
    "last_reviewed",
    "question",
    "question_en",
    "phrasings",
)
REQUIRED_TOPIC_FIELDS: tuple[str, ...] = ("id", "title", "about", "ages", "level", "kind")
SECTION_NL = "Nederlands"
SECTION_EN = "English"
_SECTION_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)
_FINGERPRINT = re.compile(rf"^[0-9a-f]{{{FINGERPRINT_LENGTH}}}$")


@dataclass(frozen=True)
class EntryFile:
    """One entry file as read: the entry when it could be built, and the problems found."""

    path: Path
    entry: Entry | None
    problems: tuple[str, ...]


def load_topics(topics_file: Path = DEFAULT_TOPICS_FILE) -> dict[str, Topic]:
    """Read the topic list; raises KnowledgeBaseError listing every problem found."""
    try:
        data = tomllib.loads(topics_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise KnowledgeBaseError([f"{topics_file}: cannot read topics: {error}"]) from error
    problems: list[str] = []
    topics: dict[str, Topic] = {}
    raw_topics = data.get("topic")
    if not isinstance(raw_topics, list):
        raise KnowledgeBaseError([f"{topics_file}: no [[topic]] tables"])
    for number, raw in enumerate(raw_topics, start=1):
        where = f"{topics_file}: topic #{number}"
        missing = [name for name in REQUIRED_TOPIC_FIELDS if name not in raw]
        if missing:
            problems.append(f"{where}: missing field(s) {', '.join(missing)}")
            continue
        topic_problems = _topic_field_problems(raw)
        if topic_problems:
            problems.extend(f"{where} ({raw.get('id')}): {message}" for message in topic_problems)
            continue
        if raw["id"] in topics:
            problems.append(f"{where}: duplicate topic id {raw['id']!r}")
            continue
        topics[raw["id"]] = Topic(
            id=raw["id"],
            title=raw["title"],
            about=raw["about"],
            ages=tuple(raw["ages"]),
            level=raw["level"],
            kind=raw["kind"],
        )
    if problems:
        raise KnowledgeBaseError(problems)
    return topics


def _topic_field_problems(raw: dict[str, Any]) -> list[str]:
    problems = [
        f"field {name!r} must be a non-empty string"
        for name in ("id", "title", "about")
        if not isinstance(raw[name], str) or not raw[name].strip()
    ]
    problems.extend(_ages_level_problems(raw))
    if raw["kind"] not in TOPIC_KINDS:
        problems.append(f"kind must be one of {', '.join(TOPIC_KINDS)}, not {raw['kind']!r}")
    return problems


def _ages_level_problems(raw: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    ages = raw["ages"]
    if not isinstance(ages, list) or not ages or not all(age in AGE_GROUPS for age in ages):
        problems.append(f"ages must be a non-empty list of {', '.join(AGE_GROUPS)}, not {ages!r}")
    level = raw["level"]
    if isinstance(level, bool) or level not in LEVELS:
        problems.append(f"level must be one of {', '.join(map(str, LEVELS))}, not {level!r}")
    return problems


def entry_paths(entries_dir: Path) -> list[Path]:
    """Every entry file under `entries_dir`, in a stable order."""
    if not entries_dir.is_dir():
        return []
    return sorted(path for path in entries_dir.rglob("*.md") if path.is_file())


def read_entry_file(path: Path, topics: dict[str, Topic]) -> EntryFile:
    """Parse one entry file; never raises for the file's content."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return EntryFile(path, None, (f"cannot read file: {error}",))
    front_matter, body, problem = _split_front_matter(text)
    if problem:
        return EntryFile(path, None, (problem,))
    try:
        raw = tomllib.loads(front_matter)
    except tomllib.TOMLDecodeError as error:
        return EntryFile(path, None, (f"front matter is not valid TOML: {error}",))

    problems: list[str] = []
    missing = [name for name in REQUIRED_ENTRY_FIELDS if name not in raw]
    if missing:
        problems.append(f"missing field(s): {', '.join(missing)}")
    sections = _sections(body)
    for section in (SECTION_NL, SECTION_EN):
        if not sections.get(section, "").strip():
            problems.append(f"missing or empty section '## {section}'")
    if missing:
        return EntryFile(path, None, tuple(problems))

    problems.extend(_entry_field_problems(raw, topics))
    if problems:
        return EntryFile(path, None, tuple(problems))
    entry = Entry(
        id=raw["id"],
        topic=raw["topic"],
        ages=tuple(raw["ages"]),
        level=raw["level"],
        last_reviewed=Review(
            on=raw["last_reviewed"]["on"],
            by=raw["last_reviewed"]["by"].strip(),
            text=raw["last_reviewed"]["text"],
        ),
        question=raw["question"].strip(),
        question_en=raw["question_en"].strip(),
        phrasings=tuple(phrasing.strip() for phrasing in raw["phrasings"]),
        answer_nl=sections[SECTION_NL].strip(),
        answer_en=sections[SECTION_EN].strip(),
        path=path,
    )
    return EntryFile(path, entry, ())


def _split_front_matter(text: str) -> tuple[str, str, str | None]:
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != "+++":
        return "", "", "file must start with a '+++' line (TOML front matter)"
    for index in range(1, len(lines)):
        if lines[index].strip() == "+++":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), None
    return "", "", "front matter has no closing '+++' line"


def _sections(body: str) -> dict[str, str]:
    headings = list(_SECTION_HEADING.finditer(body))
    sections: dict[str, str] = {}
    for index, heading in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else len(body)
        sections[heading.group(1)] = body[heading.end() : end]
    return sections


def _entry_field_problems(raw: dict[str, Any], topics: dict[str, Topic]) -> list[str]:
    problems = [
        f"field {name!r} must be a non-empty string"
        for name in ("id", "topic", "question", "question_en")
        if not isinstance(raw[name], str) or not raw[name].strip()
    ]
    problems.extend(_ages_level_problems(raw))
    problems.extend(_review_problems(raw["last_reviewed"]))
    phrasings = raw["phrasings"]
    if not isinstance(phrasings, list) or not all(
        isinstance(phrasing, str) and phrasing.strip() for phrasing in phrasings
    ):
        problems.append("phrasings must be a list of non-empty strings")
    topic = raw["topic"]
    if isinstance(topic, str) and topic.strip() and topic not in topics:
        problems.append(f"unknown topic {topic!r} (not in topics.toml)")
    return problems


def _review_problems(reviewed: Any) -> list[str]:
    """A review names its date, its reviewer and the fingerprint of the text that was read."""
    shape = (
        'last_reviewed must record a review: { on = 2026-12-05, by = "who reviewed", '
        'text = "<fingerprint>" } (adviceline kb review ENTRY --by NAME writes it)'
    )
    if not isinstance(reviewed, dict) or set(reviewed) != {"on", "by", "text"}:
        return [f"{shape}, not {reviewed!r}"]
    problems: list[str] = []
    on, by, text = reviewed["on"], reviewed["by"], reviewed["text"]
    if isinstance(on, datetime) or not isinstance(on, date):
        problems.append(f"last_reviewed.on must be a TOML date like 2026-01-31, not {on!r}")
    if not isinstance(by, str) or not by.strip():
        problems.append("last_reviewed.by must name who reviewed the entry")
    if not isinstance(text, str) or not _FINGERPRINT.match(text):
        problems.append(
            f"last_reviewed.text must be the {FINGERPRINT_LENGTH}-character fingerprint of the "
            f"reviewed text, not {text!r}"
        )
    return problems


def read_entry_files(entries_dir: Path, topics: dict[str, Topic]) -> list[EntryFile]:
    """Read every entry file and add a problem to each file whose id was already used."""
    files = [read_entry_file(path, topics) for path in entry_paths(entries_dir)]
    first_path: dict[str, Path] = {}
    result: list[EntryFile] = []
    for entry_file in files:
        entry = entry_file.entry
        if entry is not None and entry.id in first_path:
            problem = f"duplicate id {entry.id!r} (also used by {first_path[entry.id]})"
            result.append(EntryFile(entry_file.path, None, (problem,)))
            continue
        if entry is not None:
            first_path[entry.id] = entry_file.path
        result.append(entry_file)
    return result


def load_knowledge_base(
    entries_dir: Path = DEFAULT_ENTRIES_DIR, topics_file: Path = DEFAULT_TOPICS_FILE
) -> KnowledgeBase:
    """Load topics and entries; raises KnowledgeBaseError listing every structural problem."""
    topics = load_topics(topics_file)
    files = read_entry_files(entries_dir, topics)
    problems = [
        f"{entry_file.path}: {message}" for entry_file in files for message in entry_file.problems
    ]
    if problems:
        raise KnowledgeBaseError(problems)
    entries = {entry_file.entry.id: entry_file.entry for entry_file in files if entry_file.entry}
    return KnowledgeBase(topics=topics, entries=entries)
