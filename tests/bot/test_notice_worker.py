"""Notices delivered through a real SMTP server (aiosmtpd on loopback) and the loopback Twilio Messages API:
to the account's addresses or phones, in its time zone, with the opt-out honoured and recorded on the case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.delivery import DeliveryPolicy
from bot.mail import SmtpConfig
from bot.notice_worker import NoticeConfig, NoticeWorker
from intake.domain import CaseStatus
from intake.notices import NoticeKind
from store.accounts import get_account, import_accounts_csv, set_unsubscribed
from store.cases import list_events, update_case
from store.db import SessionMaker
from store.models import CasePublic, Outbox
from store.notices import notice_item, queue_case_notice, queue_resolution, queue_staff_mail
from tests.bot.smtp import SmtpServer, smtp_server
from tests.bot.voice.harness import FakeClock, FakeTwilio, serve, voice_config
from tests.store.helpers import T0, new_case

SECRET = "test-link-secret-0123456789abcdef-0123456789"
ACCOUNTS = """k_number,name,phones,emails,timezone,notify
K123456,North Clinic,+1 617 253 1000,pacs@north.example;it@north.example,America/Chicago,email
K7654,South Imaging,+1 202 555 0143,,,sms
K9999,Nowhere,,,,
"""


@dataclass
class Rig:
    worker: NoticeWorker
    clock: FakeClock
    smtp: SmtpServer
    twilio: FakeTwilio
    sessions: SessionMaker

    async def case(self, k_number: str = "K123456", **more: object) -> CasePublic:
        confirmation = notice_item(NoticeKind.CONFIRMATION, dedupe_key=f"{k_number}:confirmation", locale="en-US")
        return await new_case(self.sessions, f"key-{k_number}", k_number=k_number, outbox=[confirmation], **more)

    async def events(self, case: CasePublic) -> list[tuple[str, dict[str, object]]]:
        async with self.sessions() as session:
            return [(e.kind, e.detail) for e in await list_events(session, number=case.number)]

    async def outbox(self, item_id: int) -> Outbox:
        async with self.sessions() as session:
            row = await session.get(Outbox, item_id)
        assert row is not None
        return row


@pytest.fixture
async def rig(session_maker: SessionMaker) -> AsyncIterator[Rig]:
    await import_accounts_csv(session_maker, ACCOUNTS, now=T0)
    twilio = FakeTwilio()
    clock = FakeClock(T0)
    async with smtp_server() as smtp, serve(twilio.app()) as twilio_url:
        config = NoticeConfig(
            smtp=SmtpConfig(host=smtp.host, port=smtp.port, sender="support@desk.example", tls="off"),
            sms=voice_config(twilio_api_base=twilio_url, public_base_url="https://desk.example"),
            link_secret=SECRET,
            company="Vue Cloud Support",
            desk_tz=ZoneInfo("America/New_York"),
        )
        policy = DeliveryPolicy(first_retry=timedelta(seconds=30), max_attempts=3)
        worker = NoticeWorker(config=config, session_maker=session_maker, clock=clock, policy=policy)
        try:
            yield Rig(worker, clock, smtp, twilio, session_maker)
        finally:
            worker.close()


async def test_the_confirmation_reaches_every_address_in_the_accounts_zone(rig: Rig) -> None:
    case = await rig.case()
    assert await rig.worker.run_once() == 1
    mail = await rig.smtp.next()
    assert sorted(mail.rcpt_tos) == ["it@north.example", "pacs@north.example"]
    assert mail.message["Subject"] == f"Case {case.number} received: Severity 2 (severely degraded)"
    assert mail.message["From"] == "support@desk.example"
    assert mail.message["Message-ID"].startswith("<notice-") and mail.message["Auto-Submitted"] == "auto-generated"
    # T0 + 1 h in Chicago: the account's zone.
    due = (T0 + timedelta(hours=1)).astimezone(ZoneInfo("America/Chicago")).strftime("%-I:%M %p")
    assert f"will respond by {due} Central" in mail.text
    assert case.number in mail.html and "<p>" in mail.html
    assert "List-Unsubscribe" not in mail.message  # the confirmation is essential: nothing to opt out of
    sent = [d for k, d in await rig.events(case) if k == "notice_sent"]
    assert sent == [{"outbox_id": sent[0]["outbox_id"], "kind": "notice", "attempts": 1, "channel": "email",
                     "recipients": 2, "notice": "confirmation"}]  # fmt: skip
    assert await rig.worker.run_once() == 0  # sent once


async def test_an_account_that_prefers_sms_is_texted(rig: Rig) -> None:
    case = await rig.case("K7654")
    await rig.worker.run_once()
    [text] = rig.twilio.messages
    assert text["to"] == "+12025550143" and text["from"] == "+18005550199"
    assert text["body"].startswith(f"Vue Cloud Support: Case {case.number} received")
    assert ("notice_sent", "sms") in [(k, d.get("channel")) for k, d in await rig.events(case)]
    assert rig.smtp.inbox.queue.empty()


async def test_an_account_nobody_can_reach_is_recorded_on_the_case(rig: Rig) -> None:
    case = await rig.case("K9999")
    await rig.worker.run_once()
    failed = [d for k, d in await rig.events(case) if k == "notice_failed"]
    assert failed and failed[0]["error"] == "the account has no contact address we can use"
    assert failed[0]["retry_at"] is None


async def test_opted_out_contacts_get_only_the_essentials(rig: Rig) -> None:
    case = await rig.case()
    async with rig.sessions() as session, session.begin():
        account = await get_account(session, k_number="K123456")
        assert account is not None
        await set_unsubscribed(session, account_id=account.id, at=T0, unsubscribed=True)
        await queue_case_notice(session, number=case.number, notice=NoticeKind.UPDATE, actor="a", at=T0, text="News")
        await queue_resolution(session, number=case.number, note="Fixed.", actor="a", at=T0)
    await rig.worker.run_once()
    subjects = sorted([(await rig.smtp.next()).message["Subject"] for _ in range(2)])
    assert subjects == [
        f"Case {case.number} is resolved",
        f"Case {case.number} received: Severity 2 (severely degraded)",
    ]
    skipped = [d for k, d in await rig.events(case) if k == "notice_skipped"]
    assert skipped == [{"outbox_id": skipped[0]["outbox_id"], "kind": "notice",
                        "reason": "the contacts asked for essential messages only"}]  # fmt: skip


async def test_a_non_essential_notice_carries_a_one_click_opt_out(rig: Rig) -> None:
    case = await rig.case()
    async with rig.sessions() as session, session.begin():
        await queue_case_notice(session, number=case.number, notice=NoticeKind.UPDATE, actor="a", at=T0, text="News")
    await rig.worker.run_once()
    mails = [await rig.smtp.next() for _ in range(2)]
    # The first update an engineer sends is the case's first response.
    update = next(m for m in mails if "working on it" in m.message["Subject"])
    link = update.message["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://desk.example/notices/unsubscribe/") and link in update.text
    assert update.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "K123456" not in link and "north" not in link  # nothing readable about the customer


async def test_a_refused_mail_fails_for_good_and_an_unreachable_server_is_retried(rig: Rig) -> None:
    case = await rig.case()
    rig.smtp.inbox.refuse = True
    await rig.worker.run_once()
    [failed] = [d for k, d in await rig.events(case) if k == "notice_failed"]
    assert failed["error"] == "smtp 550" and failed["retry_at"] is None
    # A server that cannot be reached is tried again later, with the same message identity.
    async with rig.sessions() as session, session.begin():
        await queue_staff_mail(session, to=["sup@desk.example"], subject="s", text="t", at=T0, dedupe_key="s1")
    rig.worker._config = NoticeConfig(
        smtp=SmtpConfig(host="127.0.0.1", port=1, sender="support@desk.example", tls="off"),
        sms=rig.worker._config.sms,
        link_secret=SECRET,
        company="Vue Cloud Support",
        desk_tz=ZoneInfo("America/New_York"),
    )
    await rig.worker.run_once()
    async with rig.sessions() as session:
        staff = (await session.exec(select(Outbox).where(Outbox.kind == "staff_mail"))).one()
    assert staff.status == "pending" and staff.attempts == 1
    assert staff.next_attempt_at == T0 + timedelta(seconds=30)


async def test_the_follow_up_waits_two_days_and_is_dropped_for_a_reopened_case(rig: Rig) -> None:

    case = await rig.case()
    async with rig.sessions() as session, session.begin():
        await update_case(session, number=case.number, actor="a", at=T0, status=CaseStatus.RESOLVED)
        await queue_resolution(session, number=case.number, note="Fixed.", actor="a", at=T0)
    await rig.worker.run_once()
    assert {(await rig.smtp.next()).message["Subject"] for _ in range(2)} == {
        f"Case {case.number} received: Severity 2 (severely degraded)",
        f"Case {case.number} is resolved",
    }
    rig.clock.now = T0 + timedelta(days=1)
    assert await rig.worker.run_once() == 0
    rig.clock.now = T0 + timedelta(days=2)
    assert await rig.worker.run_once() == 1
    follow_up = await rig.smtp.next()
    assert follow_up.message["Subject"] == f"Case {case.number}: is everything working?"
    assert "https://desk.example/notices/case/" in follow_up.text
    # Resolved again after a reopen: the first follow-up is no longer wanted when its time comes.
    other = await rig.case("K7654")
    async with rig.sessions() as session, session.begin():
        await update_case(session, number=other.number, actor="a", at=T0, status=CaseStatus.RESOLVED)
        await queue_resolution(session, number=other.number, note="Fixed.", actor="a", at=T0)
        await update_case(
            session, number=other.number, actor="a", at=T0 + timedelta(hours=1), status=CaseStatus.IN_PROGRESS
        )
    rig.clock.now = T0 + timedelta(days=3)
    await rig.worker.run_once()
    assert ("notice_skipped", "the case is no longer resolved") in [
        (k, d.get("reason")) for k, d in await rig.events(other)
    ]


async def test_addresses_without_a_mail_server_are_tried_again_not_given_up(rig: Rig) -> None:
    # An account reachable only by email, on a desk that has not set up its mail server yet.
    await import_accounts_csv(rig.sessions, "k_number,name,phones,emails\nK5555,East,,ops@east.example\n", now=T0)
    case = await rig.case("K5555")
    rig.worker._config = replace(rig.worker._config, smtp=SmtpConfig(host="", port=25, sender=""))
    await rig.worker.run_once()
    [failed] = [d for k, d in await rig.events(case) if k == "notice_failed"]
    assert failed["error"] == "email is not configured (SMTP_HOST, SMTP_FROM)" and failed["retry_at"] is not None
