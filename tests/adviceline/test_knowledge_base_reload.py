"""Reloading the knowledge base: the new matcher is built off the event loop and swapped in
whole, and the adviser desk closes questions with the new topics at once."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from adviceline.config import Config
from adviceline.faq import Faq
from tests.adviceline.conftest import Core, adviser_named, queue_question

QUESTION = "Mijn buurman schreeuwt elke avond tegen zijn hond, wat moet ik daarmee?"
REPO_KB = Path(__file__).resolve().parents[2] / "knowledge_base"


@pytest.fixture(scope="module")
def faq(base_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Faq:
    """Overrides the conftest's `faq`: a knowledge base in a copy the tests may change."""
    copy = tmp_path_factory.mktemp("kb")
    shutil.copytree(REPO_KB / "entries", copy / "entries")
    shutil.copy(REPO_KB / "topics.toml", copy / "topics.toml")
    return Faq(replace(base_config, entries_dir=copy / "entries",
                       topics_file=copy / "topics.toml"))


def add_topic(faq: Faq) -> str:
    topic = f"nieuw-{uuid.uuid4().hex[:8]}"
    with faq._config.topics_file.open("a", encoding="utf-8") as topics:
        topics.write(f'\n[[topic]]\nid = "{topic}"\ntitle = "Een nieuw onderwerp"\n'
                     'about = "A topic added while the service runs."\nages = ["peuter"]\n'
                     'level = 2\nkind = "faq"\n')
    return topic


async def test_the_loop_keeps_serving_while_the_new_matcher_is_built(faq: Faq) -> None:
    old = faq.decide(QUESTION)
    reloading = asyncio.create_task(faq.reload_async())
    turns = 0
    while not reloading.done():
        # Were the build on the loop, this would get no turn until it ended.
        await asyncio.sleep(0.01)
        turns += 1
        assert faq.decide(QUESTION).outcome == old.outcome   # the old one answers meanwhile
    assert await reloading == len(faq.kb.entries)
    assert turns > 5, turns


async def test_the_desk_closes_with_a_topic_added_by_a_reload(core: Core) -> None:
    opened = await core.pipeline.open_conversation("web", "enschede", "nl")
    await queue_question(core, opened.conversation_id, QUESTION)
    anouk = await adviser_named(core, "adviseur.enschede")
    (waiting,) = await core.desk.queue(anouk)
    await core.desk.claim(anouk, waiting["id"])
    topic = add_topic(core.faq)
    assert topic not in (await core.desk.conversation(anouk, waiting["id"]))["topics"]
    await core.faq.reload_async()
    assert topic in (await core.desk.conversation(anouk, waiting["id"]))["topics"]
    await core.desk.close(anouk, waiting["id"], topic)
