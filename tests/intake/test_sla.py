"""A case's three SLA clocks, derived from its events: every edge at an injected instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.domain import CaseEventKind, CaseStatus, Severity
from intake.policy import DEFAULT_SLA, Policy, SlaClock, SlaTarget
from intake.schedule import HolidayCalendar, WeeklySchedule, default_chat_schedule
from intake.sla import ClockName, ClockReading, ClockState, SlaEvent, Threshold, clocks, due_alerts, history, next_check

ET = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
POLICY = Policy()  # Sev1: response 15m, update 1h, fix 8h; Sev2: 1h / 4h / 24h; Sev3: 24h / 24h / 120h
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ET)  # a Tuesday morning
H = timedelta(hours=1)
M = timedelta(minutes=1)


def status(at: datetime, to: CaseStatus, frm: CaseStatus = CaseStatus.IN_PROGRESS) -> SlaEvent:
    return SlaEvent(at, CaseEventKind.STATUS_CHANGED, {"from": frm.value, "to": to.value})


def responded(at: datetime) -> SlaEvent:
    return SlaEvent(at, CaseEventKind.FIRST_RESPONSE)


def update(at: datetime) -> SlaEvent:
    return SlaEvent(at, CaseEventKind.CUSTOMER_UPDATE)


def read(
    events: list[SlaEvent], now: datetime, severity: Severity = Severity.SEV2, policy: Policy = POLICY
) -> dict[ClockName, ClockReading]:
    response, upd, fix = clocks(policy, severity=severity, created=T0, events=events, now=now)
    return {r.name: r for r in (response, upd, fix)}


def test_a_new_case_runs_response_and_fix_and_waits_to_start_the_update_clock() -> None:
    c = read([], T0 + 10 * M)
    assert c[ClockName.RESPONSE].state is ClockState.RUNNING
    assert c[ClockName.RESPONSE].due == (T0 + H).astimezone(UTC)
    assert c[ClockName.RESPONSE].warn_at == (T0 + 45 * M).astimezone(UTC)  # 75% of the hour
    assert c[ClockName.RESPONSE].remaining == 50 * M
    assert c[ClockName.UPDATE].state is ClockState.WAITING  # no update is owed before the first response
    assert c[ClockName.FIX].due == (T0 + 24 * H).astimezone(UTC)


def test_a_response_in_time_is_met_and_starts_the_update_interval() -> None:
    c = read([responded(T0 + 40 * M)], T0 + 2 * H)
    assert c[ClockName.RESPONSE].state is ClockState.MET and c[ClockName.RESPONSE].counted == 40 * M
    assert c[ClockName.UPDATE].state is ClockState.RUNNING
    assert c[ClockName.UPDATE].due == (T0 + 40 * M + 4 * H).astimezone(UTC)


def test_a_late_response_is_breached_by_how_much() -> None:
    c = read([responded(T0 + 90 * M)], T0 + 2 * H)
    assert c[ClockName.RESPONSE].state is ClockState.BREACHED
    assert c[ClockName.RESPONSE].breached_by == 30 * M


def test_a_running_clock_past_its_target_reads_breached() -> None:
    c = read([], T0 + 70 * M)
    assert c[ClockName.RESPONSE].state is ClockState.BREACHED and c[ClockName.RESPONSE].breached_by == 10 * M


def test_each_update_restarts_the_update_interval() -> None:
    c = read([responded(T0), update(T0 + 3 * H)], T0 + 5 * H)
    assert c[ClockName.UPDATE].counted == 2 * H and c[ClockName.UPDATE].due == (T0 + 7 * H).astimezone(UTC)


def test_an_update_before_any_first_response_is_the_response() -> None:
    c = read([update(T0 + 20 * M)], T0 + H)
    assert c[ClockName.RESPONSE].state is ClockState.MET
    assert c[ClockName.UPDATE].state is ClockState.RUNNING


def test_waiting_for_the_customer_pauses_update_and_fix_but_not_response() -> None:
    events = [status(T0 + 10 * M, CaseStatus.PENDING_CUSTOMER)]
    c = read(events, T0 + 3 * H)
    assert c[ClockName.RESPONSE].state is ClockState.BREACHED  # still nobody answered the customer
    assert c[ClockName.FIX].state is ClockState.PAUSED and c[ClockName.FIX].counted == 10 * M
    assert c[ClockName.FIX].due is None
    [pause] = c[ClockName.FIX].pauses
    assert pause.start == T0 + 10 * M and pause.end is None


def test_the_customers_reply_resumes_the_paused_clocks() -> None:
    events = [
        responded(T0 + 5 * M),
        status(T0 + H, CaseStatus.PENDING_CUSTOMER),
        SlaEvent(T0 + 5 * H, CaseEventKind.CUSTOMER_REPLIED),
    ]
    c = read(events, T0 + 6 * H)
    fix = c[ClockName.FIX]
    assert fix.state is ClockState.RUNNING and fix.counted == 2 * H  # 1 h before the pause, 1 h after
    assert fix.pauses[0].end == T0 + 5 * H
    assert fix.due == (T0 + 5 * H + 23 * H).astimezone(UTC)
    upd = c[ClockName.UPDATE]
    assert upd.counted == (H - 5 * M) + H


def test_resolving_freezes_every_clock_and_reopening_resumes_them() -> None:
    resolved = [responded(T0 + 5 * M), status(T0 + 3 * H, CaseStatus.RESOLVED)]
    frozen = read(resolved, T0 + 30 * H)
    assert frozen[ClockName.FIX].state is ClockState.MET and frozen[ClockName.FIX].counted == 3 * H
    assert frozen[ClockName.UPDATE].state is ClockState.FROZEN  # no update owed on a resolved case
    reopened = read([*resolved, status(T0 + 30 * H, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED)], T0 + 31 * H)
    assert reopened[ClockName.FIX].state is ClockState.RUNNING and reopened[ClockName.FIX].counted == 4 * H
    assert reopened[ClockName.UPDATE].counted == H  # the customer is owed news again from the reopening
    assert reopened[ClockName.RESPONSE].state is ClockState.MET


def test_a_fix_after_its_target_is_breached_and_stays_so_once_resolved() -> None:
    c = read([responded(T0), status(T0 + 30 * H, CaseStatus.RESOLVED)], T0 + 40 * H)
    assert c[ClockName.FIX].state is ClockState.BREACHED and c[ClockName.FIX].breached_by == 6 * H


def test_closing_ends_every_clock() -> None:
    events = [responded(T0), status(T0 + H, CaseStatus.RESOLVED), status(T0 + 2 * H, CaseStatus.CLOSED)]
    c = read(events, T0 + 100 * H)
    assert c[ClockName.RESPONSE].state is ClockState.MET
    assert c[ClockName.UPDATE].state is ClockState.ENDED
    assert c[ClockName.FIX].state is ClockState.MET


def test_a_severity_change_retargets_the_clocks_keeping_the_time_counted() -> None:
    raised = SlaEvent(T0 + 10 * M, CaseEventKind.SEVERITY_CHANGED, {"from": 2, "to": 1})
    c = read([raised], T0 + 12 * M)
    assert c[ClockName.RESPONSE].target == 15 * M and c[ClockName.RESPONSE].due == (T0 + 15 * M).astimezone(UTC)
    assert c[ClockName.FIX].target == 8 * H


def test_a_met_target_keeps_the_target_it_was_met_against() -> None:
    lowered = SlaEvent(T0 + 2 * H, CaseEventKind.SEVERITY_CHANGED, {"from": 2, "to": 1})
    c = read([responded(T0 + 50 * M), lowered], T0 + 3 * H)
    assert c[ClockName.RESPONSE].state is ClockState.MET and c[ClockName.RESPONSE].target == H


def test_sev4_has_no_update_or_fix_target() -> None:
    c = read([responded(T0)], T0 + 100 * H, severity=Severity.SEV4)
    assert c[ClockName.UPDATE].state is ClockState.NONE and c[ClockName.FIX].state is ClockState.NONE


def test_events_after_the_instant_read_are_not_applied() -> None:
    c = read([responded(T0 + 2 * H)], T0 + H)
    assert c[ClockName.RESPONSE].state is ClockState.RUNNING


def test_calendar_time_is_elapsed_time_across_a_dst_change() -> None:
    # 2026-11-01 02:00 EDT -> 01:00 EST: a 24 h target from Saturday 10:00 EDT is Sunday 09:00 EST.
    saturday = datetime(2026, 10, 31, 10, 0, tzinfo=ET)
    _, _, fix = clocks(POLICY, severity=Severity.SEV2, created=saturday, events=[], now=saturday)
    assert fix.due == datetime(2026, 11, 1, 9, 0, tzinfo=ET).astimezone(UTC)


def _business_policy() -> Policy:
    hours = WeeklySchedule(
        tz=ET,
        days=frozenset(range(5)),
        opens=datetime(2026, 1, 1, 8).time(),
        closes=datetime(2026, 1, 1, 17).time(),
        holidays=HolidayCalendar(countries=("US",)),
    )
    sla = dict(DEFAULT_SLA)
    sla[Severity.SEV3] = SlaTarget(24 * H, 120 * H, SlaClock.BUSINESS, update=9 * H)
    return Policy(sla=sla, business=hours)


def test_business_time_skips_nights_weekends_and_holidays() -> None:
    policy = _business_policy()
    wednesday_4pm = datetime(2026, 11, 25, 16, 0, tzinfo=ET)  # Thanksgiving is Thursday the 26th
    response, _, _ = clocks(policy, severity=Severity.SEV3, created=wednesday_4pm, events=[], now=wednesday_4pm)
    # 1 h on Wednesday, Thursday a holiday, 9 h Friday, 9 h Monday, 5 h Tuesday -> Tuesday 13:00.
    assert response.due == datetime(2026, 12, 1, 13, 0, tzinfo=ET).astimezone(UTC)
    monday_noon = datetime(2026, 11, 30, 12, 0, tzinfo=ET)
    response, _, _ = clocks(policy, severity=Severity.SEV3, created=wednesday_4pm, events=[], now=monday_noon)
    assert response.counted == H + 9 * H + 4 * H


def test_business_time_between_is_the_inverse_of_adding_it() -> None:
    schedule = default_chat_schedule()
    start = datetime(2026, 11, 27, 16, 30, tzinfo=ET)  # Friday afternoon
    for amount in (30 * M, 2 * H, 20 * H, 47 * H):
        end = schedule.add_business_time(start, amount)
        assert schedule.business_time_between(start, end) == amount
    assert schedule.business_time_between(start, start - H) == timedelta(0)


@pytest.mark.parametrize("naive", [datetime(2026, 11, 24, 10, 0)])
def test_instants_must_be_aware(naive: datetime) -> None:
    with pytest.raises(ValueError, match="timezone"):
        clocks(POLICY, severity=Severity.SEV2, created=naive, events=[], now=T0)


def test_explain_lists_each_clock_with_its_pauses() -> None:
    events = [responded(T0 + 5 * M), status(T0 + H, CaseStatus.PENDING_CUSTOMER)]
    lines = history(clocks(POLICY, severity=Severity.SEV2, created=T0, events=events, now=T0 + 2 * H))
    assert lines[0].startswith("response: met, target 1h (calendar), counted 5m")
    assert lines[1].startswith("update: paused, target 4h") and "3h 5m left" in lines[1]
    assert any("paused 2026-11-24T11:00-05:00 - now (waiting for the customer)" in line for line in lines)


def _alerts(events: list[SlaEvent], now: datetime) -> set[tuple[str, str, datetime]]:
    readings = clocks(POLICY, severity=Severity.SEV2, created=T0, events=events, now=now)
    return {(a.clock.value, a.threshold.value, a.interval) for a in due_alerts(readings)}


def test_alerts_fall_due_at_three_quarters_and_at_the_target() -> None:
    assert _alerts([], T0 + 44 * M) == set()
    assert _alerts([], T0 + 45 * M) == {("response", "warn", T0)}
    assert _alerts([], T0 + 61 * M) == {("response", "warn", T0), ("response", "breach", T0)}


def test_the_next_check_is_the_next_warn_or_due_instant() -> None:
    readings = clocks(POLICY, severity=Severity.SEV2, created=T0, events=[], now=T0)
    assert next_check(readings, T0) == (T0 + 45 * M).astimezone(UTC)
    readings = clocks(POLICY, severity=Severity.SEV2, created=T0, events=[], now=T0 + 50 * M)
    assert next_check(readings, T0 + 50 * M) == (T0 + H).astimezone(UTC)  # the response is due next
    waiting = [responded(T0), status(T0 + H, CaseStatus.PENDING_CUSTOMER)]
    readings = clocks(POLICY, severity=Severity.SEV2, created=T0, events=waiting, now=T0 + 2 * H)
    assert next_check(readings, T0 + 2 * H) is None  # every clock is met or paused: nothing can fall due


def test_each_update_interval_is_its_own_alert() -> None:
    first = _alerts([responded(T0)], T0 + 4 * H + M)
    assert ("update", "breach", T0) in first
    second = _alerts([responded(T0), update(T0 + 5 * H)], T0 + 9 * H + M)
    assert ("update", "breach", T0 + 5 * H) in second and ("update", "breach", T0) not in second


def test_a_paused_or_resolved_case_raises_no_alert() -> None:
    assert _alerts([responded(T0), status(T0 + H, CaseStatus.PENDING_CUSTOMER)], T0 + 30 * H) == set()
    assert _alerts([responded(T0), status(T0 + H, CaseStatus.RESOLVED)], T0 + 30 * H) == set()


def test_news_sent_while_waiting_for_the_customer_keeps_one_open_pause() -> None:
    events = [responded(T0), status(T0 + H, CaseStatus.PENDING_CUSTOMER), update(T0 + 2 * H)]
    events.append(SlaEvent(T0 + 3 * H, CaseEventKind.CUSTOMER_REPLIED))
    c = read(events, T0 + 4 * H)
    assert [p.end for p in c[ClockName.UPDATE].pauses] == [T0 + 3 * H]
    assert c[ClockName.UPDATE].counted == H and c[ClockName.UPDATE].interval == T0 + 2 * H
    assert Threshold.WARN.value == "warn"


def test_resolving_while_waiting_for_the_customer_ends_the_wait() -> None:
    events = [responded(T0), status(T0 + H, CaseStatus.PENDING_CUSTOMER), status(T0 + 3 * H, CaseStatus.RESOLVED)]
    c = read(events, T0 + 5 * H)
    for name in (ClockName.UPDATE, ClockName.FIX):
        assert [(p.start, p.end) for p in c[name].pauses] == [(T0 + H, T0 + 3 * H)]
    assert c[ClockName.FIX].state is ClockState.MET and c[ClockName.FIX].counted == H  # the wait did not count
