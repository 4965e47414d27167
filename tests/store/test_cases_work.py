"""The case workspace's store: assigning and claiming cases (one claim wins), resolve/close/reopen, paged lists."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from intake.domain import CaseEventKind, CaseStatus, Severity
from store.cases import list_events
from store.cases_work import (
    CaseQuery,
    CaseStateError,
    CaseTakenError,
    View,
    assign_case,
    claim_case,
    clock_events_of,
    close_case,
    list_work,
    reopen_case,
    resolve_case,
)
from store.db import SessionMaker
from store.errors import CaseNotFoundError
from store.models import Outbox
from store.notices import FOLLOW_UP_AFTER

from .helpers import T0, new_case

LATER = T0 + timedelta(minutes=5)


async def test_claim_assigns_and_logs_who_had_it_before(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker)
    assert case.assignee is None
    async with session_maker() as session, session.begin():
        claimed = await claim_case(session, number=case.number, agent="ann", at=LATER)
    assert claimed.assignee == "ann"
    async with session_maker() as session, session.begin():
        # Claiming what is already yours changes nothing and logs nothing.
        await claim_case(session, number=case.number, agent="ann", at=LATER)
        with pytest.raises(CaseTakenError, match="assigned to ann"):
            await claim_case(session, number=case.number, agent="bob", at=LATER)
    async with session_maker() as session, session.begin():
        # A supervisor's assignment is not a claim: it moves the case.
        moved = await assign_case(session, number=case.number, assignee="bob", actor="sue", at=LATER)
        freed = await assign_case(session, number=case.number, assignee=None, actor="bob", at=LATER)
    assert (moved.assignee, freed.assignee) == ("bob", None)
    async with session_maker() as session:
        events = [e for e in await list_events(session, number=case.number) if e.kind == CaseEventKind.ASSIGNED]
    assert [(e.actor, e.detail) for e in events] == [
        ("ann", {"from": None, "to": "ann"}),
        ("sue", {"from": "ann", "to": "bob"}),
        ("bob", {"from": "bob", "to": None}),
    ]


async def test_unknown_case_cannot_be_claimed(session_maker: SessionMaker) -> None:
    async with session_maker() as session, session.begin():
        with pytest.raises(CaseNotFoundError):
            await claim_case(session, number="2611-9999", agent="ann", at=LATER)
        with pytest.raises(CaseNotFoundError):
            await claim_case(session, number="not a number", agent="ann", at=LATER)


async def _someone_waits_on_a_lock(session_maker: SessionMaker) -> None:
    """Return once another transaction waits on a row lock (PostgreSQL); SQLite's writers queue on BEGIN."""
    async with session_maker() as probe:
        if probe.bind.dialect.name != "postgresql":
            return
        while True:
            waiting = await (await probe.connection()).execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            if waiting.scalar_one():
                return
            await asyncio.sleep(0.01)


async def test_concurrent_claims_one_wins_the_other_is_told_who(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker)

    async def claim_as(agent: str) -> str:
        async with session_maker() as session, session.begin():
            return (await claim_case(session, number=case.number, agent=agent, at=LATER)).assignee or ""

    async with session_maker() as first, first.begin():
        await claim_case(first, number=case.number, agent="ann", at=LATER)
        second = asyncio.create_task(claim_as("bob"))
        await _someone_waits_on_a_lock(session_maker)
    with pytest.raises(CaseTakenError) as refused:
        await second
    assert refused.value.assignee == "ann"
    async with session_maker() as session:
        events = [e for e in await list_events(session, number=case.number) if e.kind == CaseEventKind.ASSIGNED]
    assert len(events) == 1


async def test_resolve_close_and_reopen(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker)
    async with session_maker() as session, session.begin():
        with pytest.raises(CaseStateError, match="resolve it"):
            await close_case(session, number=case.number, actor="sue", at=LATER)
    async with session_maker() as session, session.begin():
        resolved = await resolve_case(
            session, number=case.number, resolution="Restarted the service", actor="ann", at=LATER
        )
        with pytest.raises(CaseStateError):
            await resolve_case(session, number=case.number, resolution="again", actor="ann", at=LATER)
    assert (resolved.status, resolved.resolved_at) == (CaseStatus.RESOLVED, LATER)
    async with session_maker() as session, session.begin():
        closed = await close_case(session, number=case.number, actor="sue", at=LATER + timedelta(hours=1))
        with pytest.raises(CaseStateError, match="closed already"):
            await close_case(session, number=case.number, actor="sue", at=LATER)
    assert (closed.status, closed.closed_at) == (CaseStatus.CLOSED, LATER + timedelta(hours=1))
    async with session_maker() as session, session.begin():
        reopened = await reopen_case(session, number=case.number, actor="sue", at=LATER, reason="It came back")
        with pytest.raises(CaseStateError, match="not resolved or closed"):
            await reopen_case(session, number=case.number, actor="sue", at=LATER, reason="again")
    assert reopened.status is CaseStatus.IN_PROGRESS
    async with session_maker() as session:
        changes = [e.detail for e in await list_events(session, number=case.number) if e.kind == "status_changed"]
    assert changes == [
        {"from": "new", "to": "resolved", "reason": "Restarted the service"},
        {"from": "resolved", "to": "closed"},
        {"from": "closed", "to": "in_progress", "reason": "It came back"},
    ]
    # The customer is told what was done, and asked two days later whether everything works.
    async with session_maker() as session:
        queued = (await session.exec(select(Outbox).where(Outbox.case_id == case.id).order_by(col(Outbox.id)))).all()
    assert [(o.payload["notice"], o.payload.get("text"), o.next_attempt_at) for o in queued] == [
        ("resolution", "Restarted the service", LATER),
        ("follow_up", None, LATER + FOLLOW_UP_AFTER),
    ]


async def test_lists_by_view_and_filters_newest_first_in_pages(session_maker: SessionMaker) -> None:
    made = []
    for i in range(7):
        made.append(
            await new_case(
                session_maker,
                f"k{i}",
                severity=Severity.SEV1 if i % 2 else Severity.SEV3,
                k_number="K111111" if i < 3 else "K222222",
                status=CaseStatus.RESOLVED if i == 6 else CaseStatus.NEW,
                created_at=T0 + timedelta(minutes=i),
            )
        )
    async with session_maker() as session, session.begin():
        for i in (1, 2):
            await claim_case(session, number=made[i].number, agent="ann", at=LATER)
        await claim_case(session, number=made[3].number, agent="bob", at=LATER)

    async def numbers(query: CaseQuery, **kwargs: int) -> list[str]:
        async with session_maker() as session:
            return [c.number for c in await list_work(session, query=query, **kwargs)]

    n = [c.number for c in made]
    assert await numbers(CaseQuery()) == n[::-1]
    assert await numbers(CaseQuery(view=View.MINE, me="ann")) == [n[2], n[1]]
    assert await numbers(CaseQuery(view=View.MINE)) == []  # nobody asking: nothing is "mine"
    assert await numbers(CaseQuery(view=View.UNASSIGNED)) == [n[6], n[5], n[4], n[0]]
    assert await numbers(CaseQuery(statuses=(CaseStatus.RESOLVED,))) == [n[6]]
    assert await numbers(CaseQuery(severity=Severity.SEV1)) == [n[5], n[3], n[1]]
    assert await numbers(CaseQuery(k_number="k111111")) == [n[2], n[1], n[0]]
    both = CaseQuery(view=View.UNASSIGNED, severity=Severity.SEV3, k_number="K222222")
    assert await numbers(both) == [n[6], n[4]]
    # Pages: continue after the last case of the page before; never longer than asked.
    first = await numbers(CaseQuery(), limit=3)
    assert first == n[6:3:-1]
    assert await numbers(CaseQuery(), limit=3, before_id=made[4].id) == n[3:0:-1]
    assert await numbers(CaseQuery(), limit=3, before_id=made[0].id) == []


async def test_clock_events_of_a_page_in_one_query(session_maker: SessionMaker) -> None:
    one = await new_case(session_maker, "a")
    two = await new_case(session_maker, "b")
    async with session_maker() as session, session.begin():
        await claim_case(session, number=one.number, agent="ann", at=LATER)  # not a clock event
        await resolve_case(session, number=one.number, resolution="fixed", actor="ann", at=LATER)
    async with session_maker() as session:
        found = await clock_events_of(session, case_ids=[one.id, two.id])
        assert await clock_events_of(session, case_ids=[]) == {}
    assert [e.kind for e in found[one.id]] == ["created", "status_changed"]
    assert [e.kind for e in found[two.id]] == ["created"]
