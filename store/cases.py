"""Case queries: idempotent creation with race-free numbering, lookups, updates and the event log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, partial
from typing import Any

from sqlalchemy import Executable, Select, Table, bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.case_numbers import format_case_number as format_case_number  # one numbering, in the domain
from intake.case_numbers import month_of, parse_case_number
from intake.domain import CaseEventKind, CaseStatus, Channel, Outcome, Severity, require_aware
from store.accounts import canonical_k_number, ensure_account_in
from store.db import SessionMaker, insert_for
from store.errors import CaseNotFoundError
from store.jobs import Jobs, fetch, run_many
from store.models import Case, CaseCounter, CaseEvent, CaseEventPublic, CasePublic, Outbox
from store.outbox import NewOutboxItem, outbox_event_kind, outbox_values

# A conflict can only come from a concurrent insert of the same idempotency key (answered by re-reading)
# or of the same new account; a few rounds are plenty.
MAX_CREATE_ATTEMPTS = 5


@dataclass(frozen=True, kw_only=True)
class NewEvent:
    """An event to record with a new case (at defaults to the case's creation instant)."""

    kind: CaseEventKind
    detail: Mapping[str, Any] = field(default_factory=dict)
    actor: str = "bot"
    at: datetime | None = None


def normalise_case_number(raw: str) -> str | None:
    """Return the canonical "YYMM-NNNN" of a typed or keyed-in number ("2611 0042", "26110042"), or None."""
    return parse_case_number(raw)


@dataclass(frozen=True, kw_only=True)
class CaseCreate:
    """A case to record, with the events and outbox items that go in its transaction; instants must be aware."""

    # What makes a retried create the same create: a second create with this key returns the first case.
    idempotency_key: str
    k_number: str
    severity: Severity
    channel: Channel
    outcome: Outcome
    status: CaseStatus = CaseStatus.NEW
    summary: str
    description: str = ""
    created_at: datetime
    response_due: datetime
    fix_due: datetime | None
    conversation_id: str | None = None
    actor: str = "bot"
    events: Sequence[NewEvent] = ()
    outbox: Sequence[NewOutboxItem] = ()

    def __post_init__(self) -> None:
        require_aware(self.created_at, "created_at")
        require_aware(self.response_due, "response_due")
        if self.fix_due is not None:
            require_aware(self.fix_due, "fix_due")
        for event in self.events:
            if event.at is not None:
                require_aware(event.at, f"{event.kind} event time")
        for item in self.outbox:
            if item.next_attempt_at is not None:
                require_aware(item.next_attempt_at, "outbox next_attempt_at")

    def row(self) -> dict[str, Any]:
        """The case's columns as stored, but for those the store assigns (number, account)."""
        return {
            "idempotency_key": self.idempotency_key,
            "k_number": canonical_k_number(self.k_number),
            "severity": int(self.severity),
            "channel": Channel(self.channel).value,
            "outcome": Outcome(self.outcome).value,
            "status": CaseStatus(self.status).value,
            "summary": self.summary,
            "description": self.description,
            "created_at": self.created_at,
            "response_due": self.response_due,
            "fix_due": self.fix_due,
            "conversation_id": self.conversation_id,
            "updated_at": self.created_at,
        }


async def create_case(db: Jobs | SessionMaker, *, case: CaseCreate) -> CasePublic:
    """Record a case with its events and outbox items in one transaction; a repeated key returns that case."""
    jobs = Jobs.of(db)
    for attempt in range(1, MAX_CREATE_ATTEMPTS + 1):
        try:
            return await jobs.write(partial(_create, case=case))
        except IntegrityError:
            # Another process committed the same key between our check and our insert: theirs wins.
            existing = await jobs.read(partial(_case_by_key, key=case.idempotency_key))
            if existing is not None:
                return existing
            if attempt == MAX_CREATE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# Core statements built once: a case is recorded on the bot's hot path (see store/jobs.py).
_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_EVENTS: Table = CaseEvent.__table__  # type: ignore[attr-defined]
_OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]
_CASE_BY_KEY = sa_select(_CASES).where(_CASES.c.idempotency_key == bindparam("key"))
_CASE_BY_NUMBER = sa_select(_CASES).where(_CASES.c.number == bindparam("number"))
_NEW_CASE_COLUMNS = (
    "number", "account_id", "idempotency_key", "k_number", "severity", "channel", "outcome", "status", "summary",
    "description", "created_at", "response_due", "fix_due", "conversation_id", "updated_at", "sla_next_at",
)  # fmt: skip
_INSERT_CASE = _CASES.insert().values({n: bindparam(n) for n in _NEW_CASE_COLUMNS}).returning(_CASES.c.id)
_INSERT_OUTBOX = _OUTBOX.insert().values({c.name: bindparam(c.name) for c in _OUTBOX.columns if c.name != "id"})
_INSERT_EVENT = _EVENTS.insert().values({n: bindparam(n) for n in ("case_id", "at", "actor", "kind", "detail")})
_LAST_EVENT = sa_select(_EVENTS).where(_EVENTS.c.case_id == bindparam("case_id")).order_by(_EVENTS.c.id.desc()).limit(1)
_LAST_EVENT_OF_KIND = (
    sa_select(_EVENTS)
    .where(_EVENTS.c.case_id == bindparam("case_id"), _EVENTS.c.kind == bindparam("kind"))
    .order_by(_EVENTS.c.id.desc())
    .limit(1)
)


@cache
def _bump_counter(dialect: str) -> Executable:
    # One row per month bumped by an atomic upsert: the row lock (PostgreSQL) or the write lock (SQLite)
    # serialises concurrent creators, and a rolled-back case gives its number back.
    return (
        insert_for(dialect, CaseCounter)
        .values(month=bindparam("month"), seq=1)
        .on_conflict_do_update(index_elements=["month"], set_={"seq": col(CaseCounter.seq) + 1})
        .returning(col(CaseCounter.seq))
    )


def _case_by_key(conn: Connection, *, key: str) -> CasePublic | None:
    found = _columns(_CASE_BY_KEY, fetch(conn, _CASE_BY_KEY, {"key": key}))
    return None if found is None else CasePublic.model_validate(found)


def _create(conn: Connection, *, case: CaseCreate, looked: bool = False) -> CasePublic:
    """Record the case (a job's part); the case already stored under its key, if any (not looked for again
    when the caller has just `looked`)."""
    existing = None if looked else _case_by_key(conn, key=case.idempotency_key)
    if existing is not None:
        return existing
    values = case.row()
    created_at, actor = case.created_at, case.actor
    account_id = ensure_account_in(conn, k_number=values["k_number"], at=created_at)
    ((seq,),) = fetch(conn, _bump_counter(conn.dialect.name), {"month": month_of(created_at)})
    # The SLA watch looks at a new case at once (bot/sla_watch.py works out when next).
    row = {**values, "number": format_case_number(created_at, seq), "account_id": account_id, "sla_next_at": created_at}
    ((case_id,),) = fetch(conn, _INSERT_CASE, row)
    detail = {k: values[k] for k in ("severity", "channel", "outcome", "status")}
    history = [event_row(case_id, created_at, actor, CaseEventKind.CREATED.value, detail)]
    history += [
        event_row(case_id, e.at or created_at, e.actor, CaseEventKind(e.kind).value, e.detail) for e in case.events
    ]
    history += queue_for_case(conn, case_id=case_id, items=case.outbox, now=created_at, actor=actor)
    run_many(conn, _INSERT_EVENT, history)
    return CasePublic.model_validate({**row, "id": case_id})


def queue_for_case(
    conn: Connection, *, case_id: int, items: Sequence[NewOutboxItem], now: datetime, actor: str
) -> list[dict[str, Any]]:
    """Queue a case's outbox items (in the caller's transaction, a store job's part) and return the history
    rows that say so, for the caller to insert with its own."""
    run_many(conn, _INSERT_OUTBOX, [outbox_values(item, case_id=case_id, now=now) for item in items])
    return [
        event_row(
            case_id,
            now,
            actor,
            outbox_event_kind(item.kind, "queued"),
            {"kind": item.kind, "dedupe_key": item.dedupe_key},
        )
        for item in items
    ]


def event_row(case_id: int, at: datetime, actor: str, kind: str, detail: Mapping[str, Any]) -> dict[str, Any]:
    """A case_events row for a store job's insert."""
    return {"case_id": case_id, "at": at, "actor": actor, "kind": kind, "detail": dict(detail)}


async def get_case(session: AsyncSession, *, number: str) -> CasePublic | None:
    """Return the case with `number` (any accepted spelling), or None."""
    case = await _case_by_number(session, number)
    return None if case is None else CasePublic.model_validate(case)


async def get_case_by_id(session: AsyncSession, *, case_id: int) -> CasePublic | None:
    """Return the case with row id `case_id`, or None."""
    case = await session.get(Case, case_id)
    return None if case is None else CasePublic.model_validate(case)


def case_for_account(conn: Connection, *, number: str, k_number: str) -> CasePublic | None:
    """Return the case when it belongs to `k_number`; None when missing or owned by another account (a job)."""
    row = _case_row(conn, number)
    if row is None or row["k_number"] != canonical_k_number(k_number):
        return None
    return CasePublic.model_validate(row)


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
    kind: CaseEventKind,
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
        await _log(session, case, kind=CaseEventKind.SEVERITY_CHANGED, actor=actor, at=at, detail=detail)
    if status is not None and CaseStatus(status).value != case.status:
        new_status = CaseStatus(status)
        detail = {"from": case.status, "to": new_status.value, **extra}
        case.status = new_status.value
        if new_status is CaseStatus.RESOLVED and case.resolved_at is None:
            case.resolved_at = at
        if new_status is CaseStatus.CLOSED and case.closed_at is None:
            case.closed_at = at
        await _log(session, case, kind=CaseEventKind.STATUS_CHANGED, actor=actor, at=at, detail=detail)
    return CasePublic.model_validate(case)


async def record_first_response(session: AsyncSession, *, number: str, actor: str, at: datetime) -> CasePublic:
    """Stamp the first engineer response and whether it met the response target (the first one counts)."""
    case = await _require_case(session, number)
    if case.first_response_at is None:
        case.first_response_at = require_aware(at, "at")
        case.response_met = at <= case.response_due
        await _log(
            session, case, kind=CaseEventKind.FIRST_RESPONSE, actor=actor, at=at, detail={"met": case.response_met}
        )
    return CasePublic.model_validate(case)


async def list_events(session: AsyncSession, *, number: str) -> list[CaseEventPublic]:
    """Return a case's history, oldest first; raise CaseNotFoundError."""
    case = await _require_case(session, number)
    query = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id))
    return [CaseEventPublic.model_validate(e) for e in (await session.exec(query)).all()]


_EVENTS_OF = sa_select(_EVENTS).where(_EVENTS.c.case_id == bindparam("case_id")).order_by(_EVENTS.c.id)


def history_of(conn: Connection, *, case_id: int) -> list[CaseEventPublic]:
    """A case's history, oldest first (a job: list_events is the same for an async session)."""
    return [CaseEventPublic.model_validate(dict(r._mapping)) for r in conn.execute(_EVENTS_OF, {"case_id": case_id})]


def latest_event(conn: Connection, *, number: str, kind: CaseEventKind | None = None) -> CaseEventPublic | None:
    """Return the latest event of a case (of `kind` when given), or None; raise CaseNotFoundError (a job)."""
    case = _case_row(conn, number)
    if case is None:
        raise CaseNotFoundError(f"no case {number!r}")
    return latest_event_of(conn, case_id=case["id"], kind=kind)


def latest_event_of(conn: Connection, *, case_id: int, kind: CaseEventKind | None = None) -> CaseEventPublic | None:
    """Return the latest event of the case with row id `case_id` (of `kind` when given), or None (a job)."""
    if kind is None:
        found = _columns(_LAST_EVENT, fetch(conn, _LAST_EVENT, {"case_id": case_id}))
    else:
        params = {"case_id": case_id, "kind": CaseEventKind(kind).value}
        found = _columns(_LAST_EVENT_OF_KIND, fetch(conn, _LAST_EVENT_OF_KIND, params))
    return None if found is None else CaseEventPublic.model_validate(found)


async def case_version(session: AsyncSession, *, number: str, for_update: bool = False) -> str | None:
    """Return a version tag of the case that changes with any change to it or its history; None if missing.

    The agent API's optimistic concurrency: a change names the version it was made against.
    """
    canonical = normalise_case_number(number)
    if canonical is None:
        return None
    query = select(Case).where(Case.number == canonical)
    if for_update:
        # PostgreSQL: hold the row until commit so a check-then-update cannot interleave (SQLite's
        # BEGIN IMMEDIATE already serialises writers and ignores FOR UPDATE).
        query = query.with_for_update()
    row = (await session.exec(query)).first()
    if row is None:
        return None
    last_event = (await session.exec(select(func.max(CaseEvent.id)).where(CaseEvent.case_id == row.id))).one()
    state = {"case": CasePublic.model_validate(row).to_json_dict(), "last_event": last_event}
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _case_row(conn: Connection, number: str) -> dict[str, Any] | None:
    canonical = normalise_case_number(number)
    return None if canonical is None else _columns(_CASE_BY_NUMBER, fetch(conn, _CASE_BY_NUMBER, {"number": canonical}))


def _columns(statement: Select[Any], rows: list[tuple[Any, ...]]) -> dict[str, Any] | None:
    """The first of `rows` as {column name: value}, or None."""
    return dict(zip(statement.selected_columns.keys(), rows[0], strict=True)) if rows else None


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
    session: AsyncSession, case: Case, *, kind: CaseEventKind, actor: str, at: datetime, detail: Mapping[str, Any]
) -> CaseEventPublic:
    assert case.id is not None
    event = CaseEvent(
        case_id=case.id, at=require_aware(at, "at"), actor=actor, kind=CaseEventKind(kind).value, detail=dict(detail)
    )
    # The last update shown to the customer is the last thing that happened to the case.
    case.updated_at = max(case.updated_at, at)
    # Anything that happens to a case may move its SLA clocks: the watch looks again (bot/sla_watch.py).
    case.sla_next_at = at if case.sla_next_at is None else min(case.sla_next_at, at)
    session.add_all([event, case])
    await session.flush()
    return CaseEventPublic.model_validate(event)
