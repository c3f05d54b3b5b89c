"""The parent's chat page as a worried parent uses it, on a phone and a laptop, in Chromium.

Every click made while the connection is down arrives once it is back; every new message is in
view; the page says when it is offline; what no longer applies cannot be clicked.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adviceline.advisers import Adviser
from adviceline.clock import FrozenClock
from adviceline.config import Config
from adviceline.faq import Faq
from adviceline.storage import repository as repo
from adviceline.web.app import create_app
from adviceline.web.keys import DESK, FAQ, SESSIONS
from tests.conftest import RunningApp, answerable

pytestmark = pytest.mark.browser
WAIT = 15_000
OUT_OF_SCOPE = "Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?"
VAGUE = ("ruzie", "mijn kind is boos", "hoe praat ik met mijn kind", "mijn kind wil niet")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


class Outage:
    """Stops the running app's server and starts a fresh app on the same port and database."""

    def __init__(self, running: RunningApp, config: Config, clock: FrozenClock,
                 faq: Faq) -> None:
        self.running, self.config, self.clock, self.faq = running, config, clock, faq
        self.restarted: TestServer | None = None
        self.port: int | None = None

    async def begin(self) -> None:
        self.port = self.running.server.port   # close() forgets it
        await self.running.server.close()

    async def end(self) -> None:
        self.restarted = TestServer(create_app(self.config, clock=self.clock, faq=self.faq),
                                    host="127.0.0.1", port=self.port)
        await self.restarted.start_server()


@pytest.fixture
async def outage(running: RunningApp, config: Config,
                 clock: FrozenClock, faq: Faq) -> AsyncIterator[Outage]:
    made = Outage(running, config, clock, faq)
    yield made
    if made.restarted is not None:
        await made.restarted.close()


async def open_chat(browser: Any, running: RunningApp, screen: dict[str, Any],
                    municipality: str = "enschede") -> Any:
    context = await browser.new_context(**screen)
    page = await context.new_page()
    await page.goto(running.url("/"))
    await page.select_option("#municipality", municipality)
    await page.click("#start-form button[type=submit]")
    await page.locator("#send-form").wait_for()
    return page


async def ask(page: Any, text: str) -> None:
    await page.fill("#text", text)
    await page.click("#send-form button[type=submit]")


async def fully_visible(page: Any, selector: str) -> dict[str, Any]:
    """Where the element is against the free space above the sticky composer."""
    result: dict[str, Any] = await page.eval_on_selector(selector, """(el) => {
        const box = el.getBoundingClientRect();
        const free = document.getElementById('send-form').getBoundingClientRect().top;
        const tall = box.height > free;
        return {top: box.top, bottom: box.bottom, free, tall,
                ok: tall ? box.top >= -1 && box.top <= 24
                         : box.top >= -1 && box.bottom <= free + 1};
    }""")
    return result


async def assert_last_message_in_view(page: Any, kind: str) -> None:
    selector = f"#messages > li.{kind}:last-child"
    await page.locator(selector).wait_for(timeout=WAIT)
    # Give the page a frame to lay the message out and scroll.
    await page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")
    where = await fully_visible(page, selector)
    assert where["ok"], f"the new {kind} message is not in view: {where}"


async def adviser_named(running: RunningApp, username: str) -> Adviser:
    async with running.app[SESSIONS]() as session:
        user = await repo.user_by_username(session, username)
    assert user is not None
    return Adviser.from_user(user)


def vague_question(running: RunningApp) -> str:
    faq = running.app[FAQ]
    question = next((q for q in VAGUE if faq.decide(q).outcome == "suggest"), None)
    assert question is not None, "none of the vague questions gets suggestions any more"
    return question


async def test_a_feedback_click_while_offline_arrives_once_after_reconnecting(
        running: RunningApp, browser: Any, screen: dict[str, Any], outage: Outage) -> None:
    entry = answerable(running.app[FAQ], "driftbuien")[0]
    page = await open_chat(browser, running, screen)
    await ask(page, entry.question)
    await page.locator("li.faq_answer .feedback button").first.wait_for(timeout=WAIT)

    await outage.begin()
    await page.locator("#status", has_text="Geen verbinding").wait_for(timeout=WAIT)
    await page.get_by_role("button", name="Nee, ik wil een adviseur").click()
    feedback = page.locator("li.faq_answer .feedback")
    assert "wordt verstuurd" in await feedback.inner_text()
    assert "Je vraag gaat naar een adviseur" not in await feedback.inner_text()
    assert await page.get_by_role("button", name="Ja", exact=True).is_disabled()

    await outage.end()
    await page.locator("li.queued").wait_for(timeout=WAIT)
    await page.locator(".feedback", has_text="Je vraag gaat naar een adviseur").wait_for()
    assert await page.locator("li.queued").count() == 1
    assert await page.evaluate("JSON.parse(localStorage.getItem('adviceline.outbox'))") == []

    await page.reload()
    await page.locator("li.queued").wait_for(timeout=WAIT)
    assert await page.locator("li.queued").count() == 1
    assert "Je vraag gaat naar een adviseur" in await feedback.inner_text()
    await page.context.close()


async def test_a_suggestion_picked_while_offline_arrives_once_and_the_rest_is_disabled(
        running: RunningApp, browser: Any, screen: dict[str, Any], outage: Outage) -> None:
    page = await open_chat(browser, running, screen)
    await ask(page, vague_question(running))
    choices = page.locator("li.suggestions button.choice")
    await choices.first.wait_for(timeout=WAIT)
    count = await choices.count()
    title = await choices.first.inner_text()

    await outage.begin()
    await page.locator("#status", has_text="Geen verbinding").wait_for(timeout=WAIT)
    await choices.first.click()
    assert "wordt verstuurd" in await page.locator("li.suggestions").inner_text()
    assert await page.locator("li.faq_answer").count() == 0

    await outage.end()
    await page.locator("li.faq_answer").wait_for(timeout=WAIT)
    await page.locator("li.suggestions .done", has_text=title).wait_for()
    assert await page.locator("li.faq_answer").count() == 1
    for index in range(count):
        assert await choices.nth(index).is_disabled(), "a suggestion that no longer applies"

    await page.reload()
    await page.locator("li.faq_answer").wait_for(timeout=WAIT)
    assert await page.locator("li.faq_answer").count() == 1
    assert await page.get_by_role("button", name="Stel mijn vraag aan een adviseur").is_disabled()
    await page.context.close()


async def test_a_stale_suggestion_says_why_next_to_it_in_the_page_language(
        running: RunningApp, browser: Any, screen: dict[str, Any]) -> None:
    page = await open_chat(browser, running, screen)
    await ask(page, vague_question(running))
    await page.locator("li.suggestions button.choice").first.wait_for(timeout=WAIT)
    # The same conversation in a second tab, which still offers the suggestions.
    other = await page.context.new_page()
    await other.goto(running.url("/"))
    await other.locator("li.suggestions button.choice").first.wait_for(timeout=WAIT)

    await page.locator("li.suggestions button.choice").first.click()
    await page.locator("li.faq_answer").wait_for(timeout=WAIT)
    await other.locator("li.suggestions button.choice").nth(1).click()
    error = other.locator("li.suggestions .error")
    await error.wait_for(timeout=WAIT)
    assert "Dit kan niet meer" in await error.inner_text()
    assert await other.locator("#status.offline").count() == 0
    assert await other.locator("li.suggestions button.choice").nth(1).is_disabled()
    await page.context.close()


async def test_going_offline_is_noticed_and_a_message_typed_then_arrives(
        running: RunningApp, browser: Any, screen: dict[str, Any]) -> None:
    page = await open_chat(browser, running, screen)
    await page.context.set_offline(True)
    status = page.locator("#status", has_text="Geen verbinding")
    await status.wait_for(timeout=WAIT)
    assert await status.is_visible()
    await ask(page, OUT_OF_SCOPE)
    assert await page.locator("li.pending").count() == 1

    await page.context.set_offline(False)
    await page.locator("li.queued").wait_for(timeout=WAIT)
    assert await page.locator("li.pending").count() == 0
    assert await page.locator("li.parent").count() == 1
    assert not await status.is_visible()
    await page.context.close()


async def test_every_kind_of_reply_is_scrolled_fully_into_view(
        running: RunningApp, browser: Any, screen: dict[str, Any]) -> None:
    faq = running.app[FAQ]
    page = await open_chat(browser, running, screen)
    for entry in answerable(faq)[:3]:   # some history, so the page has to scroll
        await ask(page, entry.question)
        await assert_last_message_in_view(page, "faq_answer")
    await ask(page, vague_question(running))
    await assert_last_message_in_view(page, "suggestions")
    await page.get_by_role("button", name="Stel mijn vraag aan een adviseur").click()
    await assert_last_message_in_view(page, "queued")

    desk = running.app[DESK]
    adviser = await adviser_named(running, "adviseur.enschede")
    [question] = [q for q in await desk.queue(adviser) if q["status"] == "waiting"]
    await desk.claim(adviser, question["id"])
    await assert_last_message_in_view(page, "claimed")
    await desk.reply(adviser, question["id"], "Wat fijn dat je het vraagt. " * 8)
    await assert_last_message_in_view(page, "adviser")
    await desk.close(adviser, question["id"], "hulp-zoeken")
    await assert_last_message_in_view(page, "closed")
    await page.context.close()


async def test_a_parent_reading_back_is_not_pulled_down_but_sees_a_new_message_button(
        running: RunningApp, browser: Any, screen: dict[str, Any]) -> None:
    page = await open_chat(browser, running, screen)
    for entry in answerable(running.app[FAQ])[:3]:
        await ask(page, entry.question)
        await page.locator("li.faq_answer").nth(-1).wait_for(timeout=WAIT)
    await ask(page, OUT_OF_SCOPE)
    await page.locator("li.queued").wait_for(timeout=WAIT)
    await page.evaluate("window.scrollTo(0, 0)")

    desk = running.app[DESK]
    adviser = await adviser_named(running, "adviseur.enschede")
    [question] = [q for q in await desk.queue(adviser) if q["status"] == "waiting"]
    await desk.claim(adviser, question["id"])
    await desk.reply(adviser, question["id"], "Hier is je antwoord.")
    await page.locator("li.adviser").wait_for(timeout=WAIT)
    pill = page.locator("#new-pill")
    await pill.wait_for(state="visible", timeout=WAIT)
    assert await page.evaluate("window.scrollY") == 0
    await pill.click()
    await assert_last_message_in_view(page, "adviser")
    assert not await pill.is_visible()
    await page.context.close()


SUICIDE = "mijn dochter van 15 zegt dat ze niet meer wil leven en ze heeft pillen verzameld"
VIOLENCE = "mijn man slaat mij en de kinderen, ik ben bang"
LOST = "mijn peuter is kwijt, ik kan hem nergens vinden"


@pytest.mark.parametrize(("text", "first"), [(SUICIDE, "tel:113"), (VIOLENCE, "tel:08002000"),
                                             (LOST, "tel:112")])
async def test_a_crisis_reply_offers_tap_to_call_numbers_with_the_fitting_line_first(
        running: RunningApp, browser: Any, screen: dict[str, Any], clock: FrozenClock,
        text: str, first: str) -> None:
    clock.set(clock.now().replace(hour=1))   # at night: no desk is staffed
    page = await open_chat(browser, running, screen)
    await ask(page, text)
    reply = page.locator("li.crisis, li.concern").first
    await reply.wait_for(timeout=WAIT)
    hrefs = await reply.locator("a").evaluate_all("(links) => links.map((a) => a.href)")
    for number in ("tel:112", "tel:08002000", "tel:113", "tel:08000113", "tel:08000432"):
        assert number in hrefs, number
    assert "https://www.113.nl/" in hrefs
    first_line = reply.locator("ul > li").first
    assert await first_line.locator("a.call").first.get_attribute("href") == first
    await assert_last_message_in_view(page, "queued")
    follow_up = await page.locator("li.queued").inner_text()
    assert "niemand aan het werk" not in follow_up
    assert "dag en nacht" in follow_up
    # Tap targets a thumb can hit.
    box = await first_line.locator("a.call").first.bounding_box()
    assert box is not None and box["height"] >= 30
    await page.context.close()


async def test_switching_to_english_mid_conversation_switches_every_reply_and_label(
        running: RunningApp, browser: Any, screen: dict[str, Any]) -> None:
    entries = answerable(running.app[FAQ], "driftbuien")
    page = await open_chat(browser, running, screen)
    await ask(page, entries[0].question)
    await page.locator("li.faq_answer").wait_for(timeout=WAIT)
    assert "Heeft dit je geholpen?" in await page.locator("li.faq_answer .feedback").inner_text()

    await page.click("#language")
    feedback = page.locator("li.faq_answer .feedback")
    await feedback.get_by_text("Did this help?").wait_for()
    assert await feedback.get_by_role("button", name="No, I want an adviser").count() == 1
    assert await page.locator("#send-form button[type=submit]").inner_text() == "Send"

    await ask(page, entries[1].question)   # still typed in Dutch
    answer = page.locator("li.faq_answer").nth(1)
    await answer.wait_for(timeout=WAIT)
    first_line = next(line for line in entries[1].answer_en.splitlines() if line.strip())
    assert first_line.replace("*", "").strip()[:30] in await answer.inner_text()
    await answer.get_by_role("button", name="No, I want an adviser").click()
    queued = page.locator("li.queued")
    await queued.wait_for(timeout=WAIT)
    assert (await queued.inner_text()).startswith("Thank you")
    await answer.locator(".feedback", has_text="Your question goes to an adviser").wait_for()

    await page.reload()   # the choice holds after a reload
    await page.locator("li.queued").wait_for(timeout=WAIT)
    assert await page.locator("#language").inner_text() == "Nederlands"
    assert "Your question goes to an adviser" in await page.locator(
        "li.faq_answer .feedback").nth(1).inner_text()
    await page.context.close()


async def test_the_landing_page_says_region_hours_what_happens_and_anonymity(
        running: RunningApp, browser: Any, screen: dict[str, Any]) -> None:
    context = await browser.new_context(**screen)
    page = await context.new_page()
    await page.goto(running.url("/"))
    start = page.locator("#start")
    await start.get_by_text("Twente").first.wait_for(timeout=WAIT)
    text = await start.inner_text()
    assert "Voor ouders en opvoeders in Twente" in text
    assert "meteen een antwoord uit onze kennisbank" in text
    assert "binnen 60 minuten" in text
    assert "Anoniem" in text
    assert "Ons regionale team: ma-" in text
    await page.select_option("#municipality", "hengelo")
    await page.locator("#hours", has_text="Adviseurs van Hengelo: ma-").wait_for()

    await page.click("#start-form button[type=submit]")
    welcome = page.locator("#messages > li.welcome")
    await welcome.wait_for(timeout=WAIT)
    assert "advieslijn van Hengelo" in await welcome.inner_text()
    await context.close()


async def test_a_postcode_outside_the_region_says_where_to_go_instead(
        running: RunningApp, browser: Any, screen: dict[str, Any]) -> None:
    context = await browser.new_context(**screen)
    page = await context.new_page()
    await page.goto(running.url("/"))
    await page.fill("#postcode", "1011")
    await page.click("#start-form button[type=submit]")
    error = page.locator("#start-error")
    await error.get_by_text("Amsterdam").first.wait_for(timeout=WAIT)
    message = await error.inner_text()
    assert "hoort bij Amsterdam, niet bij Twente" in message
    assert "CJG of het jeugdteam van de gemeente Amsterdam" in message
    assert " / " not in message   # the Dutch half only
    assert await error.locator("a[href='tel:112']").count() == 1
    assert await page.evaluate("localStorage.getItem('adviceline.token')") is None
    await context.close()


async def test_a_resume_code_opens_the_conversation_in_a_fresh_browser(
        running: RunningApp, browser: Any, screen: dict[str, Any]) -> None:
    entry = answerable(running.app[FAQ], "driftbuien")[0]
    page = await open_chat(browser, running, screen)
    await ask(page, entry.question)
    await page.locator("li.faq_answer").wait_for(timeout=WAIT)
    await page.get_by_role("button", name="Verder op een ander apparaat").click()
    shown = page.locator("#resume-code-shown")
    await shown.wait_for(timeout=WAIT)
    code = await shown.inner_text()
    assert len(code) == 14 and code.count("-") == 2
    assert code not in page.url

    # Another device: a new browser context shares nothing with the first.
    other = await (await browser.new_context(**screen)).new_page()
    await other.goto(running.url("/"))
    await other.fill("#resume-code", code.lower().replace("-", " "))   # as typed on a phone
    await other.get_by_role("button", name="Verder met mijn gesprek").click()
    await other.locator("li.faq_answer").wait_for(timeout=WAIT)
    assert await other.locator("li.parent").first.inner_text() == entry.question
    assert code not in other.url and "token" not in other.url

    await ask(other, OUT_OF_SCOPE)   # both devices see what either writes
    await page.locator("li.queued").wait_for(timeout=WAIT)
    assert await page.locator("li.parent").count() == 2

    stranger = await (await browser.new_context(**screen)).new_page()
    await stranger.goto(running.url("/"))
    await stranger.fill("#resume-code", "ABCD-EFGH-JKMN")
    await stranger.get_by_role("button", name="Verder met mijn gesprek").click()
    error = stranger.locator("#resume-form-error")
    await error.get_by_text("Deze code kennen we niet").wait_for(timeout=WAIT)
    assert await stranger.locator("li.parent").count() == 0
    for context in (page.context, other.context, stranger.context):
        await context.close()


async def hide(page: Any, hidden: bool) -> None:
    """Headless Chromium keeps every page visible; flip what the page reads, as a tab switch does.

    What follows is real: the page's own handlers, its service worker and Chromium's notifications.
    """
    await page.evaluate("""(hidden) => {
        Object.defineProperty(document, 'visibilityState', {
            configurable: true, get: () => hidden ? 'hidden' : 'visible'});
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => hidden});
        document.hasFocus = () => !hidden;
        document.dispatchEvent(new Event('visibilitychange'));
    }""", hidden)


async def until(page: Any, expression: str) -> None:
    """Poll a JavaScript function in the page until it returns true (the page's CSP forbids
    Playwright's wait_for_function)."""
    deadline = asyncio.get_running_loop().time() + WAIT / 1000
    while not await page.evaluate(expression):
        assert asyncio.get_running_loop().time() < deadline, f"never true: {expression}"
        await page.wait_for_timeout(50)


async def test_an_answer_while_the_page_is_hidden_shows_a_notification_title_and_badge(
        running: RunningApp, browser: Any, screen: dict[str, Any]) -> None:
    context = await browser.new_context(**screen)
    await context.grant_permissions(["notifications"], origin=running.url("/").rstrip("/"))
    page = await context.new_page()
    await page.goto(running.url("/"))
    await page.select_option("#municipality", "enschede")
    await page.click("#start-form button[type=submit]")
    await ask(page, OUT_OF_SCOPE)
    await page.locator("li.queued, li.suggestions").first.wait_for(timeout=WAIT)
    if await page.locator("li.suggestions").count():
        await page.get_by_role("button", name="Stel mijn vraag aan een adviseur").click()
        await page.locator("li.queued").wait_for(timeout=WAIT)
    await page.get_by_role("button", name="Laat het me weten als er een antwoord is").click()
    await page.locator("#notify-state", has_text="Je krijgt een melding").wait_for(timeout=WAIT)
    quiet_icon = await page.get_attribute("#favicon", "href")

    await hide(page, True)
    desk = running.app[DESK]
    adviser = await adviser_named(running, "adviseur.enschede")
    [question] = [q for q in await desk.queue(adviser) if q["status"] == "waiting"]
    await desk.claim(adviser, question["id"])
    await desk.reply(adviser, question["id"], "Hier is je antwoord, met een persoonlijk advies.")
    await until(page, "() => document.title.startsWith('(1) Nieuw antwoord')")
    notes = await page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        return (await registration.getNotifications()).map((n) => [n.title, n.body, n.tag]);
    }""")
    assert len(notes) == 1, notes
    title, body, tag = notes[0]
    assert "Er is een antwoord op je vraag" in body and tag == "adviceline-answer"
    assert "persoonlijk advies" not in title + body   # never the content
    badge_icon = await page.get_attribute("#favicon", "href")
    assert badge_icon and badge_icon.startswith("data:image/png") and badge_icon != quiet_icon

    await hide(page, False)
    await until(page, "() => !document.title.startsWith('(')")
    await until(page, """async () => {
        const registration = await navigator.serviceWorker.ready;
        return (await registration.getNotifications()).length === 0;
    }""")
    assert await page.get_attribute("#favicon", "href") == quiet_icon
    await context.close()


async def test_a_web_push_while_the_chat_is_closed_shows_a_notification_without_content(
        running: RunningApp, browser: Any, screen: dict[str, Any]) -> None:
    """Chromium delivers a push (through DevTools: there is no push service offline) to the
    chat's service worker after the parent left the page; the worker shows the notification."""
    context = await browser.new_context(**screen)
    origin = running.url("/").rstrip("/")
    await context.grant_permissions(["notifications"], origin=origin)
    page = await context.new_page()
    await page.goto(running.url("/"))
    await page.select_option("#municipality", "enschede")
    await page.click("#start-form button[type=submit]")
    await page.get_by_role("button", name="Laat het me weten als er een antwoord is").click()
    await page.locator("#notify-state", has_text="Je krijgt een melding").wait_for(timeout=WAIT)
    devtools = await context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    devtools.on("ServiceWorker.workerRegistrationUpdated",
                lambda event: registrations.extend(event["registrations"]))
    await devtools.send("ServiceWorker.enable")
    deadline = asyncio.get_running_loop().time() + WAIT / 1000
    while not registrations:
        assert asyncio.get_running_loop().time() < deadline, "no service worker registered"
        await asyncio.sleep(0.05)

    await page.goto("about:blank")   # the chat is closed
    await devtools.send("ServiceWorker.deliverPushMessage", {
        "origin": origin, "registrationId": registrations[0]["registrationId"],
        "data": json.dumps({"type": "answer", "language": "nl"})})
    await page.goto(running.url("/healthz"))   # any page of the site can read the notifications
    read = """async () => {
        const registration = await navigator.serviceWorker.getRegistration('/');
        return (await registration.getNotifications()).map((n) => [n.title, n.body]);
    }"""
    deadline = asyncio.get_running_loop().time() + WAIT / 1000
    while not (notes := await page.evaluate(read)):
        assert asyncio.get_running_loop().time() < deadline, "no notification"
        await asyncio.sleep(0.05)
    assert notes == [["CJG advieslijn", "Er is een antwoord op je vraag. Tik om het te lezen."]]
    await context.close()
