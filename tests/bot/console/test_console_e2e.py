"""Two real pages in headless Chromium: a customer in Web Chat on / and an agent in the console at /agent."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from store.directline import list_activities
from store.handoffs import list_handoffs
from tests.bot.browser import WatchedPage, chromium_fixture, watched_context, watched_page_fixture  # noqa: F401  (fixtures)

from .harness import Site, running_site, sign_in_in_browser

pytestmark = pytest.mark.browser

WAIT_MS = 15_000


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async with running_site(db_url) as running:
        yield running


@pytest.fixture
async def agent_page(chromium: Browser) -> AsyncIterator[WatchedPage]:
    """A second browser context: the agent's own cookies, apart from the customer's."""
    async with watched_context(chromium) as watched:
        yield watched


async def _sign_in(page: Page, base_url: str, name: str) -> None:
    await sign_in_in_browser(page, base_url, name)
    await expect(page.locator("#connection")).to_have_text("Live", timeout=WAIT_MS)
    async with page.expect_response(lambda r: r.url.endswith("/agent/console/presence") and r.ok):
        await page.get_by_label("Status").select_option("available")


async def _customer_says(page: Page, text: str) -> None:
    box = page.get_by_role("textbox").first
    await box.fill(text)
    await box.press("Enter")


def _bubble(page: Page, text: str) -> Locator:
    return page.locator("#webchat p").filter(has_text=text).first


async def _bot_texts(site: Site, conversation_id: str) -> list[str]:
    activities = await list_activities(site.sessions, conversation_id=conversation_id, after_seq=0)
    return [
        a.body.get("text") or ""
        for a in activities
        if a.body.get("type") == "message" and (a.body.get("from") or {}).get("role") == "bot"
    ]


async def test_customer_and_agent_chat_live_while_the_bot_stays_silent(
    site: Site, watched_page: WatchedPage, agent_page: WatchedPage, tmp_path: Path
) -> None:
    await site.add_agent("alice")
    agent = agent_page.page
    await _sign_in(agent, site.base_url, "alice")
    await expect(agent.locator("#queue-empty")).to_be_visible()

    customer = watched_page.page
    await customer.goto(f"{site.base_url}/")
    await expect(_bubble(customer, "K#")).to_be_visible(timeout=WAIT_MS)
    await _customer_says(customer, "K123456 how do I export a report to PDF?")
    await expect(_bubble(customer, "Is that right?")).to_be_visible(timeout=WAIT_MS)
    await _customer_says(customer, "talk to an agent")
    queued = "You're number 1 in the queue for a live agent."
    # Web Chat typesets apostrophes as curly quotes: match the words around them.
    await expect(_bubble(customer, "number 1 in the queue for a live agent")).to_be_visible(timeout=WAIT_MS)

    # The queue updates live (no reload) with the case, its severity and the time left to respond.
    entry = agent.locator("#queue li").first
    await expect(entry).to_contain_text("How do I export a report to PDF?", timeout=WAIT_MS)
    await expect(entry).to_contain_text("Sev 4")
    await expect(entry.locator(".due")).to_contain_text("left to respond")
    await entry.get_by_role("button", name="Claim").click()
    transcript = agent.locator("#transcript")
    await expect(transcript.locator("li.customer").filter(has_text="talk to an agent")).to_be_visible(timeout=WAIT_MS)
    await expect(agent.locator("#conversation-state")).to_have_text("You are chatting with the customer.")
    await expect(_bubble(customer, "Alice from the support team has joined")).to_be_visible(timeout=WAIT_MS)

    # Customer -> agent, live.
    await _customer_says(customer, "Which menu has the PDF export?")
    await expect(transcript.locator("li.customer").filter(has_text="Which menu has the PDF export?")).to_be_visible(
        timeout=WAIT_MS
    )
    # Agent -> customer, live.
    reply = agent.get_by_label("Message to the customer")
    await reply.fill("It's under File > Export > PDF.")
    await reply.press("Enter")
    await expect(_bubble(customer, "under File > Export > PDF.")).to_be_visible(timeout=WAIT_MS)
    # The agent's words name the agent, so they never look like the assistant's; the assistant's stay unnamed.
    agent_bubble = customer.locator("#webchat .webchat__bubble").filter(has_text="under File > Export > PDF.")
    await expect(agent_bubble.locator("strong")).to_have_text("Alice")
    await expect(agent_bubble).to_contain_text("(support team)")
    await expect(customer.locator("#webchat strong").filter(has_text="Alice")).to_have_count(1)
    await expect(transcript.locator("li.agent").filter(has_text="File > Export")).to_be_visible()
    await _customer_says(customer, "Thanks, found it")
    await expect(transcript.locator("li.customer").filter(has_text="Thanks, found it")).to_be_visible(timeout=WAIT_MS)
    await expect(agent.locator("#case")).to_contain_text("met")  # first response recorded, target met
    # Why triage said Sev 4: phrases of the customer's own message that moved it.
    why = agent.locator("#case dt").filter(has_text="Why Sev 4").locator("xpath=following-sibling::dd[1]")
    phrases = re.findall("said \u201c([^\u201d]+)\u201d", await why.inner_text())
    assert phrases and all(p.lower() in "k123456 how do i export a report to pdf?" for p in phrases)
    # Times are the desk's (CHAT_TIMEZONE, as the bot says them), labelled, whatever the browser's zone is.
    desk_time = re.compile(r"\d{1,2}:\d{2} (AM|PM) E[SD]T")
    await expect(agent.locator("#case")).to_contain_text(desk_time)
    await expect(transcript.locator("li.agent").filter(has_text="File > Export")).to_contain_text(desk_time)

    # While the agent had the chat, the bot said nothing: only the agent and the join notice reached Web Chat.
    async with site.sessions() as session:
        [handoff] = await list_handoffs(session)
    shown = await _bot_texts(site, handoff.conversation_id)
    after = shown[shown.index(queued) + 1 :]
    assert after == ["Alice from the support team has joined the chat.", "It's under File > Export > PDF."]
    await customer.screenshot(path=str(tmp_path / "customer.png"))
    await agent.screenshot(path=str(tmp_path / "agent.png"), full_page=True)

    # Hand back: the bot takes over again and carries on with the dialogue.
    await agent.get_by_role("button", name="Hand back to the bot").click()
    await expect(_bubble(customer, "back with the assistant.")).to_be_visible(timeout=WAIT_MS)
    await expect(_bubble(customer, "Is there anything else I can help with?")).to_be_visible(timeout=WAIT_MS)
    await expect(agent.locator("#conversation-state")).to_have_text("Handed back to the assistant.", timeout=WAIT_MS)
    await expect(agent.locator("#queue-empty")).to_be_visible(timeout=WAIT_MS)
    await _customer_says(customer, "That's all")
    await expect(_bubble(customer, "Goodbye")).to_be_visible(timeout=WAIT_MS)
    await expect(customer.get_by_text("Send failed", exact=False)).to_have_count(0)
    assert watched_page.errors == []
    assert agent_page.errors == []


async def test_supervisor_page_renders_open_cases(site: Site, agent_page: WatchedPage) -> None:
    await site.add_agent("boss", role="supervisor")
    page = agent_page.page
    await _sign_in(page, site.base_url, "boss")
    await expect(page.get_by_role("link", name="Supervisor view")).to_be_visible(timeout=WAIT_MS)
    await page.get_by_role("link", name="Supervisor view").click()
    await expect(page).to_have_url(re.compile(r"/agent/supervisor$"))
    await expect(page.locator("#updated")).to_contain_text("Updated", timeout=WAIT_MS)
    await expect(page.locator("#updated")).to_contain_text(re.compile(r"\d{1,2}:\d{2} (AM|PM) E[SD]T"))
    await expect(page.locator("#open-cases")).to_contain_text("No open cases.")
    # Every page has the same links: from here the dashboard and the surveys are one click away.
    await page.get_by_role("link", name="Dashboard").click()
    await expect(page).to_have_url(re.compile(r"/agent/dashboard$"))
    await expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    await page.get_by_role("link", name="Surveys").click()
    await expect(page).to_have_url(re.compile(r"/agent/surveys$"))
    assert agent_page.errors == []
