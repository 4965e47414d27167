"""The SLA watch on a real database: warn and breach each fire once, however many watchers run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.paging import PAGE_KIND
from bot.sla_watch import SLA_WATCH, SlaWatch
from intake.domain import CaseEventKind, CaseStatus, Severity
from intake.policy import Policy
from store.cases import list_events, record_first_response, update_case
from store.db import SessionMaker, create_engine, session_factory
from store.jobs import Jobs
from store.models import Case, Outbox, SlaAlert
from tests.bot.conftest import FakeClock, start_service, stored_cases
from tests.store.helpers import T0, new_case

POLICY = Policy()  # Sev2: response 1 h (warned at 45 min); Sev1: response 15 min
BACKUP = ("+16175550111",)


class Now:
    """The watch's clock, moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[SessionMaker]:
    engine = create_engine(db_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _alerts(jobs: Jobs) -> list[tuple[str, str]]:
    def read(conn: Connection) -> list[tuple[str, str]]:
        rows = conn.execute(select(SlaAlert.clock, SlaAlert.threshold).order_by(col(SlaAlert.id)))
        return [(clock, threshold) for clock, threshold in rows]

    return await jobs.read(read)


async def _kinds(sessions: SessionMaker, number: str) -> list[str]:
    async with sessions() as session:
        return [e.kind for e in await list_events(session, number=number) if e.kind.startswith("sla_")]


async def test_a_warning_and_a_breach_each_fire_once(jobs: Jobs, sessions: SessionMaker) -> None:
    case = await new_case(jobs, created_at=T0)
    now = Now(T0 + timedelta(minutes=30))
    watch = SlaWatch(jobs=jobs, policy=POLICY, clock=now)
    assert await watch.run_once() == 0
    now.at = T0 + timedelta(minutes=46)
    assert await watch.run_once() == 1
    assert await watch.run_once() == 0  # the same instant again: nothing new
    now.at = T0 + timedelta(minutes=61)
    assert await watch.run_once() == 1
    assert await _alerts(jobs) == [("response", "warn"), ("response", "breach")]
    assert await _kinds(sessions, case.number) == [CaseEventKind.SLA_WARNING.value, CaseEventKind.SLA_BREACHED.value]


async def test_a_case_answered_in_time_is_never_warned(jobs: Jobs, sessions: SessionMaker) -> None:
    case = await new_case(jobs, created_at=T0)
    async with sessions() as session, session.begin():
        await record_first_response(session, number=case.number, actor="alice", at=T0 + timedelta(minutes=10))
    watch = SlaWatch(jobs=jobs, policy=POLICY, clock=Now(T0 + timedelta(minutes=50)))
    assert await watch.run_once() == 0
    assert await _alerts(jobs) == []


async def test_the_watch_looks_only_at_cases_due_a_look(jobs: Jobs) -> None:
    await new_case(jobs, created_at=T0)
    watch = SlaWatch(jobs=jobs, policy=POLICY, clock=Now(T0 + timedelta(minutes=1)))
    await watch.run_once()

    def next_look(conn: Connection) -> datetime | None:
        value: datetime | None = conn.execute(select(Case.sla_next_at)).scalar_one()
        return value

    # The next look is the warning instant: until then no round touches the case.
    assert await jobs.read(next_look) == T0 + timedelta(minutes=45)


async def test_an_event_brings_the_next_look_forward(jobs: Jobs, sessions: SessionMaker) -> None:
    case = await new_case(jobs, created_at=T0)
    watch = SlaWatch(jobs=jobs, policy=POLICY, clock=Now(T0 + timedelta(minutes=1)))
    await watch.run_once()  # next look: the Sev2 warning at 45 minutes
    async with sessions() as session, session.begin():
        await update_case(
            session, number=case.number, actor="alice", at=T0 + timedelta(minutes=2), severity=Severity.SEV1
        )
    # As a Sev1 its response is warned at 75% of 15 minutes: the raised severity is seen at once.
    watch = SlaWatch(jobs=jobs, policy=POLICY, clock=Now(T0 + timedelta(minutes=12)))
    assert await watch.run_once() == 1
    assert await _alerts(jobs) == [("response", "warn")]


async def test_an_unanswered_sev1_pages_the_backup_on_call_once(jobs: Jobs, sessions: SessionMaker) -> None:
    case = await new_case(jobs, created_at=T0, severity=Severity.SEV1)
    now = Now(T0 + timedelta(minutes=16))
    watch = SlaWatch(jobs=jobs, policy=POLICY, clock=now, backup_numbers=BACKUP)
    assert await watch.run_once() == 2  # warned and breached in one look
    now.at += timedelta(minutes=5)
    assert await watch.run_once() == 0

    def pages(conn: Connection) -> list[dict[str, object]]:
        rows = conn.execute(select(Outbox.payload).where(col(Outbox.case_id) == case.id, Outbox.kind == PAGE_KIND))
        return [payload for (payload,) in rows]

    [page] = await jobs.read(pages)
    assert page["to"] == list(BACKUP) and "backup on-call" in str(page["reason"])


async def test_a_paused_case_raises_nothing_until_the_customer_replies(jobs: Jobs, sessions: SessionMaker) -> None:
    case = await new_case(jobs, created_at=T0)
    async with sessions() as session, session.begin():
        await record_first_response(session, number=case.number, actor="alice", at=T0 + timedelta(minutes=5))
        await update_case(
            session, number=case.number, actor="alice", at=T0 + timedelta(minutes=6), status=CaseStatus.PENDING_CUSTOMER
        )
    watch = SlaWatch(jobs=jobs, policy=POLICY, clock=Now(T0 + timedelta(hours=30)))
    assert await watch.run_once() == 0


async def test_two_watchers_at_once_fire_each_alert_exactly_once(db_url: str, jobs: Jobs) -> None:
    for n in range(12):
        await new_case(jobs, f"key-{n}", created_at=T0)
    other_engine = create_engine(db_url)
    other = Jobs(other_engine)
    try:
        at = Now(T0 + timedelta(minutes=61))
        first = SlaWatch(jobs=jobs, policy=POLICY, clock=at, batch=5)
        second = SlaWatch(jobs=other, policy=POLICY, clock=at, batch=5)
        fired = await asyncio.gather(first.run_once(), second.run_once(), first.run_once(), second.run_once())
    finally:
        await other.aclose()
        await other_engine.dispose()
    assert sum(fired) == 24  # a warning and a breach for each of the 12 cases

    def count(conn: Connection) -> int:
        value: int = conn.execute(select(func.count()).select_from(SlaAlert)).scalar_one()
        return value

    assert await jobs.read(count) == 24


async def test_the_service_runs_the_watch_with_its_settings(db_url: str, jobs: Jobs) -> None:
    case = await new_case(jobs, created_at=T0, severity=Severity.SEV1)
    clock = FakeClock(T0 + timedelta(minutes=20))
    runner, _ = await start_service(db_url, clock, oncall_backup_numbers="+16175550111", sla_watch_seconds=3600)
    try:
        watch = runner.app[SLA_WATCH]
        assert watch.backup_numbers == BACKUP
        await watch.run_once()  # the round at start-up may have fired them already: either way, once
    finally:
        await runner.cleanup()
    assert await _alerts(jobs) == [("response", "warn"), ("response", "breach")]
    assert [c.number for c in await stored_cases(db_url)] == [case.number]
