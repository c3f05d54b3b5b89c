"""On call by e-mail, through a real SMTP relay (aiosmtpd): a crisis mails the on-call advisers
and the coordinators at once; an untaken question mails the first on-call adviser, then the
next on the rota, then the coordinator, each once; a relay that is down delays the mails, never
drops them; no mail carries what the parent wrote."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.domain import Inbound
from adviceline.faq import Faq
from adviceline.storage.models import QuestionEvent, StaffMail
from adviceline.web.keys import DISPATCHER, SESSIONS, TASKS
from routing.rota import ON_CALL, REGIONAL_POOL, Rota, shifts_from_mapping
from tests.bots.email.conftest import MailApp, Relay, email_config, start
from tests.conftest import eventually

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CRISIS_TEXT = "mijn man slaat mij en de kinderen, ik ben bang"
ORDINARY_TEXT = "welk speelgoed past bij een baby van zes maanden"
ADDRESSES = {"adviseur.hengelo": "bram@cjg-hengelo.example",
             "adviseur.regio": "carin@cjg-twente.example",
             "coordinator": "dirk@cjg-twente.example",
             "coordinator.hengelo": "esther@cjg-hengelo.example"}


@pytest.fixture
async def on_call_app(config: Config, clock: FrozenClock, faq: Faq,
                      relay: Relay) -> AsyncIterator[MailApp]:
    """Bram on call for Hengelo, Carin for the pool; staff with e-mail addresses; the
    dispatcher driven by the test (dispatch_seconds 0) on a moved clock."""
    rota = Rota((*shifts_from_mapping("adviseur.hengelo", "hengelo", ON_CALL, DAYS,
                                      ["00:00-23:59"]),
                 *shifts_from_mapping("adviseur.regio", REGIONAL_POOL, ON_CALL, DAYS,
                                      ["00:00-23:59"])), (), (), config.rota.time_zone)
    users = tuple(replace(user, email=ADDRESSES.get(user.username)) for user in config.users)
    configured = replace(email_config(config, relay=("127.0.0.1", relay.port)), rota=rota,
                         users=users, public_origin="https://advies.example",
                         routing=replace(config.routing, dispatch_seconds=0))
    async for running in start(configured, clock, faq):
        yield running


async def ask(app: MailApp, municipality: str, text: str) -> str:
    port = app.port
    conversation = await port.open_conversation("web", municipality, "nl")
    await port.receive(Inbound(conversation.conversation_id, text, None))
    await app.running.app[TASKS].drain()
    await port.ask_adviser(conversation.conversation_id)
    return conversation.conversation_id


def recipients(mails: list[EmailMessage]) -> list[str]:
    return sorted(str(mail["To"]) for mail in mails)


def body(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())   # type: ignore[attr-defined]


async def events(app: MailApp, kind: str) -> int:
    async with app.running.app[SESSIONS]() as session:
        return int(await session.scalar(select(func.count()).select_from(QuestionEvent)
                                         .where(QuestionEvent.kind == kind)) or 0)


async def test_a_crisis_mails_the_on_call_advisers_and_the_coordinators_at_once(
        on_call_app: MailApp, relay: Relay) -> None:
    await ask(on_call_app, "hengelo", CRISIS_TEXT)
    dispatcher = on_call_app.running.app[DISPATCHER]
    assert (await dispatcher.tick())["on_call"] == 1
    mails = await relay.wait_for(4)
    assert recipients(mails) == sorted(ADDRESSES.values())
    for mail in mails:
        text = body(mail)
        assert "slaat" not in text and "bang" not in text and "slaat" not in str(mail["Subject"])
        assert "Hengelo" in str(mail["Subject"]) and "CRISIS" in str(mail["Subject"])
        assert "Urgentie: CRISIS" in text and "Priority: CRISIS" in text
        assert mail["Auto-Submitted"] == "auto-generated"
    by_to = {str(mail["To"]): body(mail) for mail in mails}
    assert "https://advies.example/console" in by_to[ADDRESSES["adviseur.hengelo"]]
    assert "https://advies.example/coordinator" in by_to[ADDRESSES["coordinator.hengelo"]]
    assert "als coördinator" in by_to[ADDRESSES["coordinator"]]
    # Once: more rounds call nobody again.
    assert (await dispatcher.tick())["on_call"] == 0
    assert await events(on_call_app, "on_call_notified") == 2
    assert await events(on_call_app, "coordinator_notified") == 2


async def test_untaken_the_first_on_call_then_the_next_then_the_coordinators(
        on_call_app: MailApp, relay: Relay, clock: FrozenClock, config: Config) -> None:
    await ask(on_call_app, "hengelo", ORDINARY_TEXT)
    dispatcher = on_call_app.running.app[DISPATCHER]
    routing = config.routing
    assert (await dispatcher.tick())["on_call"] == 0
    clock.advance(minutes=routing.on_call_after_minutes)
    assert (await dispatcher.tick())["on_call"] == 1
    [first] = await relay.wait_for(1)
    assert first["To"] == ADDRESSES["adviseur.hengelo"]
    assert "niemand die dienst heeft" in body(first)
    assert "speelgoed" not in body(first)
    assert (await dispatcher.tick())["on_call"] == 0   # not again before the next step
    clock.advance(minutes=routing.on_call_escalate_minutes)
    assert (await dispatcher.tick())["on_call"] == 1
    second = (await relay.wait_for(2))[1]
    assert second["To"] == ADDRESSES["adviseur.regio"]   # the next on call: the pool's
    clock.advance(minutes=routing.on_call_escalate_minutes)
    assert (await dispatcher.tick())["on_call"] == 1
    coordinators = (await relay.wait_for(4))[2:]
    assert recipients(coordinators) == sorted([ADDRESSES["coordinator"],
                                               ADDRESSES["coordinator.hengelo"]])
    clock.advance(hours=3)
    assert (await dispatcher.tick())["on_call"] == 0
    assert len(relay.mails) == 4
    assert await events(on_call_app, "on_call_notified") == 2
    assert await events(on_call_app, "coordinator_notified") == 2


async def test_a_relay_that_is_down_delays_the_mail_and_never_drops_it(
        on_call_app: MailApp, relay: Relay, clock: FrozenClock) -> None:
    await relay.stop()
    await ask(on_call_app, "hengelo", CRISIS_TEXT)
    assert (await on_call_app.running.app[DISPATCHER].tick())["on_call"] == 1
    sessions = on_call_app.running.app[SESSIONS]

    async def attempted() -> int | None:
        async with sessions() as session:
            return await session.scalar(select(func.max(StaffMail.attempts))
                                        .having(func.max(StaffMail.attempts) > 0))

    # The staff mail worker tried (the relay refused the connection) and keeps the mails.
    await eventually(attempted)
    async with sessions() as session:
        statuses = set(await session.scalars(select(StaffMail.status)))
        errors = set(await session.scalars(select(StaffMail.last_error)
                                           .where(StaffMail.last_error.is_not(None))))
    assert statuses == {"pending"}
    assert any("unreachable" in error for error in errors)
    assert relay.mails == []
    await relay.start()
    clock.advance(minutes=10)   # past the backoff
    mails = await relay.wait_for(4)
    assert recipients(mails) == sorted(ADDRESSES.values())

    async def all_delivered() -> bool | None:
        async with sessions() as session:
            return set(await session.scalars(select(StaffMail.status))) == {"delivered"} or None

    assert await eventually(all_delivered)
