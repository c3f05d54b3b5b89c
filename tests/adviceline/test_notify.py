"""The in-process notifier and what it hands the cross-process relay."""

from __future__ import annotations

import json

import pytest

from adviceline.notify import QUEUE, Notifier, conversation_topic
from adviceline.pg_wakeups import MAX_PAYLOAD, asyncpg_dsn, payloads


async def test_a_publish_wakes_its_topic_and_goes_to_the_relay() -> None:
    notifier = Notifier()
    relayed: list[tuple[str, ...]] = []
    notifier.relay = relayed.append
    mine, other = notifier.listen(conversation_topic("a")), notifier.listen(conversation_topic("b"))
    notifier.publish(conversation_topic("a"), QUEUE)
    assert mine.done() and not other.done()
    assert relayed == [(conversation_topic("a"), QUEUE)]


async def test_a_wakeup_from_another_process_is_not_relayed_back() -> None:
    notifier = Notifier()
    relayed: list[tuple[str, ...]] = []
    notifier.relay = relayed.append
    waiting = notifier.listen(QUEUE)
    notifier.publish_here(QUEUE)
    assert waiting.done() and relayed == []


async def test_wake_all_wakes_every_listener() -> None:
    notifier = Notifier()
    futures = [notifier.listen(conversation_topic(str(n))) for n in range(3)]
    notifier.wake_all()
    assert all(future.done() for future in futures)


def test_payloads_stay_below_the_notify_limit_and_keep_every_topic() -> None:
    topics = [conversation_topic(f"{n:036d}") for n in range(500)]
    sent = payloads("me", topics)
    assert len(sent) > 1 and all(len(p) < MAX_PAYLOAD + 100 < 8000 for p in sent)
    assert [t for p in sent for t in json.loads(p)["topics"]] == topics
    assert {json.loads(p)["from"] for p in sent} == {"me"}


@pytest.mark.parametrize(("url", "dsn"), [
    ("postgresql+asyncpg://postgres@127.0.0.1:5432/test", "postgresql://postgres@127.0.0.1:5432/test"),
    ("postgresql+asyncpg://u:p%40ss@db/x", "postgresql://u:p%40ss@db/x"),
])
def test_the_relay_connects_with_the_same_database_url(url: str, dsn: str) -> None:
    assert asyncpg_dsn(url) == dsn
