"""Shared fixtures: the real knowledge base (loaded once) and a small one written into tmp_path."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge_base import DEFAULT_TOPICS_FILE, KnowledgeBase, Matcher, load_knowledge_base
from knowledge_base.review import fingerprint

ANSWER_NL = (
    "Driftbuien horen bij de peuterleeftijd. Je kind wil steeds meer zelf, maar kan boosheid nog "
    "niet in woorden zeggen. Krijsen, schoppen en koppigheid horen bij deze fase. Dat is "
    "vermoeiend, maar het is geen teken dat je iets fout doet. "
    "Wat helpt vaak: voorkom wat je kunt, want buien komen vaker bij honger of moeheid. Geef "
    "keuzes binnen grenzen. Blijf zelf rustig tijdens de bui en zorg dat je kind veilig is. Geef "
    "aandacht als het goed gaat, zodat je kind leert wat wel werkt. Zorg ook voor jezelf. Komen "
    "de buien heel vaak voor of loop je vast? Vraag dan {{cjg}} om raad, of kijk naar "
    "{{cursus_opvoeden}} in {{gemeente}}."
)
ANSWER_EN = (
    "Tantrums are part of the toddler years. Stay calm, keep your child safe and give attention "
    "when things go well. Ask {{cjg}} for advice or look at {{cursus_opvoeden}} in {{gemeente}}."
)
QUESTION = "Mijn peuter krijgt driftbuien. Wat kan ik doen?"
QUESTION_EN = "My toddler has tantrums. What can I do?"
PHRASINGS = (
    "peuter van 2 gooit zich op de grond in de winkel",
    "mn zoontje krijgt woedeaanvallen als hij zn zin niet krijgt",
    "hoe ga ik om met de driftbuien van mijn dochter (3)?",
    "koppigheidsfase peuter wat helpt",
    "elke keer als iets niet mag begint ze te krijsen en te schoppen",
    "my 2 year old screams and throws herself on the floor",
)


def entry_text(
    entry_id: str = "driftbuien-test",
    topic: str = "driftbuien",
    phrasings: tuple[str, ...] = PHRASINGS,
    answer_nl: str = ANSWER_NL,
    answer_en: str = ANSWER_EN,
    last_reviewed: str | None = None,
    leave_out: str | None = None,
    reviewed_on: str = "2026-01-15",
) -> str:
    """An entry file in the format of EDITING.md; `leave_out` drops one front-matter field.

    Unless `last_reviewed` is given, the entry carries a review of exactly its own text.
    """
    if last_reviewed is None:
        text = fingerprint(QUESTION, QUESTION_EN, answer_nl, answer_en)
        last_reviewed = f'{{ on = {reviewed_on}, by = "Test Reviewer", text = "{text}" }}'
    fields = {
        "id": f'"{entry_id}"',
        "topic": f'"{topic}"',
        "ages": '["peuter"]',
        "level": "2",
        "last_reviewed": last_reviewed,
        "question": f'"{QUESTION}"',
        "question_en": f'"{QUESTION_EN}"',
        "phrasings": "[\n" + "".join(f'  "{p}",\n' for p in phrasings) + "]",
    }
    front = "\n".join(f"{k} = {v}" for k, v in fields.items() if k != leave_out)
    return f"+++\n{front}\n+++\n\n## Nederlands\n\n{answer_nl}\n\n## English\n\n{answer_en}\n"


@pytest.fixture
def write_entry(tmp_path: Path) -> Callable[..., Path]:
    """Write an entry file under tmp_path/entries/<folder>/<name>.md and return its path."""

    def write(name: str, text: str, folder: str = "driftbuien") -> Path:
        path = tmp_path / "entries" / folder / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def topics_file(tmp_path: Path) -> Path:
    target = tmp_path / "topics.toml"
    shutil.copy(DEFAULT_TOPICS_FILE, target)
    return target


@pytest.fixture(scope="session")
def real_kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="session")
def real_matcher(real_kb: KnowledgeBase) -> Matcher:
    return Matcher(real_kb)
