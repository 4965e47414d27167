"""Live-agent handoffs: the queue, race-free claims, hand-back, close and the unclaimed timeout."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, exists
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.engine import Connection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import CaseEventKind, Outcome, require_aware
from store.cases import add_event, normalise_case_number
from store.db import upsert
from store.errors import CaseNotFoundError
from store.jobs import fetch, run
from store.models import OPEN_STATUSES, Case, Handoff, HandoffPublic, HandoffStatus

_HANDOFFS: Table = Handoff.__table__  # type: ignore[attr-defined]
# Built once (see store/jobs.py): it runs for every message a customer sends while handed off.
_TOUCH_OPEN = (
    sa_update(_HANDOFFS)
    .where(_HANDOFFS.c.open_conversation_id == bindparam("open_for"))
    .values(version=_HANDOFFS.c.version + 1)
)
# Every process's timeout sweep asks this each second; nearly always the answer is no.
_ANY_DUE = sa_select(
    exists().where(
        _HANDOFFS.c.status == HandoffStatus.QUEUED.value,
        _HANDOFFS.c.created_at <= bindparam("cutoff", type_=_HANDOFFS.c.created_at.type),
    )
)


def _public(row: Handoff) -> HandoffPublic:
    return HandoffPublic.model_validate(row)


def _queue_order() -> tuple[Any, ...]:
    # Most severe first; cases without a severity (no case yet) last; then the nearest target, then FIFO.
    return (
        col(Handoff.severity).asc().nulls_last(),
        col(Handoff.response_due).asc().nulls_last(),
        col(Handoff.created_at),
        col(Handoff.id),
    )


async def create_handoff(
    session: AsyncSession,
    *,
    conversation_id: str,
    channel: str,
    reason: str,
    reference: Mapping[str, Any],
    at: datetime,
    case_number: str | None = None,
    severity: int | None = None,
    response_due: datetime | None = None,
) -> tuple[HandoffPublic, bool]:
    """Queue a handoff; when the conversation already has an open one, return it. True if created."""
    number = normalise_case_number(case_number) if case_number else None
    result: Any = await session.exec(
        upsert(session, Handoff)
        .values(
            conversation_id=conversation_id,
            channel=channel,
            case_number=number,
            reason=reason,
            status=HandoffStatus.QUEUED.value,
            severity=severity,
            response_due=None if response_due is None else require_aware(response_due, "response_due"),
            conversation_reference=dict(reference),
            created_at=require_aware(at, "at"),
            version=0,
            open_conversation_id=conversation_id,
        )
        .on_conflict_do_nothing(index_elements=["open_conversation_id"])
    )
    created = result.rowcount == 1
    handoff = await open_handoff_for(session, conversation_id=conversation_id)
    assert handoff is not None  # inserted, or the open one we collided with
    return handoff, created


async def get_handoff(session: AsyncSession, *, handoff_id: int, lock: bool = False) -> HandoffPublic | None:
    """Return the handoff with this id, or None; lock=True holds its row until the transaction ends."""
    query = select(Handoff).where(Handoff.id == handoff_id)
    if lock:
        # PostgreSQL: a check-then-write (is it still active and mine?) cannot interleave with a hand-back.
        # SQLite's BEGIN IMMEDIATE already serialises writers; its dialect leaves FOR UPDATE out.
        query = query.with_for_update()
    row = (await session.exec(query)).first()
    return None if row is None else _public(row)


async def open_handoff_for(session: AsyncSession, *, conversation_id: str) -> HandoffPublic | None:
    """Return the conversation's queued or active handoff, or None."""
    row = (await session.exec(select(Handoff).where(Handoff.open_conversation_id == conversation_id))).first()
    return None if row is None else _public(row)


async def queue(session: AsyncSession, *, statuses: Collection[HandoffStatus] = OPEN_STATUSES) -> list[HandoffPublic]:
    """Return the open handoffs (or those in `statuses`) by severity, then response due, then age."""
    query = select(Handoff).where(col(Handoff.status).in_([HandoffStatus(s).value for s in statuses]))
    rows = (await session.exec(query.order_by(*_queue_order()))).all()
    return [_public(row) for row in rows]


async def queue_position(session: AsyncSession, *, handoff_id: int) -> int | None:
    """Return the 1-based place of a queued handoff among the queued ones; None once it left the queue."""
    query = select(Handoff.id).where(Handoff.status == HandoffStatus.QUEUED.value).order_by(*_queue_order())
    ids = list((await session.exec(query)).all())
    return ids.index(handoff_id) + 1 if handoff_id in ids else None


async def list_handoffs(session: AsyncSession, *, status: HandoffStatus | str | None = None) -> list[HandoffPublic]:
    """Return handoffs, optionally of one status, oldest first."""
    query = select(Handoff)
    if status is not None:
        query = query.where(Handoff.status == HandoffStatus(status).value)
    rows = (await session.exec(query.order_by(col(Handoff.created_at), col(Handoff.id)))).all()
    return [_public(row) for row in rows]


async def open_versions(session: AsyncSession) -> dict[int, int]:
    """Return {id: version} of the open handoffs: what the consoles' poll compares between rounds."""
    query = select(Handoff.id, Handoff.version).where(col(Handoff.open_conversation_id).is_not(None))
    return {int(handoff_id or 0): int(version) for handoff_id, version in (await session.exec(query)).all()}


async def case_claimers(session: AsyncSession, *, number: str) -> set[int]:
    """Return the ids of the agents holding an active live chat about the case (who "claimed" it)."""
    canonical = normalise_case_number(number)
    if canonical is None:
        return set()
    query = select(Handoff.agent_id).where(
        Handoff.case_number == canonical,
        Handoff.status == HandoffStatus.ACTIVE.value,
        col(Handoff.agent_id).is_not(None),
    )
    return {agent_id for agent_id in (await session.exec(query)).all() if agent_id is not None}


async def claim(session: AsyncSession, *, handoff_id: int, agent_id: int, at: datetime) -> bool:
    """Give a queued handoff to an agent; of concurrent claims exactly one gets True."""
    # One conditional UPDATE: the database serialises the writers and only the first still sees 'queued'.
    result: Any = await session.exec(
        sa_update(Handoff)
        .where(col(Handoff.id) == handoff_id, col(Handoff.status) == HandoffStatus.QUEUED.value)
        .values(
            status=HandoffStatus.ACTIVE.value,
            agent_id=agent_id,
            claimed_at=require_aware(at, "at"),
            version=col(Handoff.version) + 1,
        )
    )
    return bool(result.rowcount == 1)


async def _end(
    session: AsyncSession,
    *,
    handoff_id: int,
    to: HandoffStatus,
    at: datetime,
    from_statuses: Collection[HandoffStatus],
    agent_id: int | None,
) -> bool:
    query = sa_update(Handoff).where(
        col(Handoff.id) == handoff_id, col(Handoff.status).in_([s.value for s in from_statuses])
    )
    if agent_id is not None:
        query = query.where(col(Handoff.agent_id) == agent_id)
    result: Any = await session.exec(
        query.values(
            status=to.value,
            ended_at=require_aware(at, "at"),
            open_conversation_id=None,
            version=col(Handoff.version) + 1,
        )
    )
    return bool(result.rowcount == 1)


async def hand_back(session: AsyncSession, *, handoff_id: int, agent_id: int, at: datetime) -> bool:
    """Return an active handoff of `agent_id` to the bot; False if it is not theirs or not active."""
    return await _end(
        session,
        handoff_id=handoff_id,
        to=HandoffStatus.RETURNED,
        at=at,
        from_statuses=(HandoffStatus.ACTIVE,),
        agent_id=agent_id,
    )


async def close(session: AsyncSession, *, handoff_id: int, agent_id: int, at: datetime) -> bool:
    """End an active handoff of `agent_id`; False if it is not theirs or not active."""
    return await _end(
        session,
        handoff_id=handoff_id,
        to=HandoffStatus.CLOSED,
        at=at,
        from_statuses=(HandoffStatus.ACTIVE,),
        agent_id=agent_id,
    )


def any_timeout_due(conn: Connection, *, now: datetime, timeout: timedelta) -> bool:
    """Whether a handoff has been queued for `timeout` or longer (a store job: due_timeouts then has work)."""
    return bool(fetch(conn, _ANY_DUE, {"cutoff": require_aware(now, "now") - timeout})[0][0])


async def due_timeouts(
    session: AsyncSession,
    *,
    now: datetime,
    timeout: timedelta,  # noqa: ASYNC109  (how long a handoff may wait, not an I/O deadline)
) -> list[HandoffPublic]:
    """Time out the handoffs queued for `timeout` or longer; return those this caller timed out."""
    cutoff = require_aware(now, "now") - timeout
    query = select(Handoff.id).where(Handoff.status == HandoffStatus.QUEUED.value, col(Handoff.created_at) <= cutoff)
    won: list[HandoffPublic] = []
    for found_id in (await session.exec(query.order_by(col(Handoff.id)))).all():
        handoff_id = int(found_id or 0)
        # Per row compare-and-set: an agent's claim or another process's sweep may get there first.
        if await _end(
            session,
            handoff_id=handoff_id,
            to=HandoffStatus.TIMED_OUT,
            at=now,
            from_statuses=(HandoffStatus.QUEUED,),
            agent_id=None,
        ):
            found = await get_handoff(session, handoff_id=handoff_id)
            assert found is not None
            won.append(found)
    return won


async def touch(session: AsyncSession, *, handoff_id: int) -> None:
    """Bump a handoff's version (a message was relayed) so every process's consoles look again."""
    await session.exec(sa_update(Handoff).where(col(Handoff.id) == handoff_id).values(version=col(Handoff.version) + 1))


def touch_open(conn: Connection, *, conversation_id: str) -> bool:
    """In a store job, bump the version of the conversation's open handoff (its customer wrote); False: none is."""
    return run(conn, _TOUCH_OPEN, {"open_for": conversation_id}) == 1


async def sync_severity(session: AsyncSession, *, case_number: str, severity: int) -> None:
    """Keep the open handoffs of a case ordered by its new severity."""
    await session.exec(
        sa_update(Handoff)
        .where(col(Handoff.case_number) == case_number, col(Handoff.open_conversation_id).is_not(None))
        .values(severity=severity, version=col(Handoff.version) + 1)
    )


async def route_to_web_request(session: AsyncSession, *, number: str, actor: str, at: datetime) -> str:
    """Make a case a web support request (no agent took its chat), logging why; return the old outcome."""
    case = (await session.exec(select(Case).where(Case.number == number))).first()
    if case is None:
        raise CaseNotFoundError(f"no case {number!r}")
    previous = case.outcome
    case.outcome = Outcome.WEB_REQUEST.value
    session.add(case)
    await add_event(
        session,
        number=number,
        kind=CaseEventKind.HANDOFF_TIMED_OUT,
        actor=actor,
        at=at,
        detail={"outcome": {"from": previous, "to": Outcome.WEB_REQUEST.value}},
    )
    return previous
