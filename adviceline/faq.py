"""The service's view of the knowledge base: decide, render answers for a municipality, reload."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Collection

from adviceline.config import Config
from knowledge_base import (
    Decision,
    KnowledgeBase,
    Matcher,
    load_knowledge_base,
    render_answer,
)
from knowledge_base.crisis import CrisisDetecting

log = logging.getLogger(__name__)


class Faq:
    """Holds the current matcher; `reload` swaps in a new one only when the new files load."""

    def __init__(self, config: Config, crisis: CrisisDetecting | None = None,
                 _matcher: Matcher | None = None) -> None:
        self._config = config
        self._crisis = crisis  # None: the shipped detector
        self._lock = threading.Lock()
        self._reloading = asyncio.Lock()
        self._matcher = _matcher if _matcher is not None else self._build()

    def for_config(self, config: Config) -> Faq:
        """This knowledge base's matcher with another configuration's offers and desk hours.

        Building the matcher (the index over every entry) costs seconds of CPU; an app given a
        prebuilt Faq shares it when the knowledge base files and matcher settings are the same,
        and builds its own otherwise. A later `reload` replaces the matcher of one Faq only.
        """
        same = (config.entries_dir, config.topics_file, config.matcher) == \
            (self._config.entries_dir, self._config.topics_file, self._config.matcher)
        return Faq(config, self._crisis, _matcher=self._matcher if same else None)

    def _build(self) -> Matcher:
        kb = load_knowledge_base(self._config.entries_dir, self._config.topics_file)
        return Matcher(kb, self._config.matcher, crisis=self._crisis)

    @property
    def kb(self) -> KnowledgeBase:
        return self._matcher.kb

    def reload(self) -> int:
        """Re-read the entry files; raises KnowledgeBaseError (keeping the old ones) if broken.
        Blocks for seconds: inside the service use `reload_async`."""
        return self._swap(self._build())

    async def reload_async(self) -> int:
        """`reload`, with the new matcher built in a worker thread so the event loop keeps
        serving parents meanwhile; the old matcher answers until the new one is swapped in
        whole. Reloads wait for each other."""
        async with self._reloading:
            return self._swap(await asyncio.to_thread(self._build))

    def _swap(self, matcher: Matcher) -> int:
        with self._lock:
            self._matcher = matcher
        log.info("knowledge base reloaded", extra={"entries": len(matcher.kb.entries)})
        return len(matcher.kb.entries)

    def topics(self) -> Collection[str]:
        """The topic ids of the knowledge base in use now (they change with a reload)."""
        return self._matcher.kb.topics.keys()

    def decide(self, text: str, context: str | None = None) -> Decision:
        """`context`: the parent's previous message, read with this one for crisis signs."""
        return self._matcher.decide(text, context)

    def answer(self, entry_id: str, language: str, municipality: str | None) -> str:
        entry = self.kb.entry(entry_id)
        return render_answer(entry, language, self.offer(municipality, language))

    def question_title(self, entry_id: str, language: str) -> str:
        entry = self.kb.entry(entry_id)
        return entry.question_en if language == "en" else entry.question

    def offer(self, municipality: str | None, language: str) -> dict[str, str]:
        offer = self._config.offer_for(municipality, language)
        offer["openingstijden"] = opening_hours(self._config, municipality, language)
        days = self._config.retention_days
        offer["bewaartermijn"] = f"{days} {'days' if language == 'en' else 'dagen'}" \
            if days != 1 else ("1 day" if language == "en" else "1 dag")
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
