"""The SLA watch's store work: the next-look index, the once-only alert claim, and migration 0009."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from sqlalchemy import text

from intake.domain import CaseStatus
from store.cases import update_case
from store.db import create_engine, session_factory
from store.jobs import Jobs
from store.migrate import downgrade_async, upgrade_async
from store.sla import claim_alert, due_cases, set_next_look
from tests.store.helpers import T0, new_case


async def test_an_alert_is_claimed_once(jobs: Jobs) -> None:
    case = await new_case(jobs)
    claim = partial(claim_alert, case_id=case.id, clock="response", threshold="warn", run_start=T0, now=T0)
    assert await jobs.write(claim) is True
    assert await jobs.write(claim) is False
    other_run = partial(
        claim_alert, case_id=case.id, clock="response", threshold="warn", run_start=T0 + timedelta(1), now=T0
    )
    assert await jobs.write(other_run) is True


async def test_due_cases_are_those_whose_next_look_has_come(jobs: Jobs) -> None:
    soon, later = await new_case(jobs, "a"), await new_case(jobs, "b")
    await jobs.write(partial(set_next_look, case_id=soon.id, at=T0 + timedelta(minutes=5)))
    await jobs.write(partial(set_next_look, case_id=later.id, at=None))
    due = await jobs.write(partial(due_cases, now=T0 + timedelta(minutes=5), limit=10))
    assert [c.number for c in due] == [soon.number]
    assert await jobs.write(partial(due_cases, now=T0 + timedelta(minutes=4), limit=10)) == []


async def test_0009_gives_every_case_not_closed_a_look_at_once(db_url: str) -> None:
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    try:
        open_case = await new_case(sessions, "open")
        closed = await new_case(sessions, "closed")
        async with sessions() as session, session.begin():
            await update_case(
                session, number=closed.number, actor="a", at=T0 + timedelta(hours=1), status=CaseStatus.CLOSED
            )
    finally:
        await engine.dispose()
    await downgrade_async(db_url, "0008_password_one_time")
    await upgrade_async(db_url)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT number, sla_next_at, updated_at FROM cases ORDER BY id"))
            looks = {number: (next_at, updated) for number, next_at, updated in rows}
    finally:
        await engine.dispose()
    next_at, updated = looks[open_case.number]
    assert next_at is not None and next_at == updated
    assert looks[closed.number][0] is None
