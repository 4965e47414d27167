"""A customer's notices end to end: a case filed in chat is confirmed by email (a real SMTP server), the
follow-up two days after resolution is answered in Chromium and reopens the case, and the opt-out link works.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import ClientSession

from intake.domain import CaseStatus
from store.accounts import get_account, import_accounts_csv
from store.cases import get_case, list_events, update_case
from store.db import SessionMaker, create_engine, session_factory
from store.notices import queue_resolution
from tests.bot.browser import WatchedPage, chromium_fixture, watched_page_fixture  # noqa: F401  (fixtures)
from tests.bot.conftest import FakeClock, Service, start_service, stored_cases, texts
from tests.bot.smtp import SmtpServer, smtp_server

ACCOUNTS = "k_number,name,phones,emails,timezone\nK123456,North Clinic,,pacs@north.example,America/Los_Angeles\n"


@pytest.fixture
async def mailing(db_url: str) -> AsyncIterator[tuple[Service, SmtpServer, SessionMaker]]:
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    await import_accounts_csv(sessions, ACCOUNTS)
    clock = FakeClock()
    async with smtp_server() as smtp:
        runner, base_url = await start_service(db_url, clock, **smtp.settings())
        try:
            async with ClientSession() as http:
                yield Service(base_url=base_url, http=http, app=runner.app, clock=clock, db_url=db_url), smtp, sessions
        finally:
            await runner.cleanup()
            await engine.dispose()


def _link(text: str, path: str) -> str:
    found = re.search(rf"http://\S+{re.escape(path)}\S+", text)
    assert found, text
    return found.group(0)


async def test_filed_in_chat_confirmed_by_email_and_the_follow_up_answered_in_a_browser(
    mailing: tuple[Service, SmtpServer, SessionMaker], watched_page: WatchedPage
) -> None:
    service, smtp, sessions = mailing
    await service.join()
    await service.say("K123456 the print preview icon is misaligned for one user")
    reply = texts(await service.say("Yes, that's right"))
    [case] = await stored_cases(service.db_url)
    assert case.number in reply

    confirmation = await smtp.next()
    assert confirmation.rcpt_tos == ["pacs@north.example"]
    assert confirmation.message["Subject"].startswith(f"Case {case.number} received: Severity {int(case.severity)}")
    assert "Pacific" in confirmation.text  # the account's zone, not the desk's

    resolved_at = service.clock.now
    async with sessions() as session, session.begin():
        await update_case(session, number=case.number, actor="alice", at=resolved_at, status=CaseStatus.RESOLVED)
        await queue_resolution(
            session, number=case.number, note="Re-rendered the icon set.", actor="alice", at=resolved_at
        )
    resolution = await smtp.next()
    assert "Re-rendered the icon set." in resolution.text

    service.clock.now = resolved_at + timedelta(days=2)
    follow_up = await smtp.next()
    assert follow_up.message["Subject"] == f"Case {case.number}: is everything working?"
    page = watched_page.page
    await page.goto(_link(follow_up.text, "/notices/case/"))
    await page.get_by_label("Anything to add (optional)").fill("The icon is still off on the second monitor.")
    await page.get_by_role("button", name="No, it is not working: reopen the case").click()
    await page.get_by_role("heading", name=f"Case {case.number} is open again").wait_for()
    async with sessions() as session:
        reopened = await get_case(session, number=case.number)
        events = await list_events(session, number=case.number)
    assert reopened is not None and reopened.status is CaseStatus.IN_PROGRESS
    replied = [e.detail for e in events if e.kind == "customer_replied"]
    assert replied == [{"answer": "not_working", "comment": "The icon is still off on the second monitor."}]

    # The same link again changes nothing: the case is no longer waiting for that answer.
    await page.goto(_link(follow_up.text, "/notices/case/"))
    await page.get_by_role("heading", name=f"Case {case.number} is open again").wait_for()

    await page.goto(_link(follow_up.text, "/notices/unsubscribe/"))
    await page.get_by_role("button", name="Send me essential messages only").click()
    await page.get_by_role("heading", name="You receive essential messages only").wait_for()
    async with sessions() as session:
        account = await get_account(session, k_number="K123456")
    assert account is not None and account.unsubscribed_at is not None
    assert watched_page.errors == []


async def test_a_forged_or_misdirected_link_gets_a_clear_page(
    mailing: tuple[Service, SmtpServer, SessionMaker], watched_page: WatchedPage
) -> None:
    service, _, _ = mailing
    page = watched_page.page
    response = await page.goto(f"{service.base_url}/notices/case/eyJmb3JnZWQiOjF9.AAAA")
    assert response is not None and response.status == 400
    await page.get_by_role("heading", name="This link is not valid").wait_for()
    async with service.http.post(f"{service.base_url}/notices/unsubscribe/x.y", data={"action": "unsubscribe"}) as r:
        assert r.status == 400 and "text/html" in r.headers["Content-Type"]
