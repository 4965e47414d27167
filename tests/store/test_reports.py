"""The month's figures: attainment per severity and target, times, backlog, incidents, surveys, live chat,
the bot's share and availability, each with the cases behind it."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.sla import case_clocks
from intake.availability import Month
from intake.domain import CaseStatus, Severity
from intake.policy import Policy
from intake.sla import ClockReading, ClockState
from store import cases as case_store
from store import incidents as incident_store
from store.accounts import import_accounts_csv
from store.db import SessionMaker
from store.models import Handoff, HandoffStatus, Survey, SurveyStatus
from store.report_model import Report, percentile, report_json
from store.reports import build_report

from .helpers import T0, new_case

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=NY)
POLICY = Policy()


def worst(readings: tuple[ClockReading, ...]) -> str:
    return "breached" if any(r.state is ClockState.BREACHED for r in readings) else "ok"


async def report(sessions: SessionMaker, month: str = "2026-11", now: datetime = NOW) -> Report:
    async with sessions() as session:
        return await build_report(
            session,
            month=Month.parse(month),
            zone=NY,
            now=now,
            clocks_of=partial(case_clocks, POLICY),
            sla_state=worst,
        )


async def november_cases(sessions: SessionMaker) -> dict[str, str]:
    await import_accounts_csv(
        sessions, "k_number,name,phones,emails,timezone,notify,commitment\nK222222,East,,,,,clustered\n", now=T0
    )
    answered = await new_case(sessions, "a")  # Sev2, 3 November
    late = await new_case(sessions, "b", created_at=T0 + timedelta(days=1))
    old = await new_case(sessions, "c", severity=Severity.SEV3, created_at=datetime(2026, 10, 20, 9, tzinfo=NY))
    first = datetime(2026, 11, 10, 9, 50, tzinfo=NY)
    down = await new_case(sessions, "d", k_number="K222222", severity=Severity.SEV1, created_at=first)
    again = await new_case(
        sessions, "e", k_number="K222222", severity=Severity.SEV1, created_at=first + timedelta(minutes=70)
    )
    async with sessions() as session, session.begin():
        await case_store.record_first_response(
            session, number=answered.number, actor="alice", at=T0 + timedelta(minutes=30)
        )
        await case_store.update_case(
            session, number=answered.number, actor="alice", at=T0 + timedelta(hours=2), status=CaseStatus.RESOLVED
        )
        # Two incidents overlapping for K222222: 09:50 (its first report) to 11:30, and 11:00 to 12:00.
        one = await incident_store.open_incident(
            session, component="pacs", title="PACS down", actor="sue", at=first + timedelta(minutes=10)
        )
        await incident_store.link_case(session, incident_id=one.id, number=down.number, actor="sue", at=first)
        two = await incident_store.open_incident(
            session, component="ris", title="RIS down", actor="sue", at=first + timedelta(minutes=70)
        )
        await incident_store.link_case(session, incident_id=two.id, number=again.number, actor="sue", at=first)
        await incident_store.resolve_incident(
            session, incident_id=one.id, resolution="fixed", actor="sue", at=first + timedelta(minutes=100)
        )
        await incident_store.resolve_incident(
            session, incident_id=two.id, resolution="fixed", actor="sue", at=first + timedelta(minutes=130)
        )
        three = await incident_store.open_incident(session, component="dictation", title="x", actor="sue", at=NOW)
        await incident_store.link_case(session, incident_id=three.id, number=late.number, actor="sue", at=NOW)
        # An agent took a live chat about the late case: the bot did not file that one alone.
        session.add(
            Handoff(
                conversation_id="c-1",
                channel="directline",
                case_number=late.number,
                reason="question",
                conversation_reference={},
                created_at=T0,
                claimed_at=T0,
                status=HandoffStatus.ACTIVE.value,
            )
        )
        # A customer waiting for a live chat.
        session.add(
            Handoff(
                conversation_id="c-2",
                channel="directline",
                reason="question",
                conversation_reference={},
                created_at=NOW,  # waiting since now: no timeout sweep has it yet
                status=HandoffStatus.QUEUED.value,
            )
        )
        for case, nps, csat, at in ((answered, 10, 5, T0), (late, 3, 2, T0), (old, 0, 1, T0 - timedelta(days=30))):
            session.add(
                Survey(
                    case_id=case.id,
                    case_number=case.number,
                    k_number=case.k_number,
                    severity=int(case.severity),
                    status=SurveyStatus.ANSWERED.value,
                    closed_at=at,
                    nps=nps,
                    csat=csat,
                    answered_at=at,
                    created_at=at,
                    updated_at=at,
                )
            )
    return {"a": answered.number, "b": late.number, "c": old.number, "d": down.number, "e": again.number}


async def test_the_months_figures_and_their_cases(session_maker: SessionMaker) -> None:
    n = await november_cases(session_maker)
    found = await report(session_maker)
    assert (found.month, found.zone) == ("2026-11", "America/New_York")

    attained = {(a.severity, a.target): a for a in found.attainment}
    sev2_response = attained[2, "response"]
    assert (sev2_response.met.cases, sev2_response.missed.cases, sev2_response.percent) == ([n["a"]], [n["b"]], 50.0)
    assert attained[2, "fix"].met.cases == [n["a"]] and attained[2, "fix"].missed.count == 1  # b: past 24 h
    assert attained[2, "update"].met.cases == [n["a"]]  # answered, then resolved within the interval
    assert attained[3, "response"].percent is None  # the Sev3 case was filed in October

    first_response, resolution = found.times
    assert (first_response.figure.cases, first_response.median_minutes, first_response.p90_minutes) == (
        [n["a"]],
        30.0,
        30.0,
    )
    # Resolving an incident resolves its linked cases: d after 100 minutes, e after 60.
    assert sorted(resolution.figure.cases) == sorted([n["a"], n["d"], n["e"]])
    assert (resolution.median_minutes, resolution.p90_minutes) == (100.0, 120.0)
    assert attained[1, "response"].missed.count == 2  # nobody answered before the incidents were resolved

    open_by = {(o.severity, o.state): o.figure.cases for o in found.open_cases}
    assert open_by[2, "breached"] == [n["b"]] and open_by[3, "breached"] == [n["c"]]
    assert sum(o.figure.count for o in found.open_cases) == 2 and open_by[1, "breached"] == []
    backlog = {b.label: b.figure.cases for b in found.backlog}
    assert backlog == {"under 1 day": [], "1-3 days": [], "3-7 days": [], "7-30 days": [n["b"]], "30+ days": [n["c"]]}

    (incident,) = found.incidents
    assert (incident.component, incident.figure.cases) == ("dictation", [n["b"]])

    assert found.surveys.promoters.cases == [n["a"]] and found.surveys.detractors.cases == [n["b"]]
    assert (found.surveys.answered, found.surveys.nps, found.surveys.csat) == (2, 0.0, 3.5)  # October's left out

    assert (found.live.chat_waiting, found.live.agents_available) == (1, 0)
    assert found.bot.filed.count == 4 and n["b"] not in found.bot.without_agent.cases
    assert found.bot.percent == 75.0

    (east,) = found.availability  # K123456 had no Sev1 incident
    assert (east.k_number, east.commitment, east.incidents) == ("K222222", "clustered", sorted(east.incidents))
    assert east.downtime_minutes == 130.0  # 09:50-12:00: the overlap counted once, from the first report
    assert (east.allowed_minutes, east.left_minutes) == (43.3, -86.7)
    assert sorted(east.figure.cases) == sorted([n["d"], n["e"]])

    body = report_json(found)
    assert body["attainment"][0]["severity"] == 1 and "percent" in body["attainment"][0]
    assert body["surveys"]["nps"] == 0.0 and body["bot"]["percent"] == 75.0
    assert body["availability"][0]["committed_percent"] == 99.9


async def test_another_month_has_none_of_novembers_cases(session_maker: SessionMaker) -> None:
    await november_cases(session_maker)
    december = await report(session_maker, "2026-12", now=datetime(2026, 12, 5, tzinfo=NY))
    assert december.bot.filed.count == 0 and december.surveys.answered == 0 and december.availability == []
    assert all(a.percent is None for a in december.attainment)
    assert december.start == datetime(2026, 12, 1, tzinfo=NY)


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    values = [float(v) for v in range(1, 11)]  # 1..10
    assert (percentile(values, 0.5), percentile(values, 0.9)) == (5.0, 9.0)
    assert percentile([10.0, 1.0, 3.0], 0.5) == 3.0
