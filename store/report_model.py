"""The supervisors' figures as typed values: what the dashboard shows and `intake report` prints, from one Report.

Every figure that counts cases carries the numbers of (up to MAX_LISTED of) its cases, so a chart's bar or a
table's cell opens the cases behind it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

# A figure lists at most this many of its cases (the newest); its count is always whole.
MAX_LISTED = 200
# Backlog ages, in days: [0, 1), [1, 3), [3, 7), [7, 30), [30, ...).
BACKLOG_DAYS = (1, 3, 7, 30)


@dataclass
class Figure:
    """A count of cases and (up to MAX_LISTED of) their numbers."""

    count: int = 0
    cases: list[str] = field(default_factory=list)

    def add(self, number: str) -> None:
        """Count one case, listing it while there is room."""
        self.count += 1
        if len(self.cases) < MAX_LISTED:
            self.cases.append(number)


@dataclass(frozen=True)
class OpenCases:
    """Open cases of one severity in one SLA state (the case list's states: ok, warning, breached, paused)."""

    severity: int
    state: str
    figure: Figure


@dataclass(frozen=True)
class Attainment:
    """One target of one severity this month: cases that met it, missed it, and the share met."""

    severity: int
    target: str  # response, update or fix
    met: Figure
    missed: Figure

    @property
    def percent(self) -> float | None:
        """The share met of those settled (None when none was)."""
        settled = self.met.count + self.missed.count
        return None if settled == 0 else round(100.0 * self.met.count / settled, 1)


@dataclass(frozen=True)
class Spread:
    """How long cases of the month took to a first response or to resolution, in minutes."""

    measure: str  # first_response or resolution
    figure: Figure
    median_minutes: float | None
    p90_minutes: float | None


@dataclass(frozen=True)
class Backlog:
    """Open cases by age: `label` such as "1-3 days"."""

    label: str
    figure: Figure


@dataclass(frozen=True)
class OpenIncident:
    """An incident still open, with its linked cases."""

    id: int
    component: str
    title: str
    opened_at: datetime
    figure: Figure


@dataclass(frozen=True)
class Surveys:
    """Surveys answered this month: NPS (promoters% - detractors%) and mean satisfaction (1-5)."""

    promoters: Figure
    passives: Figure
    detractors: Figure
    csat: float | None

    @property
    def answered(self) -> int:
        """How many surveys were answered."""
        return self.promoters.count + self.passives.count + self.detractors.count

    @property
    def nps(self) -> float | None:
        """Promoters' share minus detractors', in points (None with no answers)."""
        if self.answered == 0:
            return None
        return round(100.0 * (self.promoters.count - self.detractors.count) / self.answered, 1)


@dataclass(frozen=True)
class BotShare:
    """Cases filed this month, and those the bot filed with no agent taking part (no live chat claimed, no
    engineer dialled through)."""

    filed: Figure
    without_agent: Figure

    @property
    def percent(self) -> float | None:
        """The share filed without an agent."""
        return None if self.filed.count == 0 else round(100.0 * self.without_agent.count / self.filed.count, 1)


@dataclass(frozen=True)
class AccountAvailability:
    """One affected account's month against its commitment, with the Sev1 cases that tie it to the incidents."""

    k_number: str
    name: str
    commitment: str
    committed_percent: Decimal
    month_minutes: float
    allowed_minutes: float
    downtime_minutes: float
    left_minutes: float
    percent: float
    incidents: list[int]
    figure: Figure


@dataclass(frozen=True)
class Live:
    """What stands now: customers waiting for a live chat and agents available to take one."""

    chat_waiting: int
    agents_available: int


@dataclass(frozen=True)
class Report:
    """Every figure of a month; the live ones (open cases, backlog, open incidents, live chat) as of `now`."""

    month: str
    zone: str
    start: datetime
    end: datetime
    now: datetime
    open_cases: list[OpenCases]
    attainment: list[Attainment]
    times: list[Spread]
    backlog: list[Backlog]
    incidents: list[OpenIncident]
    surveys: Surveys
    live: Live
    bot: BotShare
    availability: list[AccountAvailability]
    # The month had more cases, or more were open, than one report reads: the figures count the first ones.
    truncated: bool = False


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready values (instants ISO-8601 with offset), the derived shares included."""
    body: dict[str, Any] = _plain(asdict(report))
    for row, attained in zip(body["attainment"], report.attainment, strict=True):
        row["percent"] = attained.percent
    body["surveys"].update(answered=report.surveys.answered, nps=report.surveys.nps)
    body["bot"]["percent"] = report.bot.percent
    return body


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (the smallest value with at least `share` of them at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def backlog_label(days: float) -> str:
    """The backlog bucket of a case `days` old."""
    low = 0
    for high in BACKLOG_DAYS:
        if days < high:
            return f"{low}-{high} days" if low else f"under {high} day"
        low = high
    return f"{low}+ days"


BACKLOG_LABELS = tuple(backlog_label(d) for d in (0, *BACKLOG_DAYS))
