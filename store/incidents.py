"""Incidents: the reports rule at case filing (one transaction with the case), and what agents do to them.

A case is filed with the components its description names (`case_components`). A Sev1/Sev2 case naming a
component with an open incident is linked to it; otherwise, once reports from `min_accounts` accounts name
the component within `window`, an incident opens and those cases are linked. The incident is paged once
(an outbox page under its own dedupe key); a case linked to an incident already paged is not paged itself.

Two processes seeing the third report at once both try to open the incident: the unique partial index on
open incidents per component lets one insert win, the other reads the winner and links its case to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

from sqlalchemy import Executable, Table, bindparam, func, literal_column
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import CaseStatus
from store import cases as case_store
from store.accounts import canonical_k_number
from store.db import LOCK_INCIDENT_REPORTS, insert_for, lock_until_commit, upsert
from store.errors import CaseNotFoundError, StoreError
from store.jobs import Jobs, run_many
from store.models import (
    Account,
    Case,
    CaseComponent,
    CaseEvent,
    CasePublic,
    Incident,
    IncidentCase,
    IncidentPublic,
    IncidentStatus,
    IncidentUpdate,
)
from store.outbox import NewOutboxItem

# Case event kinds of the incident's doings (stored as text like every kind).
INCIDENT_LINKED = "incident_linked"
INCIDENT_DETACHED = "incident_detached"
AUTO = "auto"  # opened_by/linked_by of the reports rule
_CLOSED = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value)


class IncidentError(StoreError):
    """An incident operation that cannot be done (the message says why, for the agent)."""


class IncidentNotFoundError(IncidentError):
    """No incident with that id."""


@dataclass(frozen=True, kw_only=True)
class ReportsRule:
    """When reports make an incident: `min_accounts` accounts within `window`, at these severities."""

    min_accounts: int = 3
    window: timedelta = timedelta(minutes=15)
    severities: frozenset[int] = frozenset({1, 2})


@dataclass(frozen=True)
class IncidentRef:
    """The incident a filing joined, without its cases: in an outage hundreds of reports join one incident,
    and reading all their numbers at every filing made each one slower than the last."""

    id: int
    component: str
    opened_at: datetime
    paged_at: datetime | None


@dataclass(frozen=True)
class Filed:
    """A filed case and the incident it is linked to (None: none), `opened` when this filing opened it
    (its linked cases: incident_of)."""

    case: CasePublic
    incident: IncidentRef | None
    opened: bool = False


# Builds the incident's page: (incident id, component, accounts reporting) -> outbox item.
IncidentPage = Callable[[int, str, int], NewOutboxItem]

_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_EVENTS: Table = CaseEvent.__table__  # type: ignore[attr-defined]
_INCIDENTS: Table = Incident.__table__  # type: ignore[attr-defined]
_LINKS: Table = IncidentCase.__table__  # type: ignore[attr-defined]
_COMPONENTS: Table = CaseComponent.__table__  # type: ignore[attr-defined]

# A filed case's components, on the turn that files it (store/jobs.py runs it straight on the driver).
_INSERT_COMPONENT = _COMPONENTS.insert().values(
    {n: bindparam(n) for n in ("case_id", "component", "created_at", "severity", "account_id")}
)
_ACCOUNT_ID = sa_select(Account.__table__.c.id).where(Account.__table__.c.k_number == bindparam("k_number"))  # type: ignore[attr-defined]
_OPEN_FOR = sa_select(_INCIDENTS).where(
    _INCIDENTS.c.component == bindparam("component"), _INCIDENTS.c.status == IncidentStatus.OPEN.value
)
_BY_ID = sa_select(_INCIDENTS).where(_INCIDENTS.c.id == bindparam("id"))
# The recent reports of a component: Sev1/Sev2 cases still open and in no incident.
_RECENT = (
    sa_select(_COMPONENTS.c.case_id, _COMPONENTS.c.account_id)
    .join(_CASES, _CASES.c.id == _COMPONENTS.c.case_id)
    .outerjoin(_LINKS, _LINKS.c.case_id == _COMPONENTS.c.case_id)
    .where(
        _COMPONENTS.c.component == bindparam("component"),
        _COMPONENTS.c.created_at >= bindparam("since"),
        _COMPONENTS.c.severity.in_(bindparam("severities", expanding=True)),
        _CASES.c.status.not_in(_CLOSED),
        _LINKS.c.id.is_(None),
    )
)
_LINK_OF_CASE = sa_select(_LINKS.c.incident_id).where(
    _LINKS.c.case_id == bindparam("case_id"), _LINKS.c.detached_at.is_(None)
)
_LINKED_NUMBERS = (
    sa_select(_CASES.c.number, _LINKS.c.detached_at)
    .join(_LINKS, _LINKS.c.case_id == _CASES.c.id)
    .where(_LINKS.c.incident_id == bindparam("id"))
    .order_by(_CASES.c.created_at, _CASES.c.id)
)
_MARK_PAGED = (
    _INCIDENTS.update()
    .where(_INCIDENTS.c.id == bindparam("incident_id"), _INCIDENTS.c.paged_at.is_(None))
    .values(paged_at=bindparam("paged", type_=_INCIDENTS.c.paged_at.type))
)


@cache
def _insert_open(dialect: str) -> Executable:
    # ON CONFLICT on the partial index: the second opener of the same component inserts nothing.
    return (
        insert_for(dialect, Incident)
        .values(
            component=bindparam("component"),
            title=bindparam("title"),
            resolution="",
            opened_by=bindparam("opened_by"),
            status=IncidentStatus.OPEN.value,
            opened_at=bindparam("at", type_=_INCIDENTS.c.opened_at.type),
        )
        .on_conflict_do_nothing(index_elements=["component"], index_where=literal_column("status = 'open'"))
        .returning(_INCIDENTS.c.id)
    )


@cache
def _insert_link(dialect: str) -> Executable:
    # A case already in an incident stays in it: a case is in at most one.
    return (
        insert_for(dialect, IncidentCase)
        .values(
            incident_id=bindparam("incident_id"),
            case_id=bindparam("case_id"),
            linked_at=bindparam("at", type_=_LINKS.c.linked_at.type),
            linked_by=bindparam("by"),
        )
        .on_conflict_do_nothing(index_elements=["case_id"])
        .returning(_LINKS.c.id)
    )


def incident_of(conn: Connection, incident_id: int) -> IncidentPublic | None:
    """The incident with its linked case numbers (a job)."""
    row = conn.execute(_BY_ID, {"id": incident_id}).first()
    if row is None:
        return None
    links = conn.execute(_LINKED_NUMBERS, {"id": incident_id}).all()
    cases = [n for n, detached in links if detached is None]
    detached = [n for n, at in links if at is not None]
    return IncidentPublic.model_validate({**row._mapping, "cases": cases, "detached": detached})


def _ref(conn: Connection, query: Executable, params: dict[str, Any]) -> IncidentRef | None:
    row = conn.execute(query, params).first()
    return None if row is None else IncidentRef(int(row.id), row.component, row.opened_at, row.paged_at)


def _open_for(conn: Connection, component: str) -> IncidentRef | None:
    return _ref(conn, _OPEN_FOR, {"component": component})


def _link(conn: Connection, *, incident: IncidentRef, case_id: int, by: str, at: datetime) -> bool:
    inserted = conn.execute(
        _insert_link(conn.dialect.name), {"incident_id": incident.id, "case_id": case_id, "at": at, "by": by}
    ).first()
    if inserted is not None:
        detail = {"incident": incident.id, "component": incident.component}
        conn.execute(_EVENTS.insert(), case_store.event_row(case_id, at, by, INCIDENT_LINKED, detail))
    return inserted is not None


def file_case(
    conn: Connection,
    *,
    case: case_store.CaseCreate,
    components: Sequence[str],
    rule: ReportsRule,
    case_page: NewOutboxItem | None,
    incident_page: IncidentPage,
) -> Filed:
    """Record `case` (as store.cases.create_case does) with its components and the reports rule (a job)."""
    existing = case_store._case_by_key(conn, key=case.idempotency_key)  # a retried filing: the same answer
    if existing is not None:
        linked = conn.execute(_LINK_OF_CASE, {"case_id": existing.id}).scalar()
        return Filed(existing, None if linked is None else _ref(conn, _BY_ID, {"id": int(linked)}))
    at, k_number = case.created_at, canonical_k_number(case.k_number)
    counted = int(case.severity) in rule.severities and bool(components)
    if counted:  # reports filed at once each count those before them, so the one reaching the rule opens
        lock_until_commit(conn, LOCK_INCIDENT_REPORTS, components)
    target = next((i for c in components if (i := _open_for(conn, c)) is not None), None) if counted else None
    opening, accounts = None, 0
    if counted and target is None:
        for component in components:
            recent = _recent(conn, component, at, rule)
            accounts = len({a for _, a in recent} | {_account_key(conn, k_number)})
            if accounts >= rule.min_accounts:
                opening = component
                break
    # The case's own page goes out only when it is not part of an incident (which is paged instead).
    page = () if case_page is None or opening or target is not None else (case_page,)
    created = case_store._create(conn, case=replace(case, outbox=(*case.outbox, *page)), looked=True)
    own = {"case_id": created.id, "created_at": at, "severity": int(case.severity), "account_id": created.account_id}
    rows = [{**own, "component": c} for c in dict.fromkeys(components)]
    run_many(conn, _INSERT_COMPONENT, rows)
    opened = False
    if opening is not None:
        title = f"Outage of {opening}"
        new_id = conn.execute(
            _insert_open(conn.dialect.name), {"component": opening, "title": title, "opened_by": AUTO, "at": at}
        ).scalar()
        opened = new_id is not None
        target = _ref(conn, _BY_ID, {"id": int(new_id)}) if new_id is not None else _open_for(conn, opening)
        if opened and target is not None:
            for case_id, _ in _recent(conn, opening, at, rule):
                _link(conn, incident=target, case_id=int(case_id), by=AUTO, at=at)
    if target is None:
        return Filed(created, None)
    _link(conn, incident=target, case_id=created.id, by=AUTO, at=at)
    if target.paged_at is None and (opened or case_page is not None):
        # Paged once: the opening report, or the first Sev1 linked to an incident an agent opened.
        item = incident_page(target.id, target.component, max(accounts, 1))
        if conn.execute(_MARK_PAGED, {"incident_id": target.id, "paged": at}).rowcount == 1:
            history = case_store.queue_for_case(conn, case_id=created.id, items=[item], now=at, actor=AUTO)
            conn.execute(_EVENTS.insert(), history)
    return Filed(created, target, opened=opened)


def _recent(conn: Connection, component: str, at: datetime, rule: ReportsRule) -> list[tuple[int, int]]:
    """The (case id, account id) of the component's reports within the rule's window."""
    params = {"component": component, "since": at - rule.window, "severities": sorted(rule.severities)}
    return [(int(c), int(a)) for c, a in conn.execute(_RECENT, params)]


def _account_key(conn: Connection, k_number: str) -> int:
    # The filing case's account id, as the recent reports' are; an account not stored yet is none of theirs.
    found = conn.execute(_ACCOUNT_ID, {"k_number": k_number}).scalar()
    return -1 if found is None else int(found)


async def file_with_rule(
    jobs: Jobs,
    *,
    case: case_store.CaseCreate,
    components: Sequence[str],
    rule: ReportsRule,
    case_page: NewOutboxItem | None,
    incident_page: IncidentPage,
) -> Filed:
    """Run file_case as a write job; a concurrent filing of the same key returns that case, as create_case."""
    job = partial(
        file_case, case=case, components=components, rule=rule, case_page=case_page, incident_page=incident_page
    )
    for attempt in range(1, case_store.MAX_CREATE_ATTEMPTS + 1):
        try:
            return await jobs.write(job)
        except IntegrityError:
            if attempt == case_store.MAX_CREATE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------- agents' side (async sessions)


async def list_incidents(
    session: AsyncSession, *, status: IncidentStatus | None = None, limit: int = 100
) -> list[IncidentPublic]:
    """Incidents, newest first, with their linked case numbers."""
    query = select(Incident.id)
    if status is not None:
        query = query.where(Incident.status == IncidentStatus(status).value)
    ids = (
        await session.exec(query.order_by(col(Incident.opened_at).desc(), col(Incident.id).desc()).limit(limit))
    ).all()
    return [i for i in [await get_incident(session, incident_id=int(n)) for n in ids if n is not None] if i]


async def get_incident(session: AsyncSession, *, incident_id: int) -> IncidentPublic | None:
    """The incident with its linked and detached case numbers, or None."""
    conn = await session.connection()
    return await conn.run_sync(lambda c: incident_of(c, incident_id))


async def require_incident(session: AsyncSession, *, incident_id: int) -> IncidentPublic:
    """As get_incident; raise IncidentNotFoundError."""
    incident = await get_incident(session, incident_id=incident_id)
    if incident is None:
        raise IncidentNotFoundError(f"no incident {incident_id}")
    return incident


async def open_incident(
    session: AsyncSession, *, component: str, title: str, actor: str, at: datetime
) -> IncidentPublic:
    """Open an incident by hand; raise IncidentError when the component has one open already."""
    conn = await session.connection()
    params = {"component": component, "title": title, "opened_by": actor, "at": at}
    new_id = (await conn.execute(_insert_open(conn.dialect.name), params)).scalar()
    if new_id is None:
        raise IncidentError(f"an incident of {component} is open already")
    return await require_incident(session, incident_id=int(new_id))


async def link_case(
    session: AsyncSession, *, incident_id: int, number: str, actor: str, at: datetime
) -> IncidentPublic:
    """Link a case to an open incident (a detached case may be linked again); raise IncidentError."""
    incident = await _require_open(session, incident_id)
    case = await _require_case(session, number)
    link = (await session.exec(select(IncidentCase).where(IncidentCase.case_id == case.id))).first()
    if link is not None and link.incident_id != incident_id and link.detached_at is None:
        raise IncidentError(f"case {case.number} is linked to incident {link.incident_id}")
    if link is not None:
        link.incident_id, link.detached_at, link.detached_by = incident_id, None, None
        link.linked_at, link.linked_by = at, actor
    else:
        session.add(IncidentCase(incident_id=incident_id, case_id=case.id, linked_at=at, linked_by=actor))
    detail = {"incident": incident_id, "component": incident.component}
    session.add(CaseEvent(case_id=case.id, at=at, actor=actor, kind=INCIDENT_LINKED, detail=detail))
    await session.flush()
    return await require_incident(session, incident_id=incident_id)


async def detach_case(
    session: AsyncSession, *, incident_id: int, number: str, actor: str, at: datetime
) -> IncidentPublic:
    """Detach a linked case: it keeps its own course (resolving the incident leaves it open)."""
    await require_incident(session, incident_id=incident_id)
    case = await _require_case(session, number)
    query = select(IncidentCase).where(IncidentCase.case_id == case.id, IncidentCase.incident_id == incident_id)
    link = (await session.exec(query)).first()
    if link is None or link.detached_at is not None:
        raise IncidentError(f"case {case.number} is not linked to incident {incident_id}")
    link.detached_at, link.detached_by = at, actor
    session.add(
        CaseEvent(case_id=case.id, at=at, actor=actor, kind=INCIDENT_DETACHED, detail={"incident": incident_id})
    )
    await session.flush()
    return await require_incident(session, incident_id=incident_id)


async def record_update(
    session: AsyncSession, *, incident_id: int, text: str, actor: str, at: datetime, key: str | None = None
) -> tuple[IncidentPublic, int, bool]:
    """Record an update on an open incident (in the caller's transaction); return it, the update's id and
    whether it is new: an update with a `key` already recorded on the incident is that one again.

    The caller queues the notice for every linked case (`IncidentPublic.cases`) in the same transaction.
    """
    incident = await _require_open(session, incident_id)
    values = {"incident_id": incident_id, "at": at, "actor": actor, "text": text, "reached": len(incident.cases)}
    inserted = (
        await session.exec(
            upsert(session, IncidentUpdate)
            .values(**values, key=key)
            .on_conflict_do_nothing()
            .returning(col(IncidentUpdate.id))
        )
    ).scalar_one_or_none()
    if inserted is not None:
        return incident, int(inserted), True
    earlier = (
        await session.exec(
            select(IncidentUpdate.id).where(IncidentUpdate.incident_id == incident_id, IncidentUpdate.key == key)
        )
    ).one()
    assert earlier is not None
    return incident, earlier, False


async def updates_of(session: AsyncSession, *, incident_id: int) -> list[IncidentUpdate]:
    """The updates posted on an incident, oldest first."""
    query = select(IncidentUpdate).where(IncidentUpdate.incident_id == incident_id).order_by(col(IncidentUpdate.id))
    return list((await session.exec(query)).all())


async def resolve_incident(
    session: AsyncSession, *, incident_id: int, resolution: str, actor: str, at: datetime
) -> IncidentPublic:
    """Resolve the incident and every linked (not detached) case with its resolution, an event on each."""
    await _require_open(session, incident_id)
    stmt = (
        update(Incident)
        .where(col(Incident.id) == incident_id, col(Incident.status) == IncidentStatus.OPEN.value)
        .values(status=IncidentStatus.RESOLVED.value, resolution=resolution, resolved_at=at, resolved_by=actor)
        .execution_options(synchronize_session=False)
    )
    if (await session.exec(stmt)).rowcount != 1:  # type: ignore[attr-defined]
        raise IncidentError(f"incident {incident_id} is resolved already")
    incident = await require_incident(session, incident_id=incident_id)
    for number in incident.cases:
        case = await case_store.get_case(session, number=number)
        if case is not None and case.status.value not in _CLOSED:
            reason = f"incident {incident_id} resolved: {resolution}"
            await case_store.update_case(
                session, number=number, actor=actor, at=at, status=CaseStatus.RESOLVED, reason=reason
            )
    return incident


async def open_count(session: AsyncSession) -> int:
    """How many incidents are open."""
    query = select(func.count()).select_from(Incident).where(Incident.status == IncidentStatus.OPEN.value)
    return int((await session.exec(query)).one())


async def _require_open(session: AsyncSession, incident_id: int) -> IncidentPublic:
    incident = await require_incident(session, incident_id=incident_id)
    if incident.status is not IncidentStatus.OPEN:
        raise IncidentError(f"incident {incident_id} is resolved")
    return incident


async def _require_case(session: AsyncSession, number: str) -> CasePublic:
    canonical = case_store.normalise_case_number(number) or number
    case = await case_store.get_case(session, number=canonical)
    if case is None:
        raise CaseNotFoundError(f"no case {number}")
    return case
