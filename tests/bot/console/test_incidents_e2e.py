"""The incidents page in headless Chromium: an agent signs in from the console, opens an incident by hand,
links two cases (each number a working link to the case's page), is told what cannot be linked, posts an
update that reaches both customers, detaches one case and resolves the incident with the other."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect
from sqlmodel import col, select

from intake.domain import CaseStatus, Severity
from store import handoffs as handoff_store
from store.cases import get_case
from store.models import Outbox
from store.transcripts import get_transcript
from tests.bot.browser import WatchedPage, chromium_fixture, watched_page_fixture  # noqa: F401  (fixtures)
from tests.store.helpers import new_case

from .harness import Site, hand_off, running_site, sign_in_in_browser

pytestmark = pytest.mark.browser

WAIT_MS = 15_000


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async with running_site(db_url) as running:
        yield running


async def _sign_in(page: Page, site: Site, name: str) -> None:
    await sign_in_in_browser(page, site.base_url, name, opening="/agent/incidents")


async def _case(site: Site, key: str, k_number: str) -> str:
    at = site.clock()
    case = await new_case(
        site.sessions,
        key,
        severity=Severity.SEV1,
        k_number=k_number,
        created_at=at,
        response_due=at + timedelta(hours=1),
    )
    return case.number


async def test_an_incident_worked_from_the_console(site: Site, watched_page: WatchedPage) -> None:
    await site.add_agent("ann")
    first = await _case(site, "inc-1", "K100001")
    second = await _case(site, "inc-2", "K100002")
    page = watched_page.page
    await _sign_in(page, site, "ann")
    # The console's navigation leads to the page.
    await page.get_by_role("link", name="Incidents").click()
    await expect(page).to_have_url(re.compile(r"/agent/incidents$"))
    await expect(page.locator("#empty")).to_be_visible(timeout=WAIT_MS)

    # Open one by hand.
    await page.get_by_label("Component").select_option("viewer")
    await page.get_by_label("Title").fill("Viewer will not load studies")
    await page.get_by_role("button", name="Open incident").click()
    await expect(page.locator("#done")).to_have_text(re.compile(r"Incident #\d+ opened\."), timeout=WAIT_MS)
    card = page.locator("article.incident")
    await expect(card).to_have_count(1)
    await expect(card.locator("h3")).to_have_text(re.compile(r"#\d+ · viewer · Viewer will not load studies"))
    await expect(card).to_contain_text(re.compile(r"opened \w{3} \d+, \d{1,2}:\d{2} (AM|PM) E[SD]T by ann"))

    # Link both cases; a case that does not exist is refused with the reason.
    for number in (first, second):
        await card.get_by_label("Link a case").fill(number)
        await card.get_by_role("button", name="Link").click()
        await expect(page.locator("#done")).to_have_text(f"Case {number} linked.", timeout=WAIT_MS)
    rows = card.locator("table.cases tbody tr")
    await expect(rows).to_have_count(2)
    await card.get_by_label("Link a case").fill("2611-9999")
    await card.get_by_role("button", name="Link").click()
    await expect(page.locator("#error")).to_have_text("no case 2611-9999", timeout=WAIT_MS)

    # An update reaches both customers.
    await card.get_by_label("Update to every linked customer").fill("A fix is being deployed.")
    await card.get_by_role("button", name="Post update").click()
    await expect(page.locator("#done")).to_have_text("Update posted to every linked customer.", timeout=WAIT_MS)
    await expect(card.locator(".updates")).to_contain_text("ann: A fix is being deployed. (sent to 2 case(s))")
    async with site.sessions() as session:
        notices = (await session.exec(select(Outbox).where(col(Outbox.kind) == "notice"))).all()
    assert (
        sorted(n.payload["text"] for n in notices if n.payload.get("notice") == "incident_update")
        == ["A fix is being deployed."] * 2
    )

    # Detach the second case, then resolve: the first is resolved with the incident, the second is not.
    await card.get_by_role("button", name=f"Detach {second}").click()
    await expect(page.locator("#done")).to_have_text(f"Case {second} detached.", timeout=WAIT_MS)
    await expect(card.locator(f"tr[data-case='{second}']")).to_have_class("detached")
    await card.get_by_label("Resolution").fill("The viewer's cache cluster was restarted.")
    await card.get_by_role("button", name="Resolve incident").click()
    await expect(page.locator("#empty")).to_be_visible(timeout=WAIT_MS)  # no open incident is left
    await page.get_by_label("Show").select_option("resolved")
    await expect(card).to_contain_text("The viewer's cache cluster was restarted.", timeout=WAIT_MS)
    await expect(card.get_by_role("button", name="Post update")).to_have_count(0)
    async with site.sessions() as session:
        resolved, kept = await get_case(session, number=first), await get_case(session, number=second)
    assert resolved is not None and resolved.status is CaseStatus.RESOLVED
    assert kept is not None and kept.status is CaseStatus.NEW

    # Each case number is a working link to the case's page.
    await card.get_by_role("link", name=first).click()
    await expect(page).to_have_url(re.compile(rf"/agent/cases/{first}$"))
    await expect(page.locator("#case-title")).to_have_text(f"Case {first}", timeout=WAIT_MS)
    await expect(page.locator("#case")).to_contain_text("resolved")
    # The browser reports the refused link's 422 itself; nothing else went wrong.
    refused = [e for e in watched_page.errors if "status of 422" in e and "/link" in e]
    assert len(refused) == 1 and watched_page.errors == refused


async def test_the_page_and_its_actions_need_a_signed_in_agent_and_the_csrf_token(site: Site) -> None:
    agent = await site.sign_in("bea", available=False)
    status, body = await agent.call("POST", "/incidents", {"component": "viewer", "title": "x"}, csrf="forged")
    assert status == 403, body
    status, body = await agent.call("POST", "/incidents", {"component": "viewer", "title": "x"})
    assert status == 201 and body["incident"]["opened_by"] == "bea"
    one = f"/incidents/{body['incident']['id']}"
    for path, sent in [(f"{one}/updates", {"text": "x"}), (f"{one}/resolve", {"resolution": "x"})]:
        status, _ = await agent.call("POST", path, sent, csrf="")
        assert status == 403
    listed = await agent.ok("GET", "/incidents")
    assert [i["updates"] for i in listed["incidents"]] == [[]]
    assert listed["incidents"][0]["incident"]["status"] == "open"
    assert {c["key"] for c in listed["components"]} >= {"viewer", "archive"}
    # Signed out: the page sends the browser to sign in, the JSON answers 401.
    async with site._client().get(f"{site.base_url}/agent/incidents", allow_redirects=False) as response:
        assert response.status in (302, 303) and "/agent/sign-in" in response.headers["Location"]
    async with site._client().get(f"{site.base_url}/agent/console/incidents") as response:
        assert response.status == 401


async def test_an_update_is_also_said_in_a_linked_customers_live_chat(site: Site) -> None:
    agent = await site.sign_in("cy")
    waiting = await site.customer()
    await hand_off(waiting, with_case=True)  # in the queue for a live agent, with a case
    elsewhere = await _case(site, "inc-3", "K100003")  # a case whose customer is not in a chat
    async with site.sessions() as session:
        [handoff] = await handoff_store.queue(session)
    assert handoff.case_number is not None
    status, opened = await agent.call("POST", "/incidents", {"component": "archive", "title": "Priors missing"})
    assert status == 201, opened
    one = f"/incidents/{opened['incident']['id']}"
    for number in (handoff.case_number, elsewhere):
        await agent.ok("POST", f"{one}/link", {"case": number})
    await waiting.new_texts()

    posted = await agent.ok("POST", f"{one}/updates", {"text": "Priors are loading again for most sites."})
    assert posted["update"] == {"reached": 2, "relayed": 1}
    assert await waiting.new_texts() == ["Priors are loading again for most sites."]
    async with site.sessions() as session:
        lines = await get_transcript(session, conversation_id=waiting.conversation_id)
    assert ("bot", "Priors are loading again for most sites.") in [(line.role, line.text) for line in lines]
