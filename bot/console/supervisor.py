"""The supervisor's view: every open case with its SLA state, and Sev1 pages and calls with their outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.console.views import JsonObject
from intake.domain import CaseEventKind, CaseStatus, Severity
from store import cases as case_store
from store import handoffs as handoff_store
from store.models import CallRecord, CaseEventPublic, CasePublic, DialAttempt

OPEN_CASE_STATUSES = (
    CaseStatus.NEW,
    CaseStatus.INCOMPLETE,
    CaseStatus.IN_PROGRESS,
    CaseStatus.PENDING_CUSTOMER,
    CaseStatus.ESCALATED,
)
# "Due soon": within a quarter of the target's length, or within 15 minutes, whichever is longer.
DUE_SOON_SHARE = 0.25
DUE_SOON_FLOOR = timedelta(minutes=15)
# Case history entries that tell how a Sev1 page or call went.
PAGE_AND_CALL_EVENTS = (
    CaseEventKind.PAGE_QUEUED,
    CaseEventKind.PAGE_SENT,
    CaseEventKind.PAGE_FAILED,
    CaseEventKind.VOICEMAIL,
    CaseEventKind.FIRST_RESPONSE,
    CaseEventKind.STATUS_CHANGED,
)
MAX_OPEN_CASES = 500
MAX_SEV1_CASES = 50


class SlaState(StrEnum):
    """Where a case stands against its targets."""

    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    BREACHED = "breached"


_RANK = {SlaState.BREACHED: 0, SlaState.DUE_SOON: 1, SlaState.ON_TRACK: 2}


@dataclass(frozen=True)
class Sla:
    """A case's SLA state, the target it is measured against ("response", "fix" or None) and its due time."""

    state: SlaState
    target: str | None
    due: datetime | None


def sla_of(case: CasePublic, now: datetime) -> Sla:
    """Breached: past response due without a first response, or past fix due unresolved; else how close."""
    unresolved = case.resolved_at is None and case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
    if case.first_response_at is None and now > case.response_due:
        return Sla(SlaState.BREACHED, "response", case.response_due)
    if case.fix_due is not None and unresolved and now > case.fix_due:
        return Sla(SlaState.BREACHED, "fix", case.fix_due)
    if case.first_response_at is None:
        target, due = "response", case.response_due
    elif case.fix_due is not None and unresolved:
        target, due = "fix", case.fix_due
    else:
        return Sla(SlaState.ON_TRACK, None, None)
    window = max(due - case.created_at, timedelta(0))
    soon = max(window * DUE_SOON_SHARE, DUE_SOON_FLOOR)
    return Sla(SlaState.DUE_SOON if due - now <= soon else SlaState.ON_TRACK, target, due)


def _mask(number: str) -> str:
    # The supervisor needs to tell the on-call engineers apart, not to read their numbers.
    return "..." + number[-4:] if len(number) > 4 else "..."


async def _open_cases(session: AsyncSession, now: datetime) -> list[JsonObject]:
    cases: list[CasePublic] = []
    for status in OPEN_CASE_STATUSES:
        cases += await case_store.list_cases(session, status=status, limit=MAX_OPEN_CASES)
    handoffs = {h.case_number: h for h in await handoff_store.queue(session) if h.case_number}
    rows: list[tuple[tuple[int, datetime], JsonObject]] = []
    for case in cases:
        sla = sla_of(case, now)
        handoff = handoffs.get(case.number)
        row = {
            **case.to_json_dict(),
            "sla": {"state": sla.state.value, "target": sla.target, "due": sla.due.isoformat() if sla.due else None},
            "handoff": None if handoff is None else {"id": handoff.id, "status": handoff.status.value},
        }
        rows.append(((_RANK[sla.state], sla.due or case.response_due), row))
    rows.sort(key=lambda pair: (pair[0][0], pair[0][1], pair[1]["number"]))
    return [row for _, row in rows]


def _event_json(event: CaseEventPublic) -> JsonObject:
    return {"at": event.at.isoformat(), "kind": event.kind, "actor": event.actor, "detail": event.detail}


async def _sev1(session: AsyncSession) -> list[JsonObject]:
    cases = await case_store.list_cases(session, severity=Severity.SEV1, limit=MAX_SEV1_CASES)
    numbers = [case.number for case in cases]
    calls: dict[str, list[CallRecord]] = {}
    for call in (await session.exec(select(CallRecord).where(col(CallRecord.case_number).in_(numbers)))).all():
        calls.setdefault(call.case_number or "", []).append(call)
    attempts: dict[str, list[DialAttempt]] = {}
    query = select(DialAttempt).where(col(DialAttempt.case_number).in_(numbers)).order_by(col(DialAttempt.id))
    for attempt in (await session.exec(query)).all():
        attempts.setdefault(attempt.call_sid, []).append(attempt)
    result: list[JsonObject] = []
    for case in cases:
        events = await case_store.list_events(session, number=case.number)
        result.append(
            {
                "number": case.number,
                "k_number": case.k_number,
                "summary": case.summary,
                "channel": case.channel.value,
                "outcome": case.outcome.value,
                "status": case.status.value,
                "created_at": case.created_at.isoformat(),
                "first_response_at": case.first_response_at.isoformat() if case.first_response_at else None,
                "response_met": case.response_met,
                "events": [_event_json(e) for e in events if e.kind in PAGE_AND_CALL_EVENTS],
                "calls": [
                    {
                        "status": call.status,
                        "started_at": call.started_at.isoformat(),
                        "ended_at": call.ended_at.isoformat() if call.ended_at else None,
                        "dial_attempts": [
                            {
                                "attempt": a.attempt + 1,
                                "number": _mask(a.number),
                                "status": a.status,
                                "at": a.at.isoformat(),
                            }
                            for a in attempts.get(call.call_sid, [])
                        ],
                    }
                    for call in calls.get(case.number, [])
                ],
            }
        )
    return result


async def overview(session: AsyncSession, now: datetime) -> JsonObject:
    """Everything the supervisor page shows."""
    return {"now": now.isoformat(), "open_cases": await _open_cases(session, now), "sev1": await _sev1(session)}
