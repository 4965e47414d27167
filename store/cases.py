"""Case queries: idempotent creation with race-free numbering, lookups, updates and the event log."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import CaseStatus, Channel, Outcome, Severity, require_aware
from store.accounts import canonical_k_number, ensure_account
from store.db import SessionMaker, upsert
from store.errors import CaseNotFoundError
from store.models import Case, CaseCounter, CaseEvent, CaseEventPublic, CasePublic
from store.outbox import NewOutboxItem, outbox_event_kind, outbox_row

# A conflict can only come from a concurrent insert of the same idempotency key (answered by re-reading)
# or of the same new account; a few rounds are plenty.
MAX_CREATE_ATTEMPTS = 5

_CASE_NUMBER = re.compile(r"(\d{4})[\s-]*(\d{4,9})")


@dataclass(frozen=True, kw_only=True)
class NewEvent:
    """An event to record with a new case (at defaults to the case's creation instant)."""

    kind: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    actor: str = "bot"
    at: datetime | None = None


def format_case_number(created_at: datetime, seq: int) -> str:
    """Return the case number "YYMM-NNNN" (UTC month, per-month sequence; widens past 9999)."""
    month = require_aware(created_at, "created_at").astimezone(UTC)
    return f"{month:%y%m}-{seq:04d}"


def normalise_case_number(raw: str) -> str | None:
    """Return the canonical "YYMM-NNNN" of a typed or keyed-in number ("2611 0042", "26110042"), or None."""
    match = _CASE_NUMBER.fullmatch(raw.strip())
    if match is None:
        return None
    return f"{match.group(1)}-{int(match.group(2)):04d}"


async def create_case(
    session_maker: SessionMaker,
    *,
    idempotency_key: str,
    k_number: str,
    severity: Severity,
    channel: Channel,
    outcome: Outcome,
    status: CaseStatus = CaseStatus.NEW,
    summary: str,
    description: str = "",
    created_at: datetime,
    response_due: datetime,
    fix_due: datetime | None,
    conversation_id: str | None = None,
    actor: str = "bot",
    events: Sequence[NewEvent] = (),
    outbox: Sequence[NewOutboxItem] = (),
) -> CasePublic:
    """Record a case with its events and outbox items in one transaction; a repeated key returns that case."""
    require_aware(created_at, "created_at")
    require_aware(response_due, "response_due")
    if fix_due is not None:
        require_aware(fix_due, "fix_due")
    for event in events:
        if event.at is not None:
            require_aware(event.at, f"{event.kind} event time")
    for item in outbox:
        if item.next_attempt_at is not None:
            require_aware(item.next_attempt_at, "outbox next_attempt_at")
    values = {
        "k_number": canonical_k_number(k_number),
        "severity": int(severity),
        "channel": Channel(channel).value,
        "outcome": Outcome(outcome).value,
        "status": CaseStatus(status).value,
        "summary": summary,
        "description": description,
        "created_at": created_at,
        "response_due": response_due,
        "fix_due": fix_due,
        "conversation_id": conversation_id,
        "updated_at": created_at,
    }
    for attempt in range(1, MAX_CREATE_ATTEMPTS + 1):
        try:
            async with session_maker() as session, session.begin():
                existing = await _case_by_key(session, idempotency_key)
                if existing is not None:
                    return CasePublic.model_validate(existing)
                case = await _insert_case(session, idempotency_key, values, actor, events, outbox)
            return case
        except IntegrityError:
            # Another process committed the same key between our check and our insert: theirs wins.
            async with session_maker() as session:
                existing = await _case_by_key(session, idempotency_key)
            if existing is not None:
                return CasePublic.model_validate(existing)
            if attempt == MAX_CREATE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _case_by_key(session: AsyncSession, key: str) -> Case | None:
    return (await session.exec(select(Case).where(Case.idempotency_key == key))).first()


async def _insert_case(
    session: AsyncSession,
    key: str,
    values: dict[str, Any],
    actor: str,
    events: Sequence[NewEvent],
    outbox: Sequence[NewOutboxItem],
) -> CasePublic:
    created_at: datetime = values["created_at"]
    account_id = await ensure_account(session, k_number=values["k_number"], at=created_at)
    number = format_case_number(created_at, await _next_seq(session, created_at))
    case = Case(number=number, account_id=account_id, idempotency_key=key, **values)
    session.add(case)
    await session.flush()
    assert case.id is not None
    detail = {k: values[k] for k in ("severity", "channel", "outcome", "status")}
    session.add(CaseEvent(case_id=case.id, at=created_at, actor=actor, kind="created", detail=detail))
    for event in events:
        session.add(
            CaseEvent(
                case_id=case.id,
                at=event.at or created_at,
                actor=event.actor,
                kind=event.kind,
                detail=dict(event.detail),
            )
        )
    for item in outbox:
        session.add(outbox_row(item, case_id=case.id, now=created_at))
        session.add(
            CaseEvent(
                case_id=case.id,
                at=created_at,
                actor=actor,
                kind=outbox_event_kind(item.kind, "queued"),
                detail={"kind": item.kind, "dedupe_key": item.dedupe_key},
            )
        )
    await session.flush()
    return CasePublic.model_validate(case)


async def _next_seq(session: AsyncSession, created_at: datetime) -> int:
    # One row per month bumped by an atomic upsert: the row lock (PostgreSQL) or the write lock (SQLite)
    # serialises concurrent creators, and a rolled-back case gives its number back.
    month = f"{created_at.astimezone(UTC):%y%m}"
    result = await session.exec(
        upsert(session, CaseCounter)
        .values(month=month, seq=1)
        .on_conflict_do_update(index_elements=["month"], set_={"seq": col(CaseCounter.seq) + 1})
        .returning(col(CaseCounter.seq))
    )
    seq: int = result.scalar_one()
    return seq


async def get_case(session: AsyncSession, *, number: str) -> CasePublic | None:
    """Return the case with `number` (any accepted spelling), or None."""
    case = await _case_by_number(session, number)
    return None if case is None else CasePublic.model_validate(case)


async def find_case_for_account(session: AsyncSession, *, number: str, k_number: str) -> CasePublic | None:
    """Return the case when it belongs to `k_number`; None when missing or owned by another account."""
    case = await _case_by_number(session, number)
    if case is None or case.k_number != canonical_k_number(k_number):
        return None
    return CasePublic.model_validate(case)


async def list_cases(
    session: AsyncSession,
    *,
    status: CaseStatus | None = None,
    severity: Severity | None = None,
    k_number: str | None = None,
    limit: int = 50,
) -> list[CasePublic]:
    """Return the newest cases first, optionally filtered by status, severity and account."""
    query = select(Case)
    if status is not None:
        query = query.where(Case.status == CaseStatus(status).value)
    if severity is not None:
        query = query.where(Case.severity == int(severity))
    if k_number is not None:
        query = query.where(Case.k_number == canonical_k_number(k_number))
    query = query.order_by(col(Case.created_at).desc(), col(Case.id).desc()).limit(limit)
    return [CasePublic.model_validate(case) for case in (await session.exec(query)).all()]


async def add_event(
    session: AsyncSession,
    *,
    number: str,
    kind: str,
    actor: str,
    at: datetime,
    detail: Mapping[str, Any] | None = None,
) -> CaseEventPublic:
    """Append an event to a case's history (in the caller's transaction); raise CaseNotFoundError."""
    case = await _require_case(session, number)
    return await _log(session, case, kind=kind, actor=actor, at=at, detail=detail or {})


async def update_case(
    session: AsyncSession,
    *,
    number: str,
    actor: str,
    at: datetime,
    status: CaseStatus | None = None,
    severity: Severity | None = None,
    reason: str | None = None,
) -> CasePublic:
    """Change a case's status and/or severity, logging an event per change (in the caller's transaction)."""
    case = await _require_case(session, number)
    extra = {} if reason is None else {"reason": reason}
    if severity is not None and int(severity) != case.severity:
        detail = {"from": case.severity, "to": int(severity), **extra}
        case.severity = int(severity)
        await _log(session, case, kind="severity_changed", actor=actor, at=at, detail=detail)
    if status is not None and CaseStatus(status).value != case.status:
        new_status = CaseStatus(status)
        detail = {"from": case.status, "to": new_status.value, **extra}
        case.status = new_status.value
        if new_status is CaseStatus.RESOLVED and case.resolved_at is None:
            case.resolved_at = at
        if new_status is CaseStatus.CLOSED and case.closed_at is None:
            case.closed_at = at
        await _log(session, case, kind="status_changed", actor=actor, at=at, detail=detail)
    return CasePublic.model_validate(case)


async def record_first_response(session: AsyncSession, *, number: str, actor: str, at: datetime) -> CasePublic:
    """Stamp the first engineer response and whether it met the response target (the first one counts)."""
    case = await _require_case(session, number)
    if case.first_response_at is None:
        case.first_response_at = require_aware(at, "at")
        case.response_met = at <= case.response_due
        await _log(session, case, kind="first_response", actor=actor, at=at, detail={"met": case.response_met})
    return CasePublic.model_validate(case)


async def list_events(session: AsyncSession, *, number: str) -> list[CaseEventPublic]:
    """Return a case's history, oldest first; raise CaseNotFoundError."""
    case = await _require_case(session, number)
    query = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id))
    return [CaseEventPublic.model_validate(e) for e in (await session.exec(query)).all()]


async def last_event(session: AsyncSession, *, number: str, kind: str | None = None) -> CaseEventPublic | None:
    """Return the latest event of a case (of `kind` when given), or None; raise CaseNotFoundError."""
    case = await _require_case(session, number)
    query = select(CaseEvent).where(CaseEvent.case_id == case.id)
    if kind is not None:
        query = query.where(CaseEvent.kind == kind)
    event = (await session.exec(query.order_by(col(CaseEvent.id).desc()).limit(1))).first()
    return None if event is None else CaseEventPublic.model_validate(event)


async def _case_by_number(session: AsyncSession, number: str) -> Case | None:
    canonical = normalise_case_number(number)
    if canonical is None:
        return None
    return (await session.exec(select(Case).where(Case.number == canonical))).first()


async def _require_case(session: AsyncSession, number: str) -> Case:
    case = await _case_by_number(session, number)
    if case is None:
        raise CaseNotFoundError(f"no case {number!r}")
    return case


async def _log(
    session: AsyncSession, case: Case, *, kind: str, actor: str, at: datetime, detail: Mapping[str, Any]
) -> CaseEventPublic:
    assert case.id is not None
    event = CaseEvent(case_id=case.id, at=require_aware(at, "at"), actor=actor, kind=kind, detail=dict(detail))
    # The last update shown to the customer is the last thing that happened to the case.
    case.updated_at = max(case.updated_at, at)
    session.add_all([event, case])
    await session.flush()
    return CaseEventPublic.model_validate(event)
