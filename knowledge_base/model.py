"""The knowledge base's values: topics, FAQ entries and the immutable snapshot that holds them.

Nothing here reads files; `loading.py` builds these values from the entry files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from knowledge_base.review import Review

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_ENTRIES_DIR = PACKAGE_DIR / "entries"
DEFAULT_TOPICS_FILE = PACKAGE_DIR / "topics.toml"
DEFAULT_DEVSET = PACKAGE_DIR / "devset" / "questions.jsonl"

# The municipality's own offer, filled in by the service (see EDITING.md).
PLACEHOLDERS: tuple[str, ...] = (
    "gemeente",
    "cjg",
    "cursus_opvoeden",
    "jeugdteam",
    "openingstijden",
    "bewaartermijn",   # how long a finished conversation is kept ("90 dagen" / "90 days")
)

AGE_GROUPS: tuple[str, ...] = ("baby", "peuter", "schoolkind", "tiener")
LEVELS: tuple[int, ...] = (2, 3, 4)
TOPIC_KINDS: tuple[str, ...] = ("faq", "service")


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    about: str
    ages: tuple[str, ...]
    level: int
    kind: str  # "faq" | "service"


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    ages: tuple[str, ...]
    level: int
    last_reviewed: Review
    question: str
    question_en: str
    phrasings: tuple[str, ...]
    answer_nl: str
    answer_en: str
    path: Path


@dataclass(frozen=True)
class KnowledgeBase:
    """An immutable snapshot: a reload builds a new one, never half a change."""

    topics: Mapping[str, Topic]
    entries: Mapping[str, Entry]

    def __post_init__(self) -> None:
        object.__setattr__(self, "topics", MappingProxyType(dict(self.topics)))
        object.__setattr__(self, "entries", MappingProxyType(dict(self.entries)))

    def entry(self, entry_id: str) -> Entry:
        return self.entries[entry_id]


@dataclass
class KnowledgeBaseError(Exception):
    """The entry or topic files cannot be loaded; `problems` holds one "path: message" line each."""

    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(self.problems)
