"""The manager speaks first: while a detractor's follow-up task is open, the case's non-essential notices wait
in the outbox (the case's history says why, once), essential ones still go, and the held ones go once the task
is done. Mail goes through a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.mail import SmtpConfig
from bot.notice_worker import NoticeConfig, NoticeWorker
from intake.domain import CaseStatus
from intake.notices import NoticeKind
from store import surveys as survey_store
from store.accounts import import_accounts_csv
from store.cases import list_events, update_case
from store.db import SessionMaker
from store.models import Case, CasePublic, Outbox
from store.notices import queue_case_notice
from store.survey_holds import HELD_ERROR, HOLD_RECHECK, held_notices
from tests.bot.smtp import SmtpServer, smtp_server
from tests.bot.voice.harness import FakeClock, voice_config
from tests.store.survey_cases import CLOSED_AT, DUE, closed_case

ACCOUNTS = "k_number,name,phones,emails\nK123456,North Clinic,,pacs@north.example\n"


@dataclass
class Rig:
    worker: NoticeWorker
    clock: FakeClock
    smtp: SmtpServer
    sessions: SessionMaker

    async def update(self, case: CasePublic, text: str, key: str, notice: NoticeKind = NoticeKind.UPDATE) -> Outbox:
        async with self.sessions() as session, session.begin():
            await queue_case_notice(
                session,
                number=case.number,
                notice=notice,
                actor="bob",
                at=self.clock(),
                text=text,
                dedupe_key=key,
            )
        return await self.item(key)

    async def item(self, key: str) -> Outbox:
        async with self.sessions() as session:
            return (await session.exec(select(Outbox).where(Outbox.dedupe_key == key))).one()

    async def held_events(self, case: CasePublic) -> list[dict[str, object]]:
        async with self.sessions() as session:
            return [e.detail for e in await list_events(session, number=case.number) if e.kind == "notice_held"]


@pytest.fixture
async def rig(session_maker: SessionMaker) -> AsyncIterator[Rig]:
    clock = FakeClock(DUE)
    async with smtp_server() as smtp:
        config = NoticeConfig(
            smtp=SmtpConfig(host=smtp.host, port=smtp.port, sender="support@desk.example", tls="off"),
            sms=voice_config(account_sid="", auth_token="", from_number=""),
            link_secret="test-link-secret-0123456789abcdef0123456789",
            company="Vue Cloud Support",
            desk_tz=ZoneInfo("America/New_York"),
        )
        worker = NoticeWorker(config=config, session_maker=session_maker, clock=clock)
        try:
            yield Rig(worker, clock, smtp, session_maker)
        finally:
            worker.close()


async def _unhappy_and_reopened(rig: Rig) -> tuple[CasePublic, int]:
    """A closed case whose customer answered 3/10 (the manager's task opens), then reopened by an agent."""
    case = await closed_case(rig.sessions, phone=None)
    await import_accounts_csv(rig.sessions, ACCOUNTS, now=CLOSED_AT)
    async with rig.sessions() as session, session.begin():
        row = await session.get(Case, case.id)
        assert row is not None
        await survey_store.enrol(session, case=row, agent="alice", phone="", now=CLOSED_AT, due_at=DUE)
        [survey] = [s for s in await survey_store.due_surveys(session, now=DUE, limit=5) if s.case_id == case.id]
        assert await survey_store.open_follow_up(session, survey=survey, reason="detractor", now=DUE)
        [task] = await survey_store.follow_ups(session)
        await update_case(session, number=case.number, actor="bob", at=DUE, status=CaseStatus.IN_PROGRESS)
    return case, task.id


async def test_an_update_waits_while_the_managers_task_is_open_and_goes_once_it_is_done(rig: Rig) -> None:
    case, task_id = await _unhappy_and_reopened(rig)
    held = await rig.update(case, "We found the cause and are testing a fix.", "update-1")

    assert await rig.worker.run_once() == 1
    item = await rig.item("update-1")
    assert (item.status, item.last_error, item.attempts) == ("pending", HELD_ERROR, 0)
    assert item.next_attempt_at == DUE + HOLD_RECHECK
    # (the case's first words from an engineer: the update is sent as its first response)
    notice = held.payload["notice"]
    assert await rig.held_events(case) == [{"notice": notice, "outbox_id": held.id, "reason": "survey_follow_up"}]
    async with rig.sessions() as session:
        assert await held_notices(session, case_numbers=[case.number]) == {case.number: 1}

    # Looked at again while the task is still open: still held, not counted as an attempt, said once.
    rig.clock.now = DUE + HOLD_RECHECK
    assert await rig.worker.run_once() == 1
    item = await rig.item("update-1")
    assert (item.status, item.attempts) == ("pending", 0)
    assert len(await rig.held_events(case)) == 1
    assert rig.smtp.inbox.queue.empty()

    async with rig.sessions() as session, session.begin():
        assert await survey_store.close_follow_up(session, task_id=task_id, actor="mia", note="called", now=rig.clock())
    rig.clock.now += HOLD_RECHECK
    assert await rig.worker.run_once() == 1
    mail = await rig.smtp.next()
    assert mail.message["Subject"].startswith(f"Case {case.number}: ")
    assert "We found the cause" in mail.text
    assert (await rig.item("update-1")).status == "sent"


async def test_an_essential_notice_is_not_held(rig: Rig) -> None:
    case, _ = await _unhappy_and_reopened(rig)
    await rig.update(case, "Fixed the print driver.", "resolution-1", NoticeKind.RESOLUTION)
    await rig.worker.run_once()
    mail = await rig.smtp.next()
    assert mail.message["Subject"] == f"Case {case.number} is resolved"
    assert await rig.held_events(case) == []


async def test_another_cases_notices_are_not_held(rig: Rig) -> None:
    await _unhappy_and_reopened(rig)
    other = await closed_case(rig.sessions, key="case-2", phone=None)
    await rig.update(other, "News on your other case.", "update-other")
    await rig.worker.run_once()
    mail = await rig.smtp.next()
    assert mail.message["Subject"].startswith(f"Case {other.number}: ")
    assert (await rig.item("update-other")).status == "sent"
