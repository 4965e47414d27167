"""Transactional outbox: side effects written with the case, claimed and delivered by workers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import CaseEventKind, require_aware
from store.db import SessionMaker, upsert
from store.errors import OutboxItemNotFoundError
from store.models import Case, CaseEvent, Outbox, OutboxItem, OutboxStatus

# How long a claimed item stays invisible to other workers; a worker that dies mid-delivery gives
# its items back when the lease runs out.
DEFAULT_LEASE = timedelta(minutes=5)


@dataclass(frozen=True, kw_only=True)
class NewOutboxItem:
    """A side effect to queue (next_attempt_at defaults to now: due at once)."""

    kind: str
    payload: Mapping[str, Any]
    dedupe_key: str | None = None
    next_attempt_at: datetime | None = None


_PAGE_EVENTS = {
    "queued": CaseEventKind.PAGE_QUEUED,
    "sent": CaseEventKind.PAGE_SENT,
    "failed": CaseEventKind.PAGE_FAILED,
}


_Stage = Literal["queued", "sent", "failed", "skipped"]


def outbox_event_kind(kind: str, stage: _Stage) -> str:
    """Return the case event kind for an outbox stage: page_queued/page_sent/page_failed for pages,
    "<kind>_<stage>" for any other kind of item."""
    return _PAGE_EVENTS[stage].value if "page" in kind and stage in _PAGE_EVENTS else f"{kind}_{stage}"


def outbox_values(item: NewOutboxItem, *, case_id: int | None, now: datetime) -> dict[str, Any]:
    """The outbox row's columns for `item` (all but its id), pending and due at its next_attempt_at (or now).

    A plain dict, not a model: a case queues its items on the turn that files it, and building an Outbox
    and dumping it again cost more than the INSERT."""
    return {
        "kind": item.kind,
        "case_id": case_id,
        "payload": dict(item.payload),
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": require_aware(item.next_attempt_at or now, "next_attempt_at"),
        "last_error": None,
        "created_at": require_aware(now, "now"),
        "sent_at": None,
        "dedupe_key": item.dedupe_key,
    }


async def enqueue(
    session: AsyncSession, *, item: NewOutboxItem, case_id: int | None, now: datetime, actor: str = "system"
) -> OutboxItem | None:
    """Queue `item` in the caller's transaction; None when its dedupe_key is already queued."""
    values = outbox_values(item, case_id=case_id, now=now)
    inserted = (
        await session.exec(upsert(session, Outbox).values(**values).on_conflict_do_nothing().returning(col(Outbox.id)))
    ).scalar_one_or_none()
    if inserted is None:
        return None
    if case_id is not None:
        detail = {"kind": item.kind, "dedupe_key": item.dedupe_key}
        session.add(
            CaseEvent(
                case_id=case_id,
                at=now,
                actor=actor,
                kind=outbox_event_kind(item.kind, "queued"),
                detail=detail,
            )
        )
        await session.flush()
    return OutboxItem.model_validate({**values, "id": inserted})


async def claim_due(
    session_maker: SessionMaker,
    *,
    now: datetime,
    kind: str,
    limit: int = 10,
    lease: timedelta = DEFAULT_LEASE,
) -> list[OutboxItem]:
    """Claim up to `limit` due pending items of `kind`; concurrent workers get disjoint sets."""
    require_aware(now, "now")
    due = (
        select(Outbox.id)
        .where(Outbox.status == OutboxStatus.PENDING.value, Outbox.kind == kind, col(Outbox.next_attempt_at) <= now)
        .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
        .limit(limit)
        # PostgreSQL: rows another worker is claiming are skipped, not waited for. SQLite renders no
        # FOR UPDATE; its BEGIN IMMEDIATE write lock already makes this statement exclusive.
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(Outbox)
        .where(col(Outbox.id).in_(due.scalar_subquery()))
        .values(attempts=col(Outbox.attempts) + 1, next_attempt_at=now + lease)
        .returning(Outbox)
        .execution_options(synchronize_session=False)
    )
    async with session_maker() as session, session.begin():
        claimed = (await session.exec(claim)).scalars().all()
        items = [OutboxItem.model_validate(row) for row in claimed]
    return sorted(items, key=lambda i: (i.next_attempt_at, i.id))


async def mark_sent(
    session_maker: SessionMaker,
    *,
    item_id: int,
    at: datetime,
    actor: str = "system",
    detail: Mapping[str, Any] | None = None,
) -> OutboxItem:
    """Record a delivered item (and a page_sent event on its case, with `detail`: how it went out)."""
    async with session_maker() as session, session.begin():
        row = await _finish(session, item_id, status=OutboxStatus.SENT.value, sent_at=at, last_error=None)
        await _log(session, row, at=at, actor=actor, stage="sent", detail={"attempts": row.attempts, **(detail or {})})
        return OutboxItem.model_validate(row)


async def mark_skipped(
    session_maker: SessionMaker, *, item_id: int, at: datetime, reason: str, actor: str = "system"
) -> OutboxItem:
    """Record an item that is no longer wanted (and a "<kind>_skipped" event saying why)."""
    async with session_maker() as session, session.begin():
        row = await _finish(session, item_id, status=OutboxStatus.SKIPPED.value, last_error=None)
        await _log(session, row, at=at, actor=actor, stage="skipped", detail={"reason": reason})
        return OutboxItem.model_validate(row)


async def mark_failed(
    session_maker: SessionMaker,
    *,
    item_id: int,
    at: datetime,
    error: str,
    retry_at: datetime | None,
    actor: str = "system",
) -> OutboxItem:
    """Record a failed attempt: retry at `retry_at`, or give up for good when it is None."""
    async with session_maker() as session, session.begin():
        if retry_at is None:
            row = await _finish(session, item_id, status=OutboxStatus.FAILED.value, last_error=error)
        else:
            row = await _finish(
                session,
                item_id,
                status=OutboxStatus.PENDING.value,
                last_error=error,
                next_attempt_at=require_aware(retry_at),
            )
        detail = {
            "attempts": row.attempts,
            "error": error,
            "retry_at": None if retry_at is None else retry_at.isoformat(),
        }
        await _log(session, row, at=at, actor=actor, stage="failed", detail=detail)
        return OutboxItem.model_validate(row)


async def _finish(session: AsyncSession, item_id: int, **values: Any) -> Outbox:
    row = await session.get(Outbox, item_id)
    if row is None:
        raise OutboxItemNotFoundError(f"no outbox item {item_id}")
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    await session.flush()
    return row


async def _log(
    session: AsyncSession,
    row: Outbox,
    *,
    at: datetime,
    actor: str,
    stage: _Stage,
    detail: dict[str, Any],
) -> None:
    if row.case_id is None:
        return
    session.add(
        CaseEvent(
            case_id=row.case_id,
            at=require_aware(at, "at"),
            actor=actor,
            kind=outbox_event_kind(row.kind, stage),
            detail={"outbox_id": row.id, "kind": row.kind, **detail},
        )
    )
    case = await session.get(Case, row.case_id)
    if case is not None:
        case.updated_at = max(case.updated_at, at)
        session.add(case)
    await session.flush()
