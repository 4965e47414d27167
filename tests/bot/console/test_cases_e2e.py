"""The case workspace in headless Chromium: a supervisor signs in, lists and filters cases, opens one, claims it
by keyboard, notes, waits for the customer, sees the response clock run out and the escalation, posts an
update, resolves with a note and closes it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect
from sqlmodel import select

from intake.domain import CaseEventKind, Severity
from store.cases import NewEvent, list_events
from store.models import Outbox
from tests.bot.browser import WatchedPage, chromium_fixture, watched_page_fixture  # noqa: F401  (fixtures)
from tests.store.helpers import new_case

from .harness import Site, eventually, running_site, sign_in_in_browser

pytestmark = pytest.mark.browser

WAIT_MS = 15_000


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    # The SLA watch looks often, so a clock moved on by the test is noticed at once.
    async with running_site(db_url, sla_watch_seconds=0.2) as running:
        yield running


async def _sign_in(page: Page, site: Site, name: str) -> None:
    await sign_in_in_browser(page, site.base_url, name, opening="/agent/cases")
    await page.goto(f"{site.base_url}/agent/cases")


async def _case(site: Site, key: str, severity: Severity, k_number: str = "K123456") -> str:
    at = site.clock()
    case = await new_case(
        site.sessions,
        key,
        severity=severity,
        k_number=k_number,
        created_at=at,
        response_due=at + timedelta(hours=1),
        events=[NewEvent(kind=CaseEventKind.TRIAGE, detail={"severity": int(severity), "evidence": ["said: down"]})],
    )
    return case.number


async def test_a_case_worked_from_the_list_to_closed(site: Site, watched_page: WatchedPage) -> None:
    await site.add_agent("sue", role="supervisor")
    number = await _case(site, "ws-1", Severity.SEV2)
    other = await _case(site, "ws-2", Severity.SEV4, k_number="K654321")
    page = watched_page.page
    await _sign_in(page, site, "sue")

    # Mine is empty until a case is claimed; All lists both, each counting down to its next target.
    await expect(page.locator("#empty")).to_be_visible(timeout=WAIT_MS)
    await page.get_by_role("button", name="All").click()
    rows = page.locator("#cases tbody tr")
    await expect(rows).to_have_count(2, timeout=WAIT_MS)
    row = rows.filter(has_text=number)
    await expect(row.locator(".countdown")).to_contain_text("left to respond")
    await expect(row.locator(".countdown")).to_contain_text(re.compile(r"\d+m \d{2}s"))
    await expect(row).to_contain_text(re.compile(r"\d{1,2}:\d{2} (AM|PM) E[SD]T"))  # the desk's zone
    # Filters: severity, account, SLA state.
    await page.get_by_label("Severity").select_option("4")
    await expect(rows).to_have_count(1, timeout=WAIT_MS)
    await expect(rows.first).to_contain_text(other)
    await page.get_by_label("Severity").select_option("")
    await page.get_by_label("Account").fill("K123456")
    await page.get_by_role("button", name="Filter").click()
    await expect(rows).to_have_count(1, timeout=WAIT_MS)
    await expect(rows.first).to_contain_text(number)
    await page.get_by_label("SLA").select_option("breached")
    await expect(page.locator("#empty")).to_be_visible(timeout=WAIT_MS)
    await page.get_by_label("SLA").select_option("ok")
    await expect(rows).to_have_count(1, timeout=WAIT_MS)

    # The case page: triage's reasons, the clocks.
    await rows.first.get_by_role("link", name=number).click()
    await expect(page).to_have_url(re.compile(rf"/agent/cases/{number}$"))
    case = page.locator("#case")
    await expect(case).to_contain_text("Why Sev 2", timeout=WAIT_MS)
    await expect(case).to_contain_text("said \u201cdown\u201d")
    response = page.locator("#clocks tr[data-clock=response]")
    await expect(response.locator(".state")).to_have_text("running")
    await expect(response.locator(".left")).to_contain_text("left")

    # Keyboard: c claims, n goes to the note, Ctrl+Enter sends it.
    await page.locator("body").press("c")
    await expect(case).to_contain_text("sue", timeout=WAIT_MS)
    await expect(page.locator("#timeline")).to_contain_text("Assigned to sue")
    await page.locator("body").press("n")
    await expect(page.get_by_label("Internal note (n)")).to_be_focused()
    await page.keyboard.type("Checked the dictation server logs.")
    await page.keyboard.press("Control+Enter")
    await expect(page.locator("#timeline")).to_contain_text("Internal note: Checked the dictation server logs.")

    # Waiting for the customer pauses the fix clock.
    await page.get_by_label("Status (s)").select_option("pending_customer")
    await page.get_by_role("button", name="Set status").click()
    await expect(page.locator("#timeline")).to_contain_text("Status new → pending customer", timeout=WAIT_MS)
    fix = page.locator("#clocks tr[data-clock=fix]")
    await expect(fix.locator(".state")).to_have_text("paused")
    await expect(fix).to_contain_text("waiting for the customer")

    # The response clock runs out: the watch records the breach, the page shows it.
    site.clock.now = site.clock.now + timedelta(hours=2)

    async def breached() -> bool:
        async with site.sessions() as session:
            events = await list_events(session, number=number)
        return any(e.kind == CaseEventKind.SLA_BREACHED for e in events)

    await eventually(breached)
    await page.reload()
    await expect(page.locator("#timeline")).to_contain_text("Breached: the response target passed", timeout=WAIT_MS)
    await expect(response.locator(".left")).to_contain_text("late by")
    await expect(case).to_contain_text("breached")

    # An update to the customer: queued for email, on the timeline.
    await page.get_by_label("Update to the customer (u)").fill("We found the cause and are testing a fix.")
    await page.get_by_role("button", name="Send update").click()
    await expect(page.locator("#done")).to_have_text("Update sent to the customer.", timeout=WAIT_MS)
    await expect(page.locator("#timeline")).to_contain_text("We found the cause")
    async with site.sessions() as session:
        notices = (await session.exec(select(Outbox).where(Outbox.kind == "notice"))).all()
    # The desk's apology for the missed response went first, then the update (the engineer's first response).
    said = [(n.payload["notice"], n.payload.get("text")) for n in notices]
    assert said == [("breach_apology", None), ("first_response", "We found the cause and are testing a fix.")]

    # Resolve with a note, then close.
    await page.get_by_label("Resolution note (r)").fill("Restarted the dictation service.")
    await page.get_by_role("button", name="Resolve").click()
    await expect(page.locator("#timeline")).to_contain_text("Resolution: Restarted the dictation service.")
    await page.get_by_role("button", name="Close case").click()
    await expect(case).to_contain_text("closed", timeout=WAIT_MS)
    await expect(page.locator("#update-form")).to_be_hidden()
    await expect(page.locator("#reopen-form")).to_be_visible()
    assert watched_page.errors == []


async def test_question_mark_lists_the_shortcuts(site: Site, watched_page: WatchedPage) -> None:
    await site.add_agent("ann")
    number = await _case(site, "ws-3", Severity.SEV3)
    page = watched_page.page
    await _sign_in(page, site, "ann")
    await page.goto(f"{site.base_url}/agent/cases/{number}")
    await expect(page.locator("#case")).to_contain_text("Sev 3", timeout=WAIT_MS)
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(dialog).to_be_hidden()
    await page.locator("body").press("?")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("Claim the case")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    # Typing a note is not a shortcut: the letters stay in the box.
    await page.locator("body").press("n")
    await page.keyboard.type("call back")
    await expect(page.get_by_label("Internal note (n)")).to_have_value("call back")
    await expect(page.locator("#case")).to_contain_text("nobody")  # "c" in the text claimed nothing
    # An agent (not a supervisor) is not offered closing or assigning others.
    await expect(page.locator("#assign-tool")).to_be_hidden()
    assert watched_page.errors == []


async def test_a_list_opened_from_a_link_shows_what_the_link_asks_for(site: Site, watched_page: WatchedPage) -> None:
    # The dashboard's figures link to filtered lists: the list opens with that view and those filters, and
    # the address follows what the list shows.
    await site.add_agent("sue", role="supervisor")
    sev1 = await _case(site, "ln-1", Severity.SEV1)
    await _case(site, "ln-2", Severity.SEV3)
    page = watched_page.page
    await _sign_in(page, site, "sue")
    await page.goto(f"{site.base_url}/agent/cases?view=all&open=true&severity=1")
    rows = page.locator("#cases tbody tr")
    await expect(rows).to_have_count(1, timeout=WAIT_MS)
    await expect(rows.first).to_contain_text(sev1)
    await expect(page.get_by_role("button", name="All")).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("#f-severity")).to_have_value("1")
    await page.locator("#f-severity").select_option("3")
    await expect(page).to_have_url(re.compile(r"\?view=all&open=true&severity=3$"))
    await expect(rows).to_have_count(1, timeout=WAIT_MS)
    assert watched_page.errors == []
