"""The parent's chat page in a real headless Chromium, driven by Playwright."""

from __future__ import annotations

import pytest

from adviceline.web.keys import FAQ
from tests.conftest import RunningApp, answerable

pytestmark = pytest.mark.browser


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_parent_asks_on_a_phone_and_sees_the_answer(running: RunningApp, browser) -> None:
    entry = answerable(running.app[FAQ], "driftbuien")[0]
    context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = await context.new_page()
    await page.goto(running.url("/"))
    await page.select_option("#municipality", "enschede")
    await page.click("#start-form button[type=submit]")
    await page.fill("#text", entry.question)
    await page.click("#send-form button[type=submit]")

    answer = page.locator("li.faq_answer")
    await answer.wait_for(timeout=10_000)
    text = await answer.inner_text()
    first_line = next(line for line in entry.answer_nl.splitlines() if line.strip())
    assert first_line.replace("*", "").strip()[:30] in text
    assert await page.locator("li.faq_answer .feedback button").count() == 2

    # Closing the tab and coming back in the same browser resumes the conversation.
    await page.close()
    page = await context.new_page()
    await page.goto(running.url("/"))
    await page.locator("li.faq_answer").wait_for(timeout=10_000)
    assert await page.locator("li.parent").first.inner_text() == entry.question
    assert "token" not in page.url
    await context.close()


async def test_adviser_answers_in_the_console_and_the_parent_sees_it(
        running: RunningApp, browser) -> None:
    parent = await (await browser.new_context()).new_page()
    await parent.goto(running.url("/"))
    await parent.fill("#postcode", "7511")
    await parent.click("#start-form button[type=submit]")
    await parent.fill("#text", "Hoe vraag ik kinderopvangtoeslag aan bij de Belastingdienst?")
    await parent.click("#send-form button[type=submit]")
    await parent.locator("li.queued").wait_for(timeout=10_000)

    console = await (await browser.new_context()).new_page()
    await console.goto(running.url("/console"))
    await console.fill("input[name=username]", "adviseur.enschede")
    await console.fill("input[name=password]", "demo-enschede")
    await console.click("button[type=submit]")
    await console.wait_for_url("**/console")
    await console.locator("#queue li button").first.click()
    await console.click("#claim")
    await console.locator("#reply-form").wait_for(state="visible", timeout=10_000)
    await console.fill("#reply", "Kijk eens op de site van de Belastingdienst; bel ons gerust.")
    await console.click("#reply-form button[type=submit]")

    reply = parent.locator("li.adviser")
    await reply.wait_for(timeout=10_000)
    assert "Belastingdienst" in await reply.inner_text()
    assert "Anouk (Enschede)" in await reply.inner_text()


async def test_a_question_typed_while_the_server_is_down_arrives_after_it_returns(
        running: RunningApp, browser, config, clock, faq) -> None:
    from aiohttp.test_utils import TestServer

    from adviceline.web.app import create_app

    entries = answerable(running.app[FAQ], "zindelijkheid")
    page = await (await browser.new_context()).new_page()
    await page.goto(running.url("/"))
    await page.select_option("#municipality", "losser")
    await page.click("#start-form button[type=submit]")
    await page.fill("#text", entries[0].question)
    await page.click("#send-form button[type=submit]")
    await page.locator("li.faq_answer").wait_for(timeout=10_000)

    port = running.server.port
    await running.server.close()
    await page.locator("#status", has_text="Geen verbinding").wait_for(timeout=10_000)
    await page.fill("#text", entries[1].question)
    await page.click("#send-form button[type=submit]")
    assert await page.locator("li.pending").count() == 1

    restarted = TestServer(create_app(config, clock=clock, faq=faq), host="127.0.0.1", port=port)
    await restarted.start_server()
    try:
        await page.locator("li.faq_answer").nth(1).wait_for(timeout=20_000)
        assert await page.locator("li.pending").count() == 0
        assert await page.locator("li.parent").count() == 2
    finally:
        await restarted.close()
