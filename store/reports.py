"""The supervisors' figures for a month, read in bounded, indexed queries into one Report (store/report_model.py).

The dashboard (bot/console/dashboard.py) and `intake report` (bot/cli_report.py) both call build_report, so
the page and the report always agree.

- **This month's cases** (created in the month, by the `cases.created_at` index, in keyset batches of
  BATCH): their clocks (bot/sla.case_clocks, handed in) read at the month's end (or now) give each target's
  attainment per severity: a clock met or missed counts, one still running does not yet; the update target
  counts as missed if any update interval breached (the watch's `sla_breached` entry), as met once it
  stopped without one.
  Their times to first response and to resolution give the median and 90th percentile (nearest rank), and
  the handoffs and dial attempts of each batch tell which the bot filed with no agent taking part.
- **Open cases** (by the `cases.status` index): their SLA state now, as the case list computes it (the
  caller's `sla_state`), per severity, and their age.
- **Availability**: Sev1 cases linked to incidents that overlap the month tie accounts to incidents; each
  incident counts from its start (its opening, or its first linked report if earlier) to its resolution.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.availability import Commitment, Month, availability
from intake.domain import CaseEventKind, Severity, require_aware
from intake.sla import ClockName, ClockReading, ClockState
from store.agents import count_available
from store.cases_work import CLOCK_EVENT_KINDS, OPEN_STATUSES, clock_events_of
from store.models import (
    Account,
    Case,
    CaseEventPublic,
    CasePublic,
    DialAttempt,
    Handoff,
    HandoffStatus,
    Incident,
    IncidentCase,
    IncidentStatus,
    Survey,
    SurveyStatus,
)
from store.report_model import (
    BACKLOG_LABELS,
    AccountAvailability,
    Attainment,
    Backlog,
    BotShare,
    Figure,
    Live,
    OpenCases,
    OpenIncident,
    Report,
    Spread,
    Surveys,
    backlog_label,
    percentile,
)

# Cases are read this many at a time, and at most MAX_CASES of the month's (or of the open ones) a report.
BATCH = 500
MAX_CASES = 20_000
MAX_SURVEYS = 20_000
MAX_INCIDENTS = 500
# The case list's SLA states (bot/agents/api_work.SlaState values), in the order the figures list them.
SLA_STATES = ("breached", "warning", "ok", "paused")
TARGETS = (ClockName.RESPONSE, ClockName.UPDATE, ClockName.FIX)
# A dial attempt whose engineer pressed 1: a person took the call (bot/voice/routes.py ACCEPTED).
DIAL_ACCEPTED = "accepted"
# An update clock stopped (resolved, closed) with a target: met unless an interval breached.
_STOPPED = (ClockState.MET, ClockState.FROZEN, ClockState.ENDED)
_READ_KINDS = (*CLOCK_EVENT_KINDS, CaseEventKind.SLA_BREACHED)

# A stored case's clocks at an instant (bot/sla.case_clocks with the policy), and the case list's SLA state of
# them (bot/agents/api_work.sla_state): the service's own readings, handed in (the store never imports bot).
ClocksOf = Callable[[CasePublic, Sequence[CaseEventPublic], datetime], tuple[ClockReading, ...]]
SlaStateOf = Callable[[tuple[ClockReading, ...]], str]

_INCIDENTS: Table = Incident.__table__  # type: ignore[attr-defined]
_LINKS: Table = IncidentCase.__table__  # type: ignore[attr-defined]
_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_ACCOUNTS: Table = Account.__table__  # type: ignore[attr-defined]


async def _batches(session: AsyncSession, *where: object) -> list[list[CasePublic]]:
    """The cases `where` selects, oldest id first, in keyset batches; at most MAX_CASES."""
    found: list[list[CasePublic]] = []
    after, read = 0, 0
    while read < MAX_CASES:
        query = select(Case).where(*where, col(Case.id) > after).order_by(col(Case.id)).limit(BATCH)  # type: ignore[arg-type]
        batch = [CasePublic.model_validate(row) for row in (await session.exec(query)).all()]
        if not batch:
            break
        found.append(batch)
        read += len(batch)
        after = batch[-1].id
        if len(batch) < BATCH:
            break
    return found


async def _with_agents(session: AsyncSession, numbers: list[str]) -> set[str]:
    """Of `numbers`, the cases an agent took part in: a live chat claimed, or an engineer dialled through."""
    chats = select(Handoff.case_number).where(
        col(Handoff.case_number).in_(numbers), col(Handoff.claimed_at).is_not(None)
    )
    dials = select(DialAttempt.case_number).where(
        col(DialAttempt.case_number).in_(numbers), DialAttempt.status == DIAL_ACCEPTED
    )
    found = {n for n in (await session.exec(chats)).all() if n}
    return found | set((await session.exec(dials)).all())


class _Month:
    """The month's cases tallied batch by batch."""

    def __init__(self, clocks_of: ClocksOf, read_at: datetime) -> None:
        self.clocks_of, self.read_at = clocks_of, read_at
        self.met: dict[tuple[int, ClockName], Figure] = defaultdict(Figure)
        self.missed: dict[tuple[int, ClockName], Figure] = defaultdict(Figure)
        self.first_response, self.resolution = Figure(), Figure()
        self.response_minutes: list[float] = []
        self.resolution_minutes: list[float] = []
        self.filed, self.without_agent = Figure(), Figure()

    def add(self, case: CasePublic, events: list[CaseEventPublic], with_agent: bool) -> None:
        severity, number = int(case.severity), case.number
        response, update, fix = self.clocks_of(case, events, self.read_at)
        for reading in (response, fix):
            if reading.state is ClockState.MET:
                self.met[severity, reading.name].add(number)
            elif reading.state is ClockState.BREACHED:
                self.missed[severity, reading.name].add(number)
        update_breached = update.state is ClockState.BREACHED or any(
            e.kind == CaseEventKind.SLA_BREACHED.value and e.detail.get("clock") == ClockName.UPDATE.value
            for e in events
            if e.at <= self.read_at
        )
        if update_breached:
            self.missed[severity, ClockName.UPDATE].add(number)
        elif update.started is not None and update.state in _STOPPED:
            self.met[severity, ClockName.UPDATE].add(number)
        if case.first_response_at is not None and case.first_response_at <= self.read_at:
            self.first_response.add(number)
            self.response_minutes.append((case.first_response_at - case.created_at).total_seconds() / 60)
        if case.resolved_at is not None and case.resolved_at <= self.read_at:
            self.resolution.add(number)
            self.resolution_minutes.append((case.resolved_at - case.created_at).total_seconds() / 60)
        self.filed.add(number)
        if not with_agent:
            self.without_agent.add(number)

    def attainment(self) -> list[Attainment]:
        return [
            Attainment(int(s), t.value, self.met[int(s), t], self.missed[int(s), t]) for s in Severity for t in TARGETS
        ]

    def times(self) -> list[Spread]:
        def spread(measure: str, figure: Figure, minutes: list[float]) -> Spread:
            middle, p90 = percentile(minutes, 0.5), percentile(minutes, 0.9)
            return Spread(measure, figure, _round(middle), _round(p90))

        return [
            spread("first_response", self.first_response, self.response_minutes),
            spread("resolution", self.resolution, self.resolution_minutes),
        ]


def _round(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes, 1)


async def _month_cases(
    session: AsyncSession, clocks_of: ClocksOf, start: datetime, end: datetime, read_at: datetime
) -> tuple[_Month, bool]:
    tally = _Month(clocks_of, read_at)
    batches = await _batches(session, col(Case.created_at) >= start, col(Case.created_at) < end)
    for batch in batches:
        history = await clock_events_of(session, case_ids=[c.id for c in batch], kinds=_READ_KINDS)
        with_agents = await _with_agents(session, [c.number for c in batch])
        for case in batch:
            tally.add(case, history[case.id], case.number in with_agents)
    return tally, sum(map(len, batches)) >= MAX_CASES


async def _open_cases(
    session: AsyncSession, clocks_of: ClocksOf, now: datetime, sla_state: SlaStateOf
) -> tuple[list[OpenCases], list[Backlog], bool]:
    by_state: dict[tuple[int, str], Figure] = defaultdict(Figure)
    ages: dict[str, Figure] = defaultdict(Figure)
    batches = await _batches(session, col(Case.status).in_([s.value for s in OPEN_STATUSES]))
    for batch in batches:
        history = await clock_events_of(session, case_ids=[c.id for c in batch])
        for case in batch:
            by_state[int(case.severity), sla_state(clocks_of(case, history[case.id], now))].add(case.number)
            ages[backlog_label((now - case.created_at) / timedelta(days=1))].add(case.number)
    states = [OpenCases(int(s), state, by_state[int(s), state]) for s in Severity for state in SLA_STATES]
    return states, [Backlog(label, ages[label]) for label in BACKLOG_LABELS], sum(map(len, batches)) >= MAX_CASES


async def _incidents(session: AsyncSession) -> list[OpenIncident]:
    query = (
        sa_select(_INCIDENTS.c.id, _INCIDENTS.c.component, _INCIDENTS.c.title, _INCIDENTS.c.opened_at, _CASES.c.number)
        .outerjoin(_LINKS, and_(_LINKS.c.incident_id == _INCIDENTS.c.id, _LINKS.c.detached_at.is_(None)))
        .outerjoin(_CASES, _CASES.c.id == _LINKS.c.case_id)
        .where(_INCIDENTS.c.status == IncidentStatus.OPEN.value)
        .order_by(_INCIDENTS.c.opened_at, _INCIDENTS.c.id, _CASES.c.id)
    )
    found: dict[int, OpenIncident] = {}
    for row in (await (await session.connection()).execute(query)).all():
        incident = found.setdefault(row.id, OpenIncident(row.id, row.component, row.title, row.opened_at, Figure()))
        if row.number is not None:
            incident.figure.add(row.number)
    return list(found.values())[:MAX_INCIDENTS]


async def _surveys(session: AsyncSession, start: datetime, end: datetime) -> Surveys:
    query = (
        select(Survey.case_number, Survey.nps, Survey.csat)
        .where(
            Survey.status == SurveyStatus.ANSWERED.value,
            col(Survey.answered_at) >= start,
            col(Survey.answered_at) < end,
        )
        .order_by(col(Survey.id))
        .limit(MAX_SURVEYS)
    )
    promoters, passives, detractors = Figure(), Figure(), Figure()
    scores: list[int] = []
    for number, nps, csat in (await session.exec(query)).all():
        if nps is not None:
            (promoters if nps >= 9 else passives if nps >= 7 else detractors).add(number)
        if csat is not None:
            scores.append(csat)
    return Surveys(promoters, passives, detractors, round(sum(scores) / len(scores), 2) if scores else None)


async def _availability(
    session: AsyncSession, start: datetime, end: datetime, now: datetime
) -> list[AccountAvailability]:
    """Each account a Sev1 incident overlapping the month affected, most downtime first."""
    first_report = (
        sa_select(func.min(_CASES.c.created_at))
        .select_from(_LINKS.join(_CASES, _CASES.c.id == _LINKS.c.case_id))
        .where(_LINKS.c.incident_id == _INCIDENTS.c.id)
        .scalar_subquery()
    )
    query = (
        sa_select(
            _INCIDENTS.c.id,
            _INCIDENTS.c.opened_at,
            _INCIDENTS.c.resolved_at,
            first_report.label("first_report"),
            _CASES.c.number,
            _ACCOUNTS.c.k_number,
            _ACCOUNTS.c.name,
            _ACCOUNTS.c.commitment,
        )
        .join(_LINKS, and_(_LINKS.c.incident_id == _INCIDENTS.c.id, _LINKS.c.detached_at.is_(None)))
        .join(_CASES, _CASES.c.id == _LINKS.c.case_id)
        .join(_ACCOUNTS, _ACCOUNTS.c.id == _CASES.c.account_id)
        .where(
            _CASES.c.severity == int(Severity.SEV1),
            _INCIDENTS.c.opened_at < end,
            or_(_INCIDENTS.c.resolved_at.is_(None), _INCIDENTS.c.resolved_at > start),
        )
        .order_by(_ACCOUNTS.c.k_number, _INCIDENTS.c.id, _CASES.c.id)
        .limit(MAX_CASES)
    )
    spans: dict[str, dict[int, tuple[datetime, datetime | None]]] = defaultdict(dict)
    accounts: dict[str, tuple[str, str, Figure]] = {}
    for row in (await (await session.connection()).execute(query)).all():
        began = min(row.opened_at, row.first_report or row.opened_at)
        spans[row.k_number][row.id] = (began, row.resolved_at)
        accounts.setdefault(row.k_number, (row.name, row.commitment, Figure()))[2].add(row.number)
    found = []
    for k_number, (name, commitment, figure) in accounts.items():
        month = availability(
            intervals=spans[k_number].values(), commitment=Commitment(commitment), start=start, end=end, now=now
        )
        if month.downtime_minutes <= 0:
            continue
        found.append(
            AccountAvailability(
                k_number=k_number,
                name=name,
                commitment=commitment,
                committed_percent=month.committed_percent,
                month_minutes=month.month_minutes,
                allowed_minutes=month.allowed_minutes,
                downtime_minutes=month.downtime_minutes,
                left_minutes=month.left_minutes,
                percent=month.percent,
                incidents=sorted(spans[k_number]),
                figure=figure,
            )
        )
    return sorted(found, key=lambda a: (-a.downtime_minutes, a.k_number))


async def _live(session: AsyncSession, now: datetime) -> Live:
    waiting = select(func.count()).select_from(Handoff).where(Handoff.status == HandoffStatus.QUEUED.value)
    return Live(int((await session.exec(waiting)).one()), await count_available(session, now=now))


async def build_report(
    session: AsyncSession, *, month: Month, zone: ZoneInfo, now: datetime, clocks_of: ClocksOf, sla_state: SlaStateOf
) -> Report:
    """Every figure of `month` (a calendar month in the desk's zone), the live ones as of `now`."""
    require_aware(now, "now")
    start, end = month.bounds(zone)
    tally, month_cut = await _month_cases(session, clocks_of, start, end, min(now, end))
    open_cases, backlog, open_cut = await _open_cases(session, clocks_of, now, sla_state)
    return Report(
        month=str(month),
        zone=str(zone),
        start=start,
        end=end,
        now=now,
        open_cases=open_cases,
        attainment=tally.attainment(),
        times=tally.times(),
        backlog=backlog,
        incidents=await _incidents(session),
        surveys=await _surveys(session, start, end),
        live=await _live(session, now),
        bot=BotShare(tally.filed, tally.without_agent),
        availability=await _availability(session, start, end, now),
        truncated=month_cut or open_cut,
    )
