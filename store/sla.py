"""The SLA watch's store work: which cases are due a look, the once-only claim of an alert, the next look.

Jobs (plain functions of a Connection, see store/jobs.py). The watch finds cases by the indexed
`cases.sla_next_at`, never by scanning open cases, and claims each alert by inserting its row: the unique
(case, clock, threshold, run) key lets exactly one process, once, fire it, whatever runs concurrently.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.schema import Table

from intake.domain import CaseEventKind, CaseStatus, require_aware
from store.cases import event_row, queue_for_case
from store.db import insert_for
from store.models import Agent, Case, CaseEvent, CasePublic, SlaAlert
from store.outbox import NewOutboxItem

__all__ = ["agent_email", "claim_alert", "due_cases", "record_alert", "set_next_look"]

_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_EVENTS: Table = CaseEvent.__table__  # type: ignore[attr-defined]
_ALERTS: Table = SlaAlert.__table__  # type: ignore[attr-defined]
_ACTOR = "sla"  # who the watch's entries in a case's history are by
# Resolved cases are watched too: a reopening sets their next look again, and nothing is due while frozen.
_UNWATCHED = (CaseStatus.CLOSED.value,)


def due_cases(conn: Connection, *, now: datetime, limit: int) -> list[CasePublic]:
    """Open cases whose next look is due, oldest first, locked for this transaction.

    On PostgreSQL the rows are taken FOR UPDATE SKIP LOCKED, so concurrent watchers share the work instead of
    queueing on the same cases; SQLite has one writer at a time anyway.
    """
    query = (
        sa_select(_CASES)
        .where(_CASES.c.sla_next_at <= require_aware(now, "now"), _CASES.c.status.not_in(_UNWATCHED))
        .order_by(_CASES.c.sla_next_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [CasePublic.model_validate(dict(row._mapping)) for row in conn.execute(query)]


def claim_alert(
    conn: Connection, *, case_id: int, clock: str, threshold: str, run_start: datetime, now: datetime
) -> bool:
    """Record that an alert fired; False if it had fired already (by this process or another)."""
    # The unique (case, clock, threshold, run) key: a second claim, here or in another process, inserts nothing.
    claim = (
        insert_for(conn.dialect.name, SlaAlert)
        .values(case_id=case_id, clock=clock, threshold=threshold, run_start=run_start, fired_at=now)
        .on_conflict_do_nothing(index_elements=["case_id", "clock", "threshold", "run_start"])
        .returning(_ALERTS.c.id)
    )
    return conn.execute(claim).first() is not None


_SET_NEXT = update(_CASES).where(_CASES.c.id == bindparam("case_id")).values(sla_next_at=bindparam("next_at"))


def set_next_look(conn: Connection, *, case_id: int, at: datetime | None) -> None:
    """When the watch must look at the case again (None: not until something happens to it)."""
    conn.execute(_SET_NEXT, {"case_id": case_id, "next_at": at})


def record_alert(
    conn: Connection,
    *,
    case_id: int,
    kind: CaseEventKind,
    detail: dict[str, object],
    now: datetime,
    items: tuple[NewOutboxItem, ...] = (),
) -> None:
    """Add the alert to the case's history and queue what it sends, in the watch's transaction.

    The event does not move the case's next look (unlike the service's other events): the watch sets it.
    """
    history = [event_row(case_id, now, _ACTOR, CaseEventKind(kind).value, detail)]
    history += queue_for_case(conn, case_id=case_id, items=items, now=now, actor=_ACTOR)
    conn.execute(_EVENTS.insert(), history)


_AGENTS: Table = Agent.__table__  # type: ignore[attr-defined]
_AGENT_EMAIL = sa_select(_AGENTS.c.email).where(_AGENTS.c.name == bindparam("name"), _AGENTS.c.disabled.is_(False))


def agent_email(conn: Connection, *, name: str) -> str | None:
    """The email address of the agent called `name` (a case's assignee); None when none or disabled."""
    row = conn.execute(_AGENT_EMAIL, {"name": name}).first()
    return str(row[0]) if row is not None and row[0] else None
