"""The case workspace's reads and actions, shared by the agent API and the console's case pages.

Reads: a page of cases with each case's SLA state and the next target's due instant, and one case with its
history, transcript, three clocks (bot/sla.py, the one reading of the clocks) and triage's reasons.
Actions: claim, assign, note, status, severity, resolve, close, reopen, post an update to the customer; each
runs in the caller's transaction and is checked by bot.agents.rules, as every change to a case is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agents.identity import require_role
from bot.agents.rules import CaseChange, authorise
from bot.errors import ConflictError, ForbiddenError, NotFoundError
from bot.sla import case_clocks
from intake.domain import CaseEventKind, CaseStatus, Severity
from intake.policy import Policy
from intake.sla import ClockReading, ClockState
from store import cases as case_store
from store import cases_work as work
from store.agents import get_agent_by_name
from store.handoffs import open_handoff_for, sync_severity
from store.models import AgentPublic, CasePublic, HandoffPublic, HandoffStatus, Role
from store.transcripts import get_transcript

JsonObject = dict[str, Any]
# A list with an SLA filter reads at most this many cases a request, and says where to carry on.
MAX_SCAN = 500
# The statuses an agent sets with "status"; resolving and closing have their own actions (a note, a role).
SETTABLE_STATUSES = (CaseStatus.IN_PROGRESS, CaseStatus.PENDING_CUSTOMER, CaseStatus.ESCALATED)
# The bot's key for creating a case exactly once: nothing an agent or a tool should see or key on.
_CASE_INTERNALS = frozenset({"idempotency_key"})


class SlaState(StrEnum):
    """Where a case stands against its clocks, for the workspace's lists and filters."""

    OK = "ok"  # every running clock short of its warning share (or nothing running)
    WARNING = "warning"  # a running clock past its warning share
    BREACHED = "breached"  # a clock past its target
    PAUSED = "paused"  # waiting for the customer: nothing running, something paused


def case_json(case: CasePublic) -> JsonObject:
    """A case as agents see it."""
    return {name: value for name, value in case.to_json_dict().items() if name not in _CASE_INTERNALS}


def sla_state(readings: tuple[ClockReading, ...]) -> SlaState:
    """The worst of the clocks: breached, then warning, then running (ok), then paused."""
    states = {r.state for r in readings}
    if ClockState.BREACHED in states:
        return SlaState.BREACHED
    running = [r for r in readings if r.state is ClockState.RUNNING]
    if any(r.warn_at is None for r in running):
        return SlaState.WARNING
    if not running and ClockState.PAUSED in states:
        return SlaState.PAUSED
    return SlaState.OK


def next_target(readings: tuple[ClockReading, ...]) -> ClockReading | None:
    """The running clock due first (a breached one still running is due in the past), or None."""
    running = [r for r in readings if r.due is not None]
    return min(running, key=lambda r: r.due or datetime.max, default=None)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _minutes(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds() / 60


def sla_json(readings: tuple[ClockReading, ...]) -> JsonObject:
    """A case's SLA state and the next target's due instant (what a list row counts down to)."""
    upcoming = next_target(readings)
    return {
        "state": sla_state(readings).value,
        "next": None if upcoming is None else {"clock": upcoming.name.value, "due": _iso(upcoming.due)},
    }


def clock_json(reading: ClockReading) -> JsonObject:
    """One clock: its state, target and count, time left (negative once breached), due and pauses."""
    return {
        "name": reading.name.value,
        "state": reading.state.value,
        "basis": reading.basis.value,
        "target_minutes": _minutes(reading.target),
        "counted_minutes": _minutes(reading.counted),
        "remaining_minutes": _minutes(reading.remaining),
        "started": _iso(reading.started),
        "stopped": _iso(reading.stopped),
        "due": _iso(reading.due),
        "warn_at": _iso(reading.warn_at),
        "pauses": [{"start": _iso(p.start), "end": _iso(p.end), "reason": p.reason} for p in reading.pauses],
    }


# --- reads -------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ListRequest:
    """A case list asked for: the store's filters, an SLA state, where to start and how many."""

    query: work.CaseQuery
    sla: SlaState | None = None
    before_id: int | None = None
    limit: int = 50


async def case_page(session: AsyncSession, policy: Policy, asked: ListRequest, now: datetime) -> JsonObject:
    """A page of cases (newest first) with their SLA state; `next` continues the list, null at its end.

    Without an SLA filter a page is one indexed query. With one, the clocks of each case decide, so at most
    MAX_SCAN cases are read a request: a page may come back short, with `next` saying where to carry on.
    """
    rows: list[JsonObject] = []
    before, scanned, more = asked.before_id, 0, True
    while len(rows) < asked.limit and scanned < MAX_SCAN and more:
        batch_size = asked.limit if asked.sla is None else min(MAX_SCAN - scanned, work.MAX_PAGE)
        batch = await work.list_work(session, query=asked.query, before_id=before, limit=batch_size)
        more = len(batch) == batch_size
        history = await work.clock_events_of(session, case_ids=[case.id for case in batch])
        for case in batch:
            scanned += 1
            before = case.id
            sla = sla_json(case_clocks(policy, case, history[case.id], now))
            if asked.sla is None or sla["state"] == asked.sla.value:
                rows.append({**case_json(case), "sla": sla})
                if len(rows) == asked.limit:
                    more = more or case is not batch[-1]
                    break
    return {"cases": rows, "next": before if more else None, "now": now.isoformat()}


def triage_why(events: list[JsonObject]) -> JsonObject | None:
    """The severity triage proposed and the reasons it gave (the latest `triage` entry), or None."""
    triage = [e for e in events if e["kind"] == CaseEventKind.TRIAGE.value]
    detail = triage[-1]["detail"] if triage else {}
    if not isinstance(detail, dict) or "severity" not in detail:
        return None
    evidence = detail.get("evidence")
    return {
        "severity": detail["severity"],
        "evidence": [str(e) for e in evidence] if isinstance(evidence, list) else [],
    }


async def live_chat(session: AsyncSession, case: CasePublic) -> HandoffPublic | None:
    """The case's conversation's open live chat (queued or active), if the customer is still there."""
    if case.conversation_id is None:
        return None
    handoff = await open_handoff_for(session, conversation_id=case.conversation_id)
    return handoff if handoff is not None and handoff.case_number == case.number else None


async def case_detail(session: AsyncSession, policy: Policy, case: CasePublic, now: datetime) -> JsonObject:
    """One case: the case, its history, transcript, clocks, SLA state, triage's reasons, live chat, version."""
    events = [e.to_json_dict() for e in await case_store.list_events(session, number=case.number)]
    lines = (
        await get_transcript(session, conversation_id=case.conversation_id, messages_only=True)
        if case.conversation_id
        else []
    )
    readings = case_clocks(policy, case, await case_store.list_events(session, number=case.number), now)
    chat = await live_chat(session, case)
    version = await case_store.case_version(session, number=case.number)
    return {
        "case": case_json(case),
        "events": events,
        # The raw Bot Framework activities stay out: the line's words are what an agent reads.
        "transcript": [
            {"id": line.id, "at": line.at.isoformat(), "role": line.role, "text": line.text} for line in lines
        ],
        "clocks": [clock_json(r) for r in readings],
        "sla": sla_json(readings),
        "triage": triage_why(events),
        "live_chat": None if chat is None else {"id": chat.id, "status": chat.status.value, "agent_id": chat.agent_id},
        "version": version,
        "now": now.isoformat(),
    }


# --- actions -----------------------------------------------------------------------------------------


async def locked_case(session: AsyncSession, number: str, expected: set[str] | None = None) -> CasePublic:
    """The case, its row held to commit; 404 when missing, 409 when `expected` versions miss the current one."""
    version = await case_store.case_version(session, number=number, for_update=True)
    case = None if version is None else await case_store.get_case(session, number=number)
    if version is None or case is None:
        raise NotFoundError(f"no case {number!r}")
    if expected is not None and version not in expected:
        raise ConflictError(
            "the case changed since you read it: load it again and retry", headers={"ETag": f'"{version}"'}
        )
    return case


async def claim(session: AsyncSession, agent: AgentPublic, case: CasePublic, at: datetime) -> CasePublic:
    """Take the case; 409 naming who has it when another agent does."""
    try:
        return await work.claim_case(session, number=case.number, agent=agent.name, at=at)
    except work.CaseTakenError as exc:
        raise ConflictError(f"{exc.assignee} has this case already; a supervisor can reassign it") from exc


async def assign(
    session: AsyncSession, agent: AgentPublic, case: CasePublic, to: str | None, actor: str, at: datetime
) -> CasePublic:
    """Give the case to an enabled agent, or to nobody. Agents may only let go of their own cases; a
    supervisor may give any case to anyone."""
    if agent.role is not Role.SUPERVISOR and not (to is None and case.assignee == agent.name):
        require_role(agent, Role.SUPERVISOR, action="assign a case to someone (claim it, or let go of your own)")
    if to is not None:
        found = await get_agent_by_name(session, name=to)
        if found is None or found.disabled:
            raise NotFoundError(f"no enabled agent named {to!r}")
        to = found.name
    return await work.assign_case(session, number=case.number, assignee=to, actor=actor, at=at)


async def note(
    session: AsyncSession, agent: AgentPublic, case: CasePublic, text: str, actor: str, at: datetime
) -> None:
    """An internal note: the customer never sees it."""
    await authorise(session, agent, case, CaseChange(note=True))
    await case_store.add_event(
        session, number=case.number, kind=CaseEventKind.NOTE, actor=actor, at=at, detail={"text": text}
    )


async def set_status(
    session: AsyncSession, agent: AgentPublic, case: CasePublic, status: CaseStatus, actor: str, at: datetime
) -> CasePublic:
    """In progress, waiting for the customer (the update and fix clocks pause) or escalated."""
    if status not in SETTABLE_STATUSES:
        raise ConflictError(f"use resolve or close to make a case {status.value}")
    await authorise(session, agent, case, CaseChange(status=status))
    return await case_store.update_case(session, number=case.number, actor=actor, at=at, status=status)


async def set_severity(
    session: AsyncSession,
    agent: AgentPublic,
    case: CasePublic,
    severity: Severity,
    reason: str,
    actor: str,
    at: datetime,
) -> CasePublic:
    """Re-grade the case; the reason goes into its history."""
    await authorise(session, agent, case, CaseChange(severity=severity))
    changed = await case_store.update_case(
        session, number=case.number, actor=actor, at=at, severity=severity, reason=reason
    )
    await sync_severity(session, case_number=case.number, severity=int(severity))  # the live queue's order
    return changed


async def _life_cycle(
    session: AsyncSession,
    agent: AgentPublic,
    case: CasePublic,
    to: CaseStatus,
    change: Callable[[], Awaitable[CasePublic]],
) -> CasePublic:
    """Run a resolve, close or reopen once the rule allows it; a case in no state for it is 409."""
    await authorise(session, agent, case, CaseChange(status=to))
    try:
        return await change()
    except work.CaseStateError as exc:
        raise ConflictError(str(exc)) from exc


async def resolve(
    session: AsyncSession, agent: AgentPublic, case: CasePublic, resolution: str, actor: str, at: datetime
) -> CasePublic:
    """Resolve with a resolution note (the status change's reason)."""
    change = partial(work.resolve_case, session, number=case.number, resolution=resolution, actor=actor, at=at)
    return await _life_cycle(session, agent, case, CaseStatus.RESOLVED, change)


async def close(session: AsyncSession, agent: AgentPublic, case: CasePublic, actor: str, at: datetime) -> CasePublic:
    """Close a resolved case (a supervisor's, as bot.agents.rules says)."""
    change = partial(work.close_case, session, number=case.number, actor=actor, at=at)
    return await _life_cycle(session, agent, case, CaseStatus.CLOSED, change)


async def reopen(
    session: AsyncSession, agent: AgentPublic, case: CasePublic, reason: str, actor: str, at: datetime
) -> CasePublic:
    """Open a resolved (any agent) or closed (a supervisor) case again, with a reason."""
    change = partial(work.reopen_case, session, number=case.number, actor=actor, at=at, reason=reason)
    return await _life_cycle(session, agent, case, CaseStatus.IN_PROGRESS, change)


def relay_target(chat: HandoffPublic | None, agent: AgentPublic) -> int | None:
    """The live chat an update is also said in: the agent's own active chat with the customer, else None."""
    if chat is None or chat.status is not HandoffStatus.ACTIVE or chat.agent_id != agent.id:
        return None
    return chat.id


def refuse_closed(case: CasePublic) -> None:
    """A closed case takes no more news: reopen it first."""
    if case.status is CaseStatus.CLOSED:
        raise ForbiddenError("the case is closed: reopen it before writing to the customer")
