"""What an adviser may read: their own municipalities, what they may act on now, and what they
handled themselves; anything else is "not found", exactly like a question that does not exist."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from adviceline.advisers import NO_SUCH_QUESTION, Adviser
from adviceline.clock import FrozenClock
from adviceline.domain import NotFound
from adviceline.storage.models import OutboxItem
from tests.adviceline.conftest import Core, queue_question
from tests.adviceline.conftest import adviser_named as adviser

QUESTION = "Mijn buurman schreeuwt elke avond tegen zijn hond, wat moet ik daarmee?"


async def refused(core: Core, who: Adviser, question_id: str) -> str:
    """The refusal every desk action gives; fails when any of them lets the adviser in."""
    messages = set()
    for action in (core.desk.conversation(who, question_id), core.desk.claim(who, question_id),
                   core.desk.erase(who, question_id),
                   core.desk.mark_crisis(who, question_id, 1, "not_crisis", None)):
        with pytest.raises(NotFound) as caught:
            await action
        messages.add(caught.value.message)
    (message,) = messages
    return message


async def test_outside_ones_scope_looks_exactly_like_nothing_there(core: Core) -> None:
    opened = await core.pipeline.open_conversation("web", "enschede", "nl")
    await queue_question(core, opened.conversation_id, QUESTION)
    anouk, bram = await adviser(core, "adviseur.enschede"), await adviser(core, "adviseur.hengelo")
    (waiting,) = await core.desk.queue(anouk)
    assert await refused(core, bram, waiting["id"]) == NO_SUCH_QUESTION
    assert await refused(core, bram, str(uuid.uuid4())) == NO_SUCH_QUESTION
    assert (await core.desk.conversation(anouk, waiting["id"]))["messages"]


async def test_a_pool_adviser_reads_what_they_may_take_now_or_handled_themselves(
        core: Core, clock: FrozenClock) -> None:
    tuesday_morning = clock.now()
    clock.set(tuesday_morning.replace(hour=19))   # Hengelo's desk is closed: the pool takes over
    opened = await core.pipeline.open_conversation("web", "hengelo", "nl")
    await queue_question(core, opened.conversation_id, QUESTION)
    anouk, bram = await adviser(core, "adviseur.enschede"), await adviser(core, "adviseur.hengelo")
    carin = await adviser(core, "adviseur.regio")
    (waiting,) = await core.desk.queue(carin)
    question = waiting["id"]
    assert (await core.desk.conversation(carin, question))["messages"]   # she may take it now

    await core.desk.claim(anouk, question)   # a colleague in the pool takes it
    assert await refused(core, carin, question) == NO_SUCH_QUESTION
    await core.desk.reply(anouk, question, "Goed dat je dit vraagt; bel ons gerust morgen.")
    await core.desk.close(anouk, question, next(iter(core.faq.kb.topics)))

    clock.set(tuesday_morning + timedelta(days=1))   # Hengelo's desk is open again
    assert await refused(core, carin, question) == NO_SUCH_QUESTION
    for reader in (anouk, bram):   # who handled it, and Hengelo's own adviser
        shown = await core.desk.conversation(reader, question)
        assert shown["question"]["status"] == "closed"
    # Reading is not acting: the one who closed it cannot claim it again.
    with pytest.raises(Exception, match="al opgepakt of afgesloten"):
        await core.desk.claim(anouk, question)


async def test_a_pool_adviser_does_not_read_another_desks_questions_while_it_is_open(
        core: Core) -> None:
    opened = await core.pipeline.open_conversation("web", "hengelo", "nl")
    await queue_question(core, opened.conversation_id, QUESTION)
    bram, carin = await adviser(core, "adviseur.hengelo"), await adviser(core, "adviseur.regio")
    (waiting,) = await core.desk.queue(bram)
    assert await core.desk.queue(carin) == []
    assert await refused(core, carin, waiting["id"]) == NO_SUCH_QUESTION


async def test_undelivered_replies_follow_the_same_rule(core: Core, clock: FrozenClock) -> None:
    clock.set(clock.now().replace(hour=19))   # Hengelo's desk is closed: the pool takes over
    opened = await core.pipeline.open_conversation("email", "hengelo", "nl",
                                                   channel_ref="ouder@example.org")
    await queue_question(core, opened.conversation_id, QUESTION)
    anouk, bram = await adviser(core, "adviseur.enschede"), await adviser(core, "adviseur.hengelo")
    carin = await adviser(core, "adviseur.regio")
    question = (await core.desk.queue(carin))[0]["id"]
    await core.desk.claim(anouk, question)
    seq = await core.desk.reply(anouk, question, "Goed dat je dit vraagt; bel ons gerust morgen.")
    async with core.sessions.begin() as session:   # the parent's mailbox refused it for good
        await session.execute(update(OutboxItem).where(OutboxItem.seq == seq)
                              .values(status="failed", last_error="bounced"))
    for reader in (anouk, bram):
        (item,) = await core.desk.undelivered(reader)
        assert item["question_id"] == question
    assert await core.desk.undelivered(carin) == []
    with pytest.raises(NotFound):
        await core.desk.retry_delivery(carin, item["id"])
    await core.desk.retry_delivery(anouk, item["id"])
