"""The dashboard's figures: one month's Report read as the service reads cases, and its rows as printed.

Both the page (bot/console/dashboard.py) and `intake report` (bot/cli_report.py) call month_report and show
rows(report), so the page and the report always agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agents.api_work import sla_state
from bot.sla import case_clocks
from intake.availability import Month
from intake.policy import Policy
from intake.sla import ClockReading
from store.report_model import Report
from store.reports import build_report


def _state(readings: tuple[ClockReading, ...]) -> str:
    return sla_state(readings).value


async def month_report(session: AsyncSession, policy: Policy, month: Month, now: datetime) -> Report:
    """The month's Report as the service reads it: its clocks, the case list's SLA states, the desk's zone."""
    return await build_report(
        session, month=month, zone=policy.chat.tz, now=now, clocks_of=partial(case_clocks, policy), sla_state=_state
    )


def _number(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:g}{unit}"


def rows(report: Report) -> Iterator[tuple[str, str, str, str]]:
    """Every figure as (figure, group, measure, value): the CSV's rows, and the text's lines."""
    for o in report.open_cases:
        yield "open_cases", f"sev{o.severity}", o.state, str(o.figure.count)
    for a in report.attainment:
        yield "attainment", f"sev{a.severity}", f"{a.target}_met", str(a.met.count)
        yield "attainment", f"sev{a.severity}", f"{a.target}_missed", str(a.missed.count)
        yield "attainment", f"sev{a.severity}", f"{a.target}_percent", _number(a.percent)
    for t in report.times:
        yield "times", t.measure, "cases", str(t.figure.count)
        yield "times", t.measure, "median_minutes", _number(t.median_minutes)
        yield "times", t.measure, "p90_minutes", _number(t.p90_minutes)
    for b in report.backlog:
        yield "backlog", b.label, "cases", str(b.figure.count)
    for i in report.incidents:
        yield "open_incidents", f"{i.id} {i.component}", "cases", str(i.figure.count)
    s = report.surveys
    for measure, value in (
        ("answered", str(s.answered)),
        ("promoters", str(s.promoters.count)),
        ("passives", str(s.passives.count)),
        ("detractors", str(s.detractors.count)),
        ("nps", _number(s.nps)),
        ("csat", _number(s.csat)),
    ):
        yield "surveys", "all", measure, value
    yield "live_chat", "now", "waiting", str(report.live.chat_waiting)
    yield "live_chat", "now", "agents_available", str(report.live.agents_available)
    yield "bot", "all", "filed", str(report.bot.filed.count)
    yield "bot", "all", "without_agent", str(report.bot.without_agent.count)
    yield "bot", "all", "percent", _number(report.bot.percent)
    for acc in report.availability:
        group = f"{acc.k_number} {acc.commitment}"
        yield "availability", group, "committed_percent", _number(float(acc.committed_percent))
        yield "availability", group, "downtime_minutes", _number(acc.downtime_minutes)
        yield "availability", group, "allowed_minutes", _number(acc.allowed_minutes)
        yield "availability", group, "left_minutes", _number(acc.left_minutes)
        yield "availability", group, "percent", _number(acc.percent)
