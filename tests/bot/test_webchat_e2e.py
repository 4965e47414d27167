"""The customer's view: the real service in headless Chromium, from the page to a case in the store."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.bot.browser import WatchedPage, chromium_fixture, watched_page_fixture  # noqa: F401  (fixtures)
from tests.bot.conftest import SATURDAY_3AM, TUESDAY_10AM, FakeClock, start_service, stored_cases

pytestmark = pytest.mark.browser


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[tuple[str, FakeClock, str]]:
    clock = FakeClock()
    runner, base_url = await start_service(db_url, clock)
    try:
        yield base_url, clock, db_url
    finally:
        await runner.cleanup()


async def _chat(watched: WatchedPage, base_url: str, message: str) -> None:
    page = watched.page
    await page.goto(f"{base_url}/")
    bubbles = page.locator("#webchat p")
    await expect(bubbles.filter(has_text="K#").first).to_be_visible(timeout=15_000)  # the greeting
    box = page.get_by_role("textbox").first
    await box.fill(message)
    await box.press("Enter")


async def test_files_a_sev3_at_night_with_the_buttons(
    site: tuple[str, FakeClock, str], watched_page: WatchedPage, tmp_path: Path
) -> None:
    base_url, clock, db_url = site
    clock.now = SATURDAY_3AM
    page = watched_page.page
    await _chat(watched_page, base_url, "K123456 the logo on our printed reports is blurry, cosmetic only, one user")
    confirm = page.get_by_role("toolbar", name="Suggested actions").get_by_role(
        "button", name=re.compile("right", re.I)
    )
    await expect(confirm).to_be_visible(timeout=15_000)
    await confirm.click()
    filed = page.locator("#webchat p").filter(has_text=re.compile(r"case \d{4}-\d{4}"))
    await expect(filed.first).to_be_visible(timeout=15_000)
    await page.screenshot(path=str(tmp_path / "sev3.png"))
    shown = await filed.first.inner_text()
    cases = await stored_cases(db_url)
    assert len(cases) == 1
    number = cases[0].number
    assert number in shown and cases[0].severity == 3
    bubbles = page.locator("#webchat p")
    await expect(bubbles.filter(has_text="Monday at 8:00 AM Eastern").first).to_be_visible()
    await expect(page.get_by_text("Send failed", exact=False)).to_have_count(0)
    assert watched_page.errors == []


async def test_sev1_by_day_tells_the_customer_to_call(
    site: tuple[str, FakeClock, str], watched_page: WatchedPage
) -> None:
    base_url, clock, db_url = site
    clock.now = TUESDAY_10AM
    page = watched_page.page
    await _chat(watched_page, base_url, "K123456 the whole system is down, nobody at any of our sites can open studies")
    confirm = page.get_by_role("toolbar", name="Suggested actions").get_by_role(
        "button", name=re.compile("right", re.I)
    )
    await expect(confirm).to_be_visible(timeout=15_000)
    await confirm.click()
    await expect(page.locator("#webchat p").filter(has_text="1-800-555-0100").first).to_be_visible(timeout=15_000)
    cases = await stored_cases(db_url)
    assert len(cases) == 1 and cases[0].severity == 1
    assert watched_page.errors == []


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (375, 740)], ids=["desktop", "phone"])
async def test_every_severity_choice_shows_whole_without_a_carousel(
    site: tuple[str, FakeClock, str], watched_page: WatchedPage, tmp_path: Path, width: int, height: int
) -> None:
    base_url, clock, _ = site
    clock.now = TUESDAY_10AM
    page = watched_page.page
    await page.set_viewport_size({"width": width, "height": height})
    await _chat(watched_page, base_url, "K123456 the logo on our printed reports is blurry, cosmetic only, one user")
    toolbar = page.get_by_role("toolbar", name="Suggested actions")
    buttons = toolbar.get_by_role("button")
    await expect(buttons.filter(has_text=re.compile("right", re.I))).to_be_visible(timeout=15_000)
    labels = await buttons.all_inner_texts()
    assert len(labels) == 4 and any("Severity 1: service down" in label for label in labels)
    await page.screenshot(path=str(tmp_path / f"choices-{width}.png"))
    # No carousel flipper, and each button is inside the page, its whole label shown (nothing cut or hidden).
    await expect(page.locator("#webchat .webchat__carousel-filmstrip, #webchat .react-film__flipper")).to_have_count(0)
    for button in await buttons.all():
        await expect(button).to_be_in_viewport(ratio=1)
        cut = await button.evaluate("b => [b, ...b.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1)")
        assert not cut, await button.inner_text()
    assert watched_page.errors == []
