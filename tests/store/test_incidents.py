"""Incidents in the store: the reports rule at filing, one page, links, detaching, updates and resolution."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from intake.domain import CaseStatus, Channel, Outcome, Severity
from store import cases as case_store
from store import incidents as inc
from store.db import SessionMaker, create_engine
from store.jobs import Jobs
from store.models import CaseEvent, IncidentStatus, Outbox
from store.outbox import NewOutboxItem

from .helpers import T0

RULE = inc.ReportsRule(min_accounts=3, window=timedelta(minutes=15))


def _case(key: str, k_number: str, minutes: float, severity: Severity = Severity.SEV1) -> case_store.CaseCreate:
    at = T0 + timedelta(minutes=minutes)
    return case_store.CaseCreate(
        idempotency_key=key,
        k_number=k_number,
        severity=severity,
        channel=Channel.CHAT,
        outcome=Outcome.REDIRECT_PHONE,
        summary="The viewer is down",
        description="Nobody can open studies in the viewer.",
        created_at=at,
        response_due=at + timedelta(minutes=15),
        fix_due=at + timedelta(hours=4),
    )


def _page(key: str) -> NewOutboxItem:
    return NewOutboxItem(kind="sms_page", dedupe_key=f"{key}:page", payload={"summary": "case"})


def _incident_page(incident_id: int, component: str, accounts: int) -> NewOutboxItem:
    return NewOutboxItem(
        kind="sms_page", dedupe_key=f"incident:{incident_id}:page", payload={"summary": f"{component} {accounts}"}
    )


async def _file(jobs: Jobs, key: str, k_number: str, minutes: float, **kw: Any) -> inc.Filed:
    severity = kw.pop("severity", Severity.SEV1)
    components = kw.pop("components", ("viewer",))
    page = _page(key) if severity is Severity.SEV1 else None
    return await inc.file_with_rule(
        jobs,
        case=_case(key, k_number, minutes, severity),
        components=components,
        rule=kw.pop("rule", RULE),
        case_page=page,
        incident_page=_incident_page,
    )


def _filing(key: str, k_number: str, minutes: float) -> Any:
    """A Sev1 report of the viewer as a store job, to run in a transaction the test holds open."""
    return partial(
        inc.file_case,
        case=_case(key, k_number, minutes),
        components=("viewer",),
        rule=RULE,
        case_page=_page(key),
        incident_page=_incident_page,
    )


async def _pages(session_maker: SessionMaker) -> list[str]:
    async with session_maker() as session:
        rows = (await session.exec(select(Outbox).where(Outbox.kind == "sms_page").order_by(col(Outbox.id)))).all()
        return [r.dedupe_key or "" for r in rows]


async def test_three_accounts_open_one_incident_paged_once(jobs: Jobs, session_maker: SessionMaker) -> None:
    first = await _file(jobs, "a", "K100001", 0)
    again = await _file(jobs, "b", "K100001", 1)  # the same account twice is one account
    assert first.incident is None and again.incident is None
    second = await _file(jobs, "c", "K100002", 5)
    assert second.incident is None
    third = await _file(jobs, "d", "K100003", 14)
    assert third.opened and third.incident is not None
    incident = await jobs.read(partial(inc.incident_of, incident_id=third.incident.id))
    assert incident is not None and third.incident.opened_at == incident.opened_at
    assert incident.component == third.incident.component == "viewer" and incident.status is IncidentStatus.OPEN
    assert incident.opened_by == "auto" and incident.opened_at == T0 + timedelta(minutes=14)
    assert incident.cases == [first.case.number, again.case.number, second.case.number, third.case.number]
    later = await _file(jobs, "e", "K100004", 30)  # outside the window, but the incident is open
    assert later.incident is not None and later.incident.id == incident.id and not later.opened
    # The three reports before the incident were paged as any Sev1; the incident once; the later one not.
    assert await _pages(session_maker) == ["a:page", "b:page", "c:page", f"incident:{incident.id}:page"]
    retried = await _file(jobs, "e", "K100004", 30)
    assert retried.case.number == later.case.number and retried.incident is not None
    async with session_maker() as session:
        events = await case_store.list_events(session, number=later.case.number)
    assert [e.kind for e in events if e.kind == inc.INCIDENT_LINKED] == [inc.INCIDENT_LINKED]


async def test_reports_outside_the_window_or_severity_or_component_do_not_count(jobs: Jobs) -> None:
    await _file(jobs, "a", "K100001", 0)
    await _file(jobs, "b", "K100002", 10, severity=Severity.SEV3)  # a Sev3 is not an outage report
    await _file(jobs, "c", "K100003", 12, components=("worklist",))
    assert (await _file(jobs, "d", "K100004", 16)).incident is None  # "a" is 16 minutes old
    assert (await _file(jobs, "e", "K100005", 20, severity=Severity.SEV2)).incident is None
    opened = await _file(jobs, "f", "K100006", 25, severity=Severity.SEV2)
    assert opened.opened and opened.incident is not None
    incident = await jobs.read(partial(inc.incident_of, incident_id=opened.incident.id))
    assert incident is not None and len(incident.cases) == 3


async def test_agent_opens_links_detaches_updates_and_resolves(jobs: Jobs, session_maker: SessionMaker) -> None:
    one = await _file(jobs, "a", "K100001", 0, components=())
    two = await _file(jobs, "b", "K100002", 1, severity=Severity.SEV2)
    at = T0 + timedelta(minutes=2)
    async with session_maker() as session, session.begin():
        opened = await inc.open_incident(session, component="viewer", title="Viewer outage", actor="alice", at=at)
        with pytest.raises(inc.IncidentError):
            async with session.begin_nested():
                await inc.open_incident(session, component="viewer", title="again", actor="bob", at=at)
        await inc.link_case(session, incident_id=opened.id, number=one.case.number, actor="alice", at=at)
        await inc.link_case(session, incident_id=opened.id, number=two.case.number, actor="alice", at=at)
    # A Sev1 linked to an incident nobody paged yet pages the incident, once.
    three = await _file(jobs, "c", "K100003", 3)
    four = await _file(jobs, "d", "K100004", 4)
    assert three.incident is not None and three.incident.id == opened.id and four.incident is not None
    assert await _pages(session_maker) == ["a:page", f"incident:{opened.id}:page"]
    async with session_maker() as session, session.begin():
        detached = await inc.detach_case(session, incident_id=opened.id, number=two.case.number, actor="bob", at=at)
        assert two.case.number in detached.detached and two.case.number not in detached.cases
        incident, _, _ = await inc.record_update(
            session, incident_id=opened.id, text="Fix deploying", actor="bob", at=at
        )
        assert incident.cases == [one.case.number, three.case.number, four.case.number]
        resolved = await inc.resolve_incident(
            session, incident_id=opened.id, resolution="Restarted the viewer", actor="bob", at=at
        )
        assert resolved.status is IncidentStatus.RESOLVED and resolved.resolution == "Restarted the viewer"
    async with session_maker() as session:
        statuses = {n: (await case_store.get_case(session, number=n)) for n in resolved.cases + resolved.detached}
        assert {n: c.status for n, c in statuses.items() if c} == {
            one.case.number: CaseStatus.RESOLVED,
            two.case.number: CaseStatus.NEW,
            three.case.number: CaseStatus.RESOLVED,
            four.case.number: CaseStatus.RESOLVED,
        }
        events = (await session.exec(select(CaseEvent).where(CaseEvent.kind == "status_changed"))).all()
        assert all("Restarted the viewer" in e.detail["reason"] for e in events) and len(events) == 3
        with pytest.raises(inc.IncidentError):
            await inc.resolve_incident(session, incident_id=opened.id, resolution="x", actor="bob", at=at)
    # Resolved: the next reports open a new incident of the viewer.
    for i, k in enumerate(("K200001", "K200002", "K200003")):
        filed = await _file(jobs, f"n{i}", k, 10 + i)
    assert filed.opened and filed.incident is not None and filed.incident.id != opened.id


async def test_a_case_is_in_at_most_one_incident(jobs: Jobs, session_maker: SessionMaker) -> None:
    case = await _file(jobs, "a", "K100001", 0, components=("viewer", "login"))
    async with session_maker() as session, session.begin():
        viewer = await inc.open_incident(session, component="viewer", title="v", actor="alice", at=T0)
        login = await inc.open_incident(session, component="login", title="l", actor="alice", at=T0)
        await inc.link_case(session, incident_id=viewer.id, number=case.case.number, actor="alice", at=T0)
        with pytest.raises(inc.IncidentError, match="linked to incident"):
            await inc.link_case(session, incident_id=login.id, number=case.case.number, actor="alice", at=T0)
        with pytest.raises(inc.IncidentNotFoundError):
            await inc.record_update(session, incident_id=9999, text="x", actor="alice", at=T0)


@pytest.mark.postgres
async def test_two_processes_seeing_the_third_report_open_one_incident(db_url: str, jobs: Jobs) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: its filings cannot interleave")
    first_two = [(await _file(jobs, key, f"K10000{n}", n - 1)).case.number for n, key in ((1, "a"), (2, "b"))]
    engine = create_engine(db_url)
    try:
        job = _filing("c", "K100003", 2)
        async with engine.connect() as first:
            await first.begin()
            winner = await first.run_sync(job)  # opened, not committed yet
            assert winner.opened
            # The other process counts the same three accounts (it cannot see "c") and tries to open too.
            other = asyncio.create_task(_file(jobs, "d", "K100004", 3))
            await _until_blocked(engine)
            await first.commit()
        loser = await other
    finally:
        await engine.dispose()
    assert winner.incident is not None and loser.incident is not None
    assert loser.incident.id == winner.incident.id and not loser.opened
    incident = await jobs.read(partial(inc.incident_of, incident_id=loser.incident.id))
    assert incident is not None
    assert sorted(incident.cases) == sorted([*first_two, winner.case.number, loser.case.number])
    async with create_engine(db_url).connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM incidents"))).scalar()
        pages = (await conn.execute(text("SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'incident:%'"))).scalar()
    assert count == 1 and pages == 1


@pytest.mark.postgres
async def test_reports_filed_at_once_each_count_the_ones_before_them(db_url: str, jobs: Jobs) -> None:
    # A storm: the second and third accounts report while neither has committed. Each must count the other,
    # or both page on their own and the fourth opens the incident (an extra page to the engineer).
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: its filings cannot interleave")
    await _file(jobs, "a", "K100001", 0)
    engine = create_engine(db_url)
    try:
        job = _filing("b", "K100002", 1)
        async with engine.connect() as first:
            await first.begin()
            second = await first.run_sync(job)  # two accounts: paged on its own; not committed yet
            third = asyncio.create_task(_file(jobs, "c", "K100003", 2))
            waiting = asyncio.create_task(_until_blocked(engine))
            await asyncio.wait({third, waiting}, return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting  # its watcher connection closed before the engine is disposed
            await first.commit()
        filed = await third
    finally:
        await engine.dispose()
    assert second.incident is None
    assert filed.opened  # it saw the second report once that was committed
    async with create_engine(db_url).connect() as conn:
        pages = (await conn.execute(text("SELECT dedupe_key FROM outbox ORDER BY id"))).scalars().all()
    assert pages == ["a:page", "b:page", f"incident:{filed.incident.id if filed.incident else 0}:page"]


async def _until_blocked(engine: Any) -> None:
    """Wait until another transaction waits on a lock (a second filing on the first's lock or index entry)."""
    async with engine.connect() as watcher:
        while not (await watcher.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))).scalar():
            await watcher.rollback()  # a fresh snapshot of pg_locks each round


async def test_an_update_with_a_key_already_used_is_that_update_again(session_maker: SessionMaker) -> None:
    async with session_maker() as session, session.begin():
        opened = await inc.open_incident(session, component="viewer", title="Viewer down", actor="ann", at=T0)
        _, first, new = await inc.record_update(session, incident_id=opened.id, text="a", actor="ann", at=T0, key="k")
        _, again, repeated = await inc.record_update(
            session, incident_id=opened.id, text="a", actor="ann", at=T0, key="k"
        )
        _, other, _ = await inc.record_update(session, incident_id=opened.id, text="b", actor="ann", at=T0)
        _, another, _ = await inc.record_update(session, incident_id=opened.id, text="b", actor="ann", at=T0)
    assert (new, repeated) == (True, False) and again == first
    assert len({first, other, another}) == 3  # without a key every update is its own
    async with session_maker() as session:
        assert len(await inc.updates_of(session, incident_id=opened.id)) == 3
