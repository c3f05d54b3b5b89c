"""The service's view of the knowledge base: decide, render answers for a municipality, reload."""

from __future__ import annotations

import logging
import threading

from adviceline.config import Config
from knowledge_base import (
    Decision,
    KnowledgeBase,
    Matcher,
    load_knowledge_base,
    render_answer,
)

log = logging.getLogger(__name__)


class Faq:
    """Holds the current matcher; `reload` swaps in a new one only when the new files load."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._matcher = self._build()

    def _build(self) -> Matcher:
        kb = load_knowledge_base(self._config.entries_dir, self._config.topics_file)
        return Matcher(kb, self._config.matcher)

    @property
    def kb(self) -> KnowledgeBase:
        return self._matcher.kb

    def reload(self) -> int:
        """Re-read the entry files; raises KnowledgeBaseError (keeping the old ones) if broken."""
        matcher = self._build()
        with self._lock:
            self._matcher = matcher
        log.info("knowledge base reloaded", extra={"entries": len(matcher.kb.entries)})
        return len(matcher.kb.entries)

    def decide(self, text: str) -> Decision:
        return self._matcher.decide(text)

    def answer(self, entry_id: str, language: str, municipality: str | None) -> str:
        entry = self.kb.entry(entry_id)
        return render_answer(entry, language, self.offer(municipality, language))

    def question_title(self, entry_id: str, language: str) -> str:
        entry = self.kb.entry(entry_id)
        return entry.question_en if language == "en" else entry.question

    def offer(self, municipality: str | None, language: str) -> dict[str, str]:
        offer = self._config.offer_for(municipality, language)
        offer["openingstijden"] = opening_hours(self._config, municipality, language)
        return offer


def opening_hours(config: Config, municipality: str | None, language: str) -> str:
    pool = config.desks.regional_pool
    own = config.municipalities.get(municipality) if municipality else None
    if language == "en":
        pool_text = f"our regional team answers {pool.describe_en()}"
        return f"{own.desk_hours.describe_en()}; outside those hours {pool_text}" if own \
            else pool_text
    pool_text = f"ons regionale team beantwoordt vragen {pool.describe_nl()}"
    return f"{own.desk_hours.describe_nl()}; daarbuiten {pool_text}" if own else pool_text
