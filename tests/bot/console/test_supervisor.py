"""The supervisor view: SLA states at their boundaries, open cases, and Sev1 pages and calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.console.supervisor import SlaState, sla_of
from intake.domain import CaseEventKind, CaseStatus, Channel, Outcome, Severity
from store import voice as voice_store
from store.cases import add_event, record_first_response
from store.models import CallPhase, CasePublic
from store.outbox import NewOutboxItem
from tests.bot.conftest import FakeClock
from tests.store.helpers import new_case

from .harness import Site, running_site

T = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _case(response: timedelta, fix: timedelta | None, **overrides: Any) -> CasePublic:
    values: dict[str, Any] = {
        "id": 1,
        "account_id": 1,
        "number": "2611-0001",
        "k_number": "K123456",
        "severity": Severity.SEV3,
        "channel": Channel.CHAT,
        "outcome": Outcome.WEB_REQUEST,
        "status": CaseStatus.NEW,
        "created_at": T,
        "response_due": T + response,
        "fix_due": None if fix is None else T + fix,
        "updated_at": T,
    }
    values.update(overrides)
    return CasePublic(**values)


@pytest.mark.parametrize(
    ("case", "now", "state", "target"),
    [
        # Sev1: a 15-minute target is "due soon" from the start (the 15-minute floor).
        (_case(timedelta(minutes=15), 8 * H), T, SlaState.DUE_SOON, "response"),
        (_case(timedelta(minutes=15), 8 * H), T + timedelta(minutes=15), SlaState.DUE_SOON, "response"),
        (_case(timedelta(minutes=15), 8 * H), T + timedelta(minutes=15, seconds=1), SlaState.BREACHED, "response"),
        # Sev3: 24 h to respond; due soon within the last quarter (6 h).
        (_case(24 * H, 120 * H), T + 18 * H - timedelta(seconds=1), SlaState.ON_TRACK, "response"),
        (_case(24 * H, 120 * H), T + 18 * H, SlaState.DUE_SOON, "response"),
        (_case(24 * H, 120 * H), T + 25 * H, SlaState.BREACHED, "response"),
        # Responded: measured against the fix target.
        (_case(24 * H, 120 * H, first_response_at=T + H), T + 25 * H, SlaState.ON_TRACK, "fix"),
        (_case(24 * H, 120 * H, first_response_at=T + H), T + 90 * H, SlaState.DUE_SOON, "fix"),
        (_case(24 * H, 120 * H, first_response_at=T + 30 * H), T + 121 * H, SlaState.BREACHED, "fix"),
        (
            _case(24 * H, 120 * H, first_response_at=T + H, resolved_at=T + 2 * H, status=CaseStatus.RESOLVED),
            T + 200 * H,
            SlaState.ON_TRACK,
            None,
        ),
        # Sev4 has no fix target: once answered it is on track for good.
        (_case(48 * H, None, first_response_at=T + H), T + 300 * H, SlaState.ON_TRACK, None),
    ],
)
def test_sla_states(case: CasePublic, now: datetime, state: SlaState, target: str | None) -> None:
    sla = sla_of(case, now)
    assert (sla.state, sla.target) == (state, target)


async def _sev1_phone_case(site: Site) -> str:
    at = site.clock()
    case = await new_case(
        site.sessions,
        "call-1:case:1",
        severity=Severity.SEV1,
        channel=Channel.PHONE,
        outcome=Outcome.PHONE_ENGINEER,
        summary="Nobody can open studies",
        created_at=at,
        response_due=at + timedelta(minutes=15),
        fix_due=at + 8 * H,
        outbox=[NewOutboxItem(kind="sms_page", payload={}, dedupe_key="call-1:page")],
    )
    async with site.sessions() as session, session.begin():
        await voice_store.start_call(session, call_sid="CA1", from_e164="+15551230000", now=at)
        await voice_store.move_call(
            session,
            call_sid="CA1",
            from_phases=[CallPhase.INTAKE],
            to_phase=CallPhase.VOICEMAIL,
            case_number=case.number,
        )
        for attempt, (number, status) in enumerate([("+15550000101", "no-answer"), ("+15550000102", "busy")]):
            await voice_store.record_dial_attempt(
                session, call_sid="CA1", case_number=case.number, attempt=attempt, number=number, status=status, at=at
            )
        await add_event(session, number=case.number, kind=CaseEventKind.PAGE_SENT, actor="outbox", at=at, detail={})
        await add_event(
            session,
            number=case.number,
            kind=CaseEventKind.VOICEMAIL,
            actor="customer",
            at=at,
            detail={"recording_url": "https://api.twilio.example/rec/RE1", "duration": 12},
        )
    return case.number


async def test_supervisor_sees_open_cases_by_sla_and_sev1_pages_and_calls(db_url: str) -> None:
    clock = FakeClock()
    async with running_site(db_url, clock) as site:
        boss = await site.sign_in("boss", role="supervisor")
        sev1 = await _sev1_phone_case(site)
        at = clock()
        late = await new_case(
            site.sessions,
            "k-late",
            severity=Severity.SEV3,
            summary="Logo blurry",
            created_at=at - 30 * H,
            response_due=at - 6 * H,
            fix_due=at + 90 * H,
        )
        fine = await new_case(
            site.sessions,
            "k-fine",
            summary="Slow reports",
            created_at=at,
            response_due=at + H,
            fix_due=at + 24 * H,
        )
        async with site.sessions() as session, session.begin():
            await record_first_response(session, number=fine.number, actor="alice", at=at)
        data = await boss.ok("GET", "/supervisor")
        states = [(c["number"], c["sla"]["state"], c["sla"]["target"]) for c in data["open_cases"]]
        assert states == [
            (late.number, "breached", "response"),
            (sev1, "due_soon", "response"),
            (fine.number, "on_track", "fix"),
        ]
        [entry] = data["sev1"]
        assert entry["number"] == sev1 and entry["channel"] == "phone"
        kinds = [e["kind"] for e in entry["events"]]
        assert kinds == ["page_queued", "page_sent", "voicemail"]
        [call] = entry["calls"]
        assert call["status"] == "voicemail"
        assert [(a["attempt"], a["number"], a["status"]) for a in call["dial_attempts"]] == [
            (1, "...0101", "no-answer"),
            (2, "...0102", "busy"),
        ]
        assert "+15551230000" not in str(data)  # the caller's number is not shown
        async with boss.http.get(f"{site.base_url}/agent/supervisor") as response:
            assert response.status == 200
