"""The survey as people meet it, in headless Chromium against the whole service (create_app): a closed case's
link arrives by email through a real SMTP server, the customer answers the web form once, and the support
manager sees the unhappy customer's task on /agent/surveys, with the notice that waits for their call, and
marks it done."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect
from sqlmodel import select

from bot.survey import SURVEY_SCHEDULER
from intake import wording_survey as words
from intake.domain import CaseStatus
from intake.notices import NoticeKind
from store.accounts import import_accounts_csv
from store.cases import update_case
from store.db import SessionMaker
from store.models import CasePublic, Outbox, Survey, SurveyFollowUp
from store.notices import queue_case_notice
from store.survey_holds import HELD_ERROR, HOLD_RECHECK
from tests.bot.browser import WatchedPage, chromium_fixture, watched_context  # noqa: F401  (fixtures)
from tests.bot.conftest import FakeClock
from tests.bot.console.harness import PASSWORD, Site, eventually, running_site
from tests.bot.smtp import Received, SmtpServer, smtp_server
from tests.store.survey_cases import DUE, closed_case

pytestmark = pytest.mark.browser

ACCOUNTS = "k_number,name,phones,emails,timezone\nK123456,North Clinic,,pacs@north.example,America/New_York\n"
MANAGER = "manager@desk.example"


@dataclass
class Desk:
    site: Site
    smtp: SmtpServer
    case: CasePublic

    async def mail(self, subject_starts: str) -> Received:
        """The next message, which must be the one expected."""
        received = await self.smtp.next()
        assert received.message["Subject"].startswith(subject_starts), received.message["Subject"]
        return received

    async def survey(self) -> Survey:
        async with self.site.sessions() as session:
            return (await session.exec(select(Survey).where(Survey.case_number == self.case.number))).one()


@pytest.fixture
async def desk(db_url: str, session_maker: SessionMaker) -> AsyncIterator[Desk]:
    """The service with mail through aiosmtpd and no Twilio account (so the survey comes as a link), and a
    case closed the day before at 11:00 New York: its survey is due now."""
    # Stored before the service starts: its SLA watch, whose first round runs at start, must never find the
    # case open between its creation and its closing, past its targets (it mailed a breach apology first).
    await import_accounts_csv(session_maker, ACCOUNTS)
    case = await closed_case(session_maker, phone=None)
    async with smtp_server() as smtp:
        settings = {**smtp.settings(), "supervisor_emails": MANAGER, "survey_watch_seconds": 3600}
        async with running_site(db_url, FakeClock(DUE), **settings) as site:
            yield Desk(site, smtp, case)


@pytest.fixture
async def page(chromium: Browser) -> AsyncIterator[WatchedPage]:
    async with watched_context(chromium) as watched:
        yield watched


async def _link_by_email(desk: Desk) -> str:
    # The round every process runs each SURVEY_WATCH_SECONDS (its first, at start, may have done it already):
    # no Twilio account here, so nobody is called and the link goes out at once.
    await desk.site.app[SURVEY_SCHEDULER].run_once()
    mail = await desk.mail(f"Case {desk.case.number}: how did we do?")
    assert mail.rcpt_tos == ["pacs@north.example"]
    found = re.search(r"http://\S+/survey/\S+", mail.text)
    assert found, mail.text
    return found.group(0)


async def _answer(page: Page, link: str, *, nps: int, csat: int, comment: str) -> None:
    await page.goto(link)
    await page.get_by_role("heading", name=words.FORM_TITLE).wait_for()
    await page.get_by_role("group", name=words.FORM_NPS).get_by_label(str(nps), exact=True).check()
    await page.get_by_role("group", name=words.FORM_CSAT).get_by_label(str(csat), exact=True).check()
    await page.get_by_label(words.FORM_COMMENT).fill(comment)
    await page.get_by_role("button", name=words.FORM_SEND).click()
    await expect(page.locator("#message")).to_have_text(words.FORM_THANKS)


async def test_the_link_comes_by_email_and_the_form_takes_one_answer(desk: Desk, page: WatchedPage) -> None:
    link = await _link_by_email(desk)
    await _answer(page.page, link, nps=9, csat=5, comment="Quick and clear, thank you.")
    survey = await desk.survey()
    assert (survey.status, survey.channel, survey.nps, survey.csat) == ("answered", "web", 9, 5)
    assert survey.comment == "Quick and clear, thank you." and survey.agent == "alice"

    # The same link again: answered already, nothing changes.
    response = await page.page.goto(link)
    assert response is not None and response.status == 410
    await expect(page.page.locator("#message")).to_have_text(words.FORM_USED)
    async with aiohttp.ClientSession() as http, http.post(link, data={"nps": "0", "csat": "1"}) as again:
        assert again.status == 410
    assert (await desk.survey()).nps == 9
    async with desk.site.sessions() as session:
        assert (await session.exec(select(SurveyFollowUp))).all() == []  # a promoter: no task
    # Chromium reports the 410 page's status itself; nothing else went wrong on the pages.
    assert [e for e in page.errors if "status of 410 (Gone)" not in e] == []


async def test_the_manager_sees_an_unhappy_customer_first_and_marks_the_task_done(
    desk: Desk, page: WatchedPage, chromium: Browser
) -> None:
    link = await _link_by_email(desk)
    await _answer(page.page, link, nps=3, csat=2, comment="Took far too long.")
    staff = await desk.mail(f"Survey follow-up: case {desk.case.number}")
    assert staff.rcpt_tos == [MANAGER] and "Took far too long" not in staff.text

    # An agent reopens the case and posts an update: it waits for the manager's call.
    site = desk.site
    async with site.sessions() as session, session.begin():
        await update_case(session, number=desk.case.number, actor="bob", at=site.clock(), status=CaseStatus.IN_PROGRESS)
        await queue_case_notice(
            session, number=desk.case.number, notice=NoticeKind.UPDATE, actor="bob", at=site.clock(),
            text="We are looking at the delay.", dedupe_key="e2e-update",
        )  # fmt: skip

    async def held() -> bool:
        async with site.sessions() as session:
            item = (await session.exec(select(Outbox).where(Outbox.dedupe_key == "e2e-update"))).one()
        return item.last_error == HELD_ERROR

    await eventually(held)

    await site.add_agent("mia", role="supervisor")
    async with watched_context(chromium) as manager:
        screen = manager.page
        await screen.goto(f"{site.base_url}/agent/sign-in")
        await screen.get_by_label("Name").fill("mia")
        await screen.get_by_label("Password").fill(PASSWORD)
        await screen.get_by_role("button", name="Sign in").click()
        await expect(screen).to_have_url(re.compile(r"/agent$"))
        await screen.goto(f"{site.base_url}/agent/surveys")
        row = screen.locator("#tasks tbody tr").filter(has_text=desk.case.number)
        await expect(row).to_contain_text("detractor")
        await expect(row).to_contain_text("1 notice waits for your call")
        await expect(screen.locator("#results-agent")).to_contain_text("alice")
        await row.get_by_role("button", name="Done").click()
        await expect(row).to_contain_text("done")
        await expect(row.get_by_role("button", name="Done")).to_have_count(0)
        assert manager.errors == []
    async with site.sessions() as session:
        [task] = (await session.exec(select(SurveyFollowUp))).all()
    assert (task.status, task.done_by) == ("done", "mia")

    # The task done, the held update goes at the worker's next look.
    site.clock.now = site.clock() + HOLD_RECHECK
    update = await desk.mail(f"Case {desk.case.number}: ")
    assert "We are looking at the delay." in update.text
    assert page.errors == []
