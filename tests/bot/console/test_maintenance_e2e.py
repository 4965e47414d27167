"""The planned maintenance page in headless Chromium: a supervisor reaches it from the console's navigation, is
refused a window inside the notice period with the reason, schedules it with an override (shown beside the
window), sees the account's downtime against the yearly cap, changes the window and cancels it. Agents and
requests without the session's CSRF token are refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from store.models import Account
from tests.bot.browser import WatchedPage, chromium_fixture, watched_page_fixture  # noqa: F401  (fixtures)

from .harness import Site, running_site, sign_in_in_browser

pytestmark = pytest.mark.browser

WAIT_MS = 15_000


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async with running_site(db_url) as running:
        now = running.clock()
        async with running.sessions() as session, session.begin():
            session.add(Account(k_number="K100001", name="North Clinic", created_at=now, updated_at=now))
        yield running


async def _sign_in(page: Page, site: Site, name: str) -> None:
    await sign_in_in_browser(page, site.base_url, name, opening="/agent/maintenance")


async def test_a_supervisor_plans_maintenance_from_the_console(site: Site, watched_page: WatchedPage) -> None:
    await site.add_agent("sue", role="supervisor")
    page = watched_page.page
    await _sign_in(page, site, "sue")
    await page.get_by_role("link", name="Maintenance").click()
    await expect(page).to_have_url(re.compile(r"/agent/maintenance$"))
    await expect(page.locator("#empty")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#no-budget")).to_be_visible()

    start = (site.clock() + timedelta(days=2)).replace(microsecond=0)
    await page.get_by_label("Start").fill(start.isoformat())
    await page.get_by_label("End").fill((start + timedelta(hours=4)).isoformat())
    await page.get_by_label("Accounts").fill("K100001")
    await page.get_by_label("Components").fill("viewer")
    await page.get_by_label("Summary").fill("Database upgrade")
    await page.get_by_role("button", name="Schedule").click()
    await expect(page.locator("#error")).to_contain_text("days' notice", timeout=WAIT_MS)

    await page.get_by_label("Override reason").fill("Security fix that cannot wait")
    await page.get_by_role("button", name="Schedule").click()
    await expect(page.locator("#done")).to_have_text(re.compile(r"Window #\d+ scheduled; \d+ notice\(s\) queued\."))
    row = page.locator("#windows tbody tr")
    await expect(row).to_have_count(1)
    await expect(row.locator("td.override")).to_have_text("Override: Security fix that cannot wait")
    await expect(row).to_contain_text("Database upgrade")
    await expect(row).to_contain_text(re.compile(r"\d{1,2}:\d{2} (AM|PM) E[SD]T"))  # the desk's zone, labelled
    budget = page.locator("#budgets tbody tr[data-account='K100001']")
    await expect(budget).to_contain_text("4 h")
    await expect(budget).to_contain_text("92 h")  # left of the 96-hour cap

    window_id = await row.get_attribute("data-window")
    await page.get_by_role("button", name=f"Change window {window_id}").click()
    await expect(page.get_by_label("Summary")).to_have_value("Database upgrade")
    await page.get_by_label("Summary").fill("Database upgrade, second attempt")
    await page.get_by_label("Override reason").fill("Security fix that cannot wait")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#done")).to_contain_text("changed (version 2)", timeout=WAIT_MS)
    await expect(row).to_contain_text("Database upgrade, second attempt")

    await page.get_by_role("button", name=f"Cancel window {window_id}").click()
    await expect(page.locator("#done")).to_contain_text(f"Window #{window_id} cancelled", timeout=WAIT_MS)
    await expect(row).to_have_class(re.compile(r"\bcancelled\b"))
    await expect(page.locator("#no-budget")).to_be_visible()  # a cancelled window uses none of the cap
    refused = [e for e in watched_page.errors if "status of 422" in e and "/agent/console/maintenance'" in e]
    assert len(refused) == 1 and watched_page.errors == refused  # the notice period's refusal, nothing else


async def test_only_a_supervisor_with_the_session_s_csrf_token_plans_maintenance(site: Site) -> None:
    agent = await site.sign_in("ann", available=False)
    status, body = await agent.call("GET", "/maintenance")
    assert status == 403 and body["error"]["message"]
    async with agent.http.get(f"{site.base_url}/agent/maintenance", allow_redirects=False) as response:
        assert response.status == 403
    start = site.clock() + timedelta(days=30)
    window = {
        "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(), "accounts": "K100001",
        "components": "viewer", "downtime": "yes", "summary": "Network work",
    }  # fmt: skip
    assert (await agent.call("POST", "/maintenance", window))[0] == 403

    supervisor = await site.sign_in("sue", role="supervisor", available=False)
    status, body = await supervisor.call("POST", "/maintenance", window, csrf="not-the-token")
    assert status == 403, body
    status, body = await supervisor.call("POST", "/maintenance", window)
    assert status == 201, body
    status, listing = await supervisor.call("GET", "/maintenance")
    assert status == 200 and [w["id"] for w in listing["windows"]] == [body["window"]["id"]]
    assert [(b["k_number"], b["used_hours"]) for b in listing["budgets"]] == [("K100001", 1.0)]
