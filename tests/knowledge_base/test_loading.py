"""Loading topics and entry files: the real knowledge base, and structural errors in bad files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from knowledge_base import (
    DEFAULT_TOPICS_FILE,
    KnowledgeBase,
    KnowledgeBaseError,
    load_knowledge_base,
    load_topics,
)
from tests.knowledge_base.conftest import entry_text


def test_real_topics_load() -> None:
    topics = load_topics(DEFAULT_TOPICS_FILE)
    assert len(topics) >= 42  # the first edition's 42 and the second edition's
    assert topics["driftbuien"].kind == "faq"
    assert topics["privacy"].kind == "service"
    assert "peuter" in topics["driftbuien"].ages


def test_real_knowledge_base_loads(real_kb: KnowledgeBase) -> None:
    assert len(real_kb.entries) > 0
    for entry in real_kb.entries.values():
        assert entry.topic in real_kb.topics
        assert entry.path.name == f"{entry.id}.md"
        assert entry.answer_nl and entry.answer_en
        assert isinstance(entry.last_reviewed.on, date) and entry.last_reviewed.by


def test_entry_lookup_raises_key_error_for_unknown_id(real_kb: KnowledgeBase) -> None:
    some_id = next(iter(real_kb.entries))
    assert real_kb.entry(some_id).id == some_id
    with pytest.raises(KeyError):
        real_kb.entry("no-such-entry")


def test_snapshot_is_immutable(real_kb: KnowledgeBase) -> None:
    with pytest.raises(TypeError):
        real_kb.entries["x"] = next(iter(real_kb.entries.values()))  # type: ignore[index]


def test_a_valid_entry_file_loads(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    write_entry("driftbuien-test", entry_text())
    kb = load_knowledge_base(tmp_path / "entries", topics_file)
    entry = kb.entry("driftbuien-test")
    assert entry.topic == "driftbuien"
    assert entry.last_reviewed.on == date(2026, 1, 15)
    assert entry.last_reviewed.by == "Test Reviewer"
    assert entry.answer_nl.startswith("Driftbuien horen")
    assert entry.answer_en.startswith("Tantrums")
    assert len(entry.phrasings) == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (entry_text(topic="no-such-topic"), "unknown topic 'no-such-topic'"),
        (entry_text(leave_out="question_en"), "missing field(s): question_en"),
        (entry_text(last_reviewed="2026-01-15"), "last_reviewed must record a review"),
        (
            entry_text(last_reviewed='{ on = "yesterday", by = "A", text = "0123456789ab" }'),
            "last_reviewed.on must be a TOML date",
        ),
        (
            entry_text(last_reviewed='{ on = 2026-01-15, by = " ", text = "0123456789ab" }'),
            "last_reviewed.by must name who reviewed",
        ),
        (
            entry_text(last_reviewed='{ on = 2026-01-15, by = "A", text = "stamp" }'),
            "last_reviewed.text must be the 12-character fingerprint",
        ),
        ("no front matter here", "must start with a '+++' line"),
        ("+++\nid = \n+++\n", "not valid TOML"),
        (entry_text().replace("## English", "## Engels"), "missing or empty section '## English'"),
    ],
)
def test_structural_problems_raise_with_path(
    tmp_path: Path,
    topics_file: Path,
    write_entry: Callable[..., Path],
    text: str,
    message: str,
) -> None:
    path = write_entry("broken", text)
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(tmp_path / "entries", topics_file)
    assert any(line.startswith(f"{path}: ") and message in line for line in raised.value.problems)
    assert message in str(raised.value)


def test_duplicate_id_is_an_error(
    tmp_path: Path, topics_file: Path, write_entry: Callable[..., Path]
) -> None:
    write_entry("driftbuien-test", entry_text())
    write_entry("driftbuien-test", entry_text(), folder="zindelijkheid")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base(tmp_path / "entries", topics_file)
    assert any("duplicate id 'driftbuien-test'" in line for line in raised.value.problems)


def test_broken_topics_file_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "topics.toml"
    broken.write_text('[[topic]]\nid = "x"\ntitle = "X"\n', encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_topics(broken)
    assert "missing field(s)" in str(raised.value)
