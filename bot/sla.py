"""A stored case's SLA clocks: its row and history read as the domain's clock inputs (intake/sla.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from intake.domain import CaseEventKind, Severity
from intake.policy import Policy
from intake.sla import ClockReading, SlaEvent, clocks
from store.models import CaseEventPublic, CasePublic

_KINDS = {kind.value: kind for kind in CaseEventKind}


def sla_events(events: Sequence[CaseEventPublic]) -> list[SlaEvent]:
    """The case events the clocks read (other entries of the history, such as outbox stages, are skipped)."""
    return [SlaEvent(e.at, _KINDS[e.kind], dict(e.detail or {})) for e in events if e.kind in _KINDS]


def created_severity(case: CasePublic, events: Sequence[SlaEvent]) -> Severity:
    """The severity the case was created with: its `created` entry's, else the first change's `from`, else
    the case's own."""
    for event in events:
        if event.kind is CaseEventKind.CREATED and "severity" in event.detail:
            return Severity(int(str(event.detail["severity"])))
        if event.kind is CaseEventKind.SEVERITY_CHANGED and "from" in event.detail:
            return Severity(int(str(event.detail["from"])))
    return Severity(case.severity)


def case_clocks(
    policy: Policy, case: CasePublic, events: Sequence[CaseEventPublic], now: datetime
) -> tuple[ClockReading, ClockReading, ClockReading]:
    """The response, update and fix clocks of a stored case, read at `now`."""
    history = sla_events(events)
    return clocks(policy, severity=created_severity(case, history), created=case.created_at, events=history, now=now)
