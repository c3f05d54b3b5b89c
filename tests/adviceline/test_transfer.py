"""Transfer with a note: an adviser hands a question they hold to a colleague, another
municipality's desk or the regional pool; the receiver reads the note, the parent never does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adviceline.clock import FrozenClock
from adviceline.domain import Conflict, Invalid, NotFound
from adviceline.storage.models import AuditRecord, QuestionEvent, TransferNote
from tests.adviceline.conftest import Core, adviser_named, queue_question

NOTE = "Moeder vroeg om een vrouwelijke adviseur; het gaat om slapen, dochter 4 jaar."
TEXT = "welk speelgoed past bij een baby van zes maanden"


async def claimed_question(core: Core, municipality: str, username: str) -> tuple[str, str]:
    conversation = await core.pipeline.open_conversation("web", municipality, "nl")
    await queue_question(core, conversation.conversation_id, TEXT)
    holder = await adviser_named(core, username)
    [question] = [q for q in await core.desk.queue(holder)
                  if q["municipality"] == municipality]
    await core.desk.claim(holder, question["id"])
    return conversation.conversation_id, question["id"]


async def test_a_colleague_receives_the_question_and_the_note_the_parent_never_sees(
        core: Core, clock: FrozenClock) -> None:
    anouk = await adviser_named(core, "adviseur.enschede")
    carin = await adviser_named(core, "adviseur.regio")
    conversation, question_id = await claimed_question(core, "enschede", "adviseur.enschede")
    clock.advance(minutes=2)
    status = await core.desk.transfer(anouk, question_id, to_adviser="adviseur.regio",
                                      to_desk=None, note=NOTE)
    assert status == "claimed"
    view = await core.desk.conversation(carin, question_id)
    assert view["question"]["claimed_by"] == carin.id
    assert [(n["from"], n["to"], n["note"]) for n in view["notes"]] == \
        [("Anouk (Enschede)", "Carin (regionale pool)", NOTE)]
    # The parent is told who reads their question now, never the note.
    parent_sees = [m.text for m in await core.pipeline.messages_after(conversation, 0)]
    assert not any(NOTE[:20] in text for text in parent_sees)
    assert parent_sees[-1] == "Carin (regionale pool) leest nu je vraag."
    # The receiver holds it now; the sender no longer does.
    with pytest.raises(Conflict):
        await core.desk.reply(anouk, question_id, "nog even dit")
    await core.desk.reply(carin, question_id, "Ik help je verder.")
    async with core.sessions() as session:
        [audit] = (await session.scalars(select(AuditRecord).where(
            AuditRecord.action == "transfer"))).all()
        event = await session.scalar(select(QuestionEvent).where(
            QuestionEvent.kind == "transferred"))
    assert (audit.user_id, audit.question_id, audit.detail) == \
        (anouk.id, question_id, {"to_adviser": "adviseur.regio"})
    assert event is not None and (event.adviser_id, event.municipality) == (anouk.id, "enschede")


async def test_to_another_desk_or_the_pool_it_waits_there_at_its_old_place(
        core: Core, clock: FrozenClock) -> None:
    anouk = await adviser_named(core, "adviseur.enschede")
    bram = await adviser_named(core, "adviseur.hengelo")
    _, question_id = await claimed_question(core, "enschede", "adviseur.enschede")
    assert all(q["id"] != question_id for q in await core.desk.queue(bram))
    clock.advance(minutes=5)
    assert await core.desk.transfer(anouk, question_id, to_adviser=None, to_desk="hengelo",
                                    note=NOTE) == "waiting"
    [moved] = [q for q in await core.desk.queue(bram) if q["id"] == question_id]
    assert (moved["municipality"], moved["status"], moved["waiting_minutes"]) == \
        ("hengelo", "waiting", 5)
    assert (await core.desk.conversation(bram, question_id))["notes"][0]["to"] == "Hengelo"
    await core.desk.claim(bram, question_id)
    await core.desk.transfer(bram, question_id, to_adviser=None, to_desk="regional_pool",
                             note="Graag iemand die Engels spreekt.")
    carin = await adviser_named(core, "adviseur.regio")
    [pooled] = [q for q in await core.desk.queue(carin) if q["id"] == question_id]
    assert pooled["routed_to_pool"]
    assert [n["to"] for n in (await core.desk.conversation(carin, question_id))["notes"]] == \
        ["Hengelo", "Regionale pool"]


async def test_only_the_holder_transfers_and_bad_transfers_are_refused(core: Core) -> None:
    anouk = await adviser_named(core, "adviseur.enschede")
    bram = await adviser_named(core, "adviseur.hengelo")
    carin = await adviser_named(core, "adviseur.regio")
    _, question_id = await claimed_question(core, "enschede", "adviseur.enschede")
    with pytest.raises(NotFound):   # not his municipality, not his question
        await core.desk.transfer(bram, question_id, to_adviser="adviseur.hengelo",
                                 to_desk=None, note=NOTE)
    with pytest.raises(NotFound):   # claimed by Enschede: not in the pool's queue
        await core.desk.transfer(carin, question_id, to_adviser="adviseur.regio",
                                 to_desk=None, note=NOTE)
    for to_adviser, to_desk, note in (
            ("adviseur.regio", None, "   "),                 # no note
            (None, None, NOTE),                              # nowhere
            ("adviseur.regio", "hengelo", NOTE),             # two places
            ("coordinator", None, NOTE),                     # not an adviser
            ("adviseur.enschede", None, NOTE),               # herself
            ("niemand", None, NOTE),
            (None, "amsterdam", NOTE),                       # not a desk of the region
            ("adviseur.regio", None, "x" * 2001)):
        with pytest.raises(Invalid):
            await core.desk.transfer(anouk, question_id, to_adviser=to_adviser,
                                     to_desk=to_desk, note=note)
    await core.desk.set_presence(carin, "away")
    with pytest.raises(Conflict):
        await core.desk.transfer(anouk, question_id, to_adviser="adviseur.regio",
                                 to_desk=None, note=NOTE)
    async with core.sessions() as session:
        assert (await session.scalars(select(TransferNote))).all() == []
    assert (await core.desk.conversation(anouk, question_id))["question"]["claimed_by"] == \
        anouk.id
    await core.desk.transfer(anouk, question_id, to_adviser=None, to_desk="hengelo", note=NOTE)
    with pytest.raises(Conflict):   # she may still read it, but no longer holds it
        await core.desk.transfer(anouk, question_id, to_adviser=None, to_desk="borne",
                                 note=NOTE)


async def test_erasing_the_conversation_erases_its_transfer_notes(core: Core) -> None:
    anouk = await adviser_named(core, "adviseur.enschede")
    _, question_id = await claimed_question(core, "enschede", "adviseur.enschede")
    await core.desk.transfer(anouk, question_id, to_adviser=None, to_desk="regional_pool",
                             note=NOTE)
    await core.desk.erase(anouk, question_id)
    async with core.sessions() as session:
        assert (await session.scalars(select(TransferNote))).all() == []
        # The anonymous event stays for the statistics.
        assert await session.scalar(select(QuestionEvent.kind).where(
            QuestionEvent.kind == "transferred")) == "transferred"
