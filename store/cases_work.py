"""The case workspace's queries: who works a case (assign, claim, unassign) and paged, index-driven case lists."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import CaseEventKind, CaseStatus, Severity
from store.accounts import canonical_k_number
from store.cases import add_event, normalise_case_number, update_case
from store.errors import CaseNotFoundError, StoreError
from store.models import Case, CaseEvent, CaseEventPublic, CasePublic
from store.notices import queue_resolution

# A page of a case list is never longer than this, whatever a caller asks.
MAX_PAGE = 200
OPEN_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.INCOMPLETE,
    CaseStatus.IN_PROGRESS,
    CaseStatus.PENDING_CUSTOMER,
    CaseStatus.ESCALATED,
)
# The history entries the SLA clocks read (intake/sla.py): a list loads only these for its page of cases.
CLOCK_EVENT_KINDS = (
    CaseEventKind.CREATED,
    CaseEventKind.SEVERITY_CHANGED,
    CaseEventKind.STATUS_CHANGED,
    CaseEventKind.FIRST_RESPONSE,
    CaseEventKind.CUSTOMER_UPDATE,
    CaseEventKind.CUSTOMER_REPLIED,
)


class CaseTakenError(StoreError):
    """A claim found the case already assigned to someone else (the first claim won)."""

    def __init__(self, number: str, assignee: str) -> None:
        super().__init__(f"case {number} is already assigned to {assignee}")
        self.number = number
        self.assignee = assignee


class CaseStateError(StoreError, ValueError):
    """The change does not fit the case's status (closing an unresolved case, resolving a closed one)."""


class View(StrEnum):
    """Which cases a list shows, by who works them."""

    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"


@dataclass(frozen=True, kw_only=True)
class CaseQuery:
    """A case list's filters; empty `statuses` means every status."""

    view: View = View.ALL
    me: str | None = None  # the agent asking (for View.MINE)
    statuses: Collection[CaseStatus] = ()
    severity: Severity | None = None
    k_number: str | None = None


async def _locked(session: AsyncSession, number: str) -> Case:
    canonical = normalise_case_number(number)
    # PostgreSQL: the row is held to commit, so two claims are taken one after the other (SQLite's
    # BEGIN IMMEDIATE already serialises writers and ignores FOR UPDATE).
    row = (
        None
        if canonical is None
        else (await session.exec(select(Case).where(Case.number == canonical).with_for_update())).first()
    )
    if row is None:
        raise CaseNotFoundError(f"no case {number!r}")
    return row


async def assign_case(
    session: AsyncSession,
    *,
    number: str,
    assignee: str | None,
    actor: str,
    at: datetime,
    only_if_free: bool = False,
) -> CasePublic:
    """Give the case to `assignee` (None: to nobody), logging an `assigned` event when that changes it.

    `only_if_free` is a claim: it succeeds when nobody, or `assignee` already, has the case, and raises
    CaseTakenError when another agent does (in the caller's transaction, the case row held to commit).
    """
    case = await _locked(session, number)
    previous = case.assignee
    if previous == assignee:
        return CasePublic.model_validate(case)
    if only_if_free and previous is not None:
        raise CaseTakenError(case.number, previous)
    case.assignee = assignee
    await add_event(
        session,
        number=case.number,
        kind=CaseEventKind.ASSIGNED,
        actor=actor,
        at=at,
        detail={"from": previous, "to": assignee},
    )
    return CasePublic.model_validate(case)


async def claim_case(session: AsyncSession, *, number: str, agent: str, at: datetime) -> CasePublic:
    """Assign the case to `agent` unless another agent has it (CaseTakenError)."""
    return await assign_case(session, number=number, assignee=agent, actor=agent, at=at, only_if_free=True)


async def resolve_case(session: AsyncSession, *, number: str, resolution: str, actor: str, at: datetime) -> CasePublic:
    """Resolve an open case; the resolution note is the status change's `reason` in its history, and the
    customer is told what was done (and asked two days later whether everything works)."""
    case = await _locked(session, number)
    if CaseStatus(case.status) in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise CaseStateError(f"case {case.number} is {case.status} already")
    resolved = await update_case(
        session, number=case.number, actor=actor, at=at, status=CaseStatus.RESOLVED, reason=resolution
    )
    await queue_resolution(session, number=case.number, note=resolution, actor=actor, at=at)
    return resolved


async def close_case(
    session: AsyncSession, *, number: str, actor: str, at: datetime, reason: str | None = None
) -> CasePublic:
    """Close a resolved case (an unresolved one must be resolved first, with its resolution note)."""
    case = await _locked(session, number)
    if CaseStatus(case.status) is CaseStatus.CLOSED:
        raise CaseStateError(f"case {case.number} is closed already")
    if CaseStatus(case.status) is not CaseStatus.RESOLVED:
        raise CaseStateError(f"case {case.number} is {case.status}: resolve it with a resolution note first")
    return await update_case(session, number=case.number, actor=actor, at=at, status=CaseStatus.CLOSED, reason=reason)


async def reopen_case(session: AsyncSession, *, number: str, actor: str, at: datetime, reason: str) -> CasePublic:
    """Open a resolved or closed case again (in progress); its clocks resume (intake/sla.py)."""
    case = await _locked(session, number)
    if CaseStatus(case.status) not in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise CaseStateError(f"case {case.number} is {case.status}, not resolved or closed")
    return await update_case(
        session, number=case.number, actor=actor, at=at, status=CaseStatus.IN_PROGRESS, reason=reason
    )


async def list_work(
    session: AsyncSession, *, query: CaseQuery, before_id: int | None = None, limit: int = 50
) -> list[CasePublic]:
    """A page of cases, newest first, that `query` selects; `before_id` continues after a page's last case.

    Every filter is an indexed column (status, severity, k_number, assignee) and the order is the primary key,
    so a page costs the same however many cases the store holds.
    """
    statement = select(Case)
    if query.view is View.MINE:
        statement = statement.where(Case.assignee == (query.me or ""))
    elif query.view is View.UNASSIGNED:
        statement = statement.where(col(Case.assignee).is_(None))
    if query.statuses:
        statement = statement.where(col(Case.status).in_([CaseStatus(s).value for s in query.statuses]))
    if query.severity is not None:
        statement = statement.where(Case.severity == int(query.severity))
    if query.k_number is not None:
        statement = statement.where(Case.k_number == canonical_k_number(query.k_number))
    if before_id is not None:
        statement = statement.where(col(Case.id) < before_id)
    statement = statement.order_by(col(Case.id).desc()).limit(max(1, min(limit, MAX_PAGE)))
    return [CasePublic.model_validate(case) for case in (await session.exec(statement)).all()]


async def clock_events_of(
    session: AsyncSession, *, case_ids: Sequence[int], kinds: Collection[CaseEventKind] = CLOCK_EVENT_KINDS
) -> dict[int, list[CaseEventPublic]]:
    """The history entries of `kinds` of each case (one query for a page of cases), oldest first."""
    found: dict[int, list[CaseEventPublic]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return found
    statement = (
        select(CaseEvent)
        .where(
            col(CaseEvent.case_id).in_(list(case_ids)), col(CaseEvent.kind).in_([CaseEventKind(k).value for k in kinds])
        )
        .order_by(col(CaseEvent.id))
    )
    for event in (await session.exec(statement)).all():
        found[event.case_id].append(CaseEventPublic.model_validate(event))
    return found


__all__ = [
    "MAX_PAGE",
    "OPEN_STATUSES",
    "CaseQuery",
    "CaseStateError",
    "CaseTakenError",
    "View",
    "assign_case",
    "claim_case",
    "clock_events_of",
    "close_case",
    "list_work",
    "reopen_case",
    "resolve_case",
]
