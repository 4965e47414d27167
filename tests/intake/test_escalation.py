"""Escalation levels as configuration, the staff mail's words, and no Sev3 mail at midnight."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.domain import PolicyError, Severity
from intake.escalation import DEFAULT_ESCALATION, Audience, Level, alert_mail, parse_escalation, send_at
from intake.policy import Policy
from intake.sla import Alert, ClockName, Threshold

NY = ZoneInfo("America/New_York")
TUESDAY_10AM = datetime(2026, 11, 24, 10, 0, tzinfo=NY)
TUESDAY_11PM = datetime(2026, 11, 24, 23, 0, tzinfo=NY)
HOURS = Policy().business_hours  # Mon-Fri 8-17 Eastern


def _alert(clock: ClockName, threshold: Threshold) -> Alert:
    return Alert(clock=clock, threshold=threshold, interval=TUESDAY_10AM, due=TUESDAY_10AM + timedelta(hours=1))


def test_the_default_levels() -> None:
    levels = parse_escalation(DEFAULT_ESCALATION)
    warn, breach = _alert(ClockName.FIX, Threshold.WARN), _alert(ClockName.FIX, Threshold.BREACH)
    sev1_unanswered = _alert(ClockName.RESPONSE, Threshold.BREACH)
    assert levels.audiences(warn, Severity.SEV2, assigned=True) == {Audience.ASSIGNEE}
    assert levels.audiences(warn, Severity.SEV2, assigned=False) == {Audience.QUEUE}  # nobody has it
    assert levels.audiences(breach, Severity.SEV3, assigned=True) == {Audience.ASSIGNEE, Audience.SUPERVISORS}
    assert levels.level_of(sev1_unanswered, Severity.SEV1) is Level.SEV1_RESPONSE_BREACH
    assert levels.audiences(sev1_unanswered, Severity.SEV1, assigned=False) == {
        Audience.BACKUP_ONCALL,
        Audience.SUPERVISORS,
    }
    assert levels.level_of(sev1_unanswered, Severity.SEV2) is Level.BREACH


def test_configured_levels_and_a_level_left_out() -> None:
    levels = parse_escalation("breach=supervisors,queue")
    assert levels.audiences(_alert(ClockName.FIX, Threshold.WARN), Severity.SEV2, assigned=True) == frozenset()
    assert levels.audiences(_alert(ClockName.FIX, Threshold.BREACH), Severity.SEV2, assigned=True) == {
        Audience.SUPERVISORS,
        Audience.QUEUE,
    }


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("panic=supervisors", "unknown escalation level 'panic'"),
        ("warn=boss", "unknown audience 'boss'"),
        ("warn", "use level=audience"),
        ("warn=queue;warn=supervisors", "given twice"),
    ],
)
def test_bad_levels_are_named(text: str, why: str) -> None:
    with pytest.raises(PolicyError, match=why):
        parse_escalation(text)


def test_staff_mail_waits_for_business_hours_except_for_a_sev1() -> None:
    assert send_at(TUESDAY_10AM, Severity.SEV3, HOURS, outside_hours=False) == TUESDAY_10AM
    wednesday_8am = datetime(2026, 11, 25, 8, 0, tzinfo=NY)
    assert send_at(TUESDAY_11PM, Severity.SEV3, HOURS, outside_hours=False) == wednesday_8am
    assert send_at(TUESDAY_11PM, Severity.SEV1, HOURS, outside_hours=False) == TUESDAY_11PM
    assert send_at(TUESDAY_11PM, Severity.SEV3, HOURS, outside_hours=True) == TUESDAY_11PM


def test_the_staff_mail_names_the_case_target_and_link_but_not_the_customers_words() -> None:
    subject, text = alert_mail(
        number="2611-0042",
        severity=Severity.SEV2,
        alert=_alert(ClockName.RESPONSE, Threshold.WARN),
        assignee=None,
        now=TUESDAY_10AM,
        tz=NY,
        link="https://desk.example/agent/cases/2611-0042",
        warn_share=0.75,
    )
    assert subject == "SLA warning: case 2611-0042 (Sev2) first response due today at 11:00 AM Eastern"
    assert "75% used" in text and "Nobody is assigned" in text
    assert text.rstrip().endswith("https://desk.example/agent/cases/2611-0042")
