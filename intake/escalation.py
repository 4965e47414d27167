"""Who hears of an SLA alert: escalation levels as configuration, and when staff mail may go out.

SLA_ESCALATION names, for each level, the audiences told:
    warn=assignee;breach=assignee,supervisors;sev1_response_breach=backup_oncall,supervisors
`assignee` falls back to the queue's mailbox when nobody is assigned. The Sev1 response breach (nobody took
a service-down case in time) is a level of its own: by default it pages the backup on-call as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from intake.domain import PolicyError, Severity
from intake.numbers_times import moment
from intake.schedule import WeeklySchedule
from intake.sla import Alert, ClockName, Threshold


class Audience(StrEnum):
    """Who an alert goes to."""

    ASSIGNEE = "assignee"  # the case's engineer (by email); the queue when nobody has the case
    QUEUE = "queue"  # QUEUE_EMAILS
    SUPERVISORS = "supervisors"  # SUPERVISOR_EMAILS
    BACKUP_ONCALL = "backup_oncall"  # ONCALL_BACKUP_NUMBERS, by SMS page


class Level(StrEnum):
    """The escalation levels an alert can reach."""

    WARN = "warn"
    BREACH = "breach"
    SEV1_RESPONSE_BREACH = "sev1_response_breach"


DEFAULT_ESCALATION = "warn=assignee;breach=assignee,supervisors;sev1_response_breach=backup_oncall,supervisors"


@dataclass(frozen=True)
class Escalation:
    """The audiences of each level."""

    levels: dict[Level, frozenset[Audience]]

    def level_of(self, alert: Alert, severity: Severity) -> Level:
        """The level an alert reaches on a case of `severity`."""
        if alert.threshold is Threshold.WARN:
            return Level.WARN
        if severity is Severity.SEV1 and alert.clock is ClockName.RESPONSE:
            return Level.SEV1_RESPONSE_BREACH
        return Level.BREACH

    def audiences(self, alert: Alert, severity: Severity, *, assigned: bool) -> frozenset[Audience]:
        """Who is told of `alert`; `assignee` becomes the queue when nobody has the case."""
        told = set(self.levels.get(self.level_of(alert, severity), frozenset()))
        if Audience.ASSIGNEE in told and not assigned:
            told.discard(Audience.ASSIGNEE)
            told.add(Audience.QUEUE)
        return frozenset(told)


def parse_escalation(text: str) -> Escalation:
    """Read SLA_ESCALATION; raise PolicyError naming what is wrong. A level left out tells nobody."""
    levels: dict[Level, frozenset[Audience]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, sep, who = part.partition("=")
        try:
            level = Level(name.strip())
        except ValueError:
            raise PolicyError(f"unknown escalation level {name.strip()!r} (use {', '.join(Level)})") from None
        if not sep:
            raise PolicyError(f"{part!r}: use level=audience,audience")
        if level in levels:
            raise PolicyError(f"escalation level {level.value!r} given twice")
        audiences: set[Audience] = set()
        for raw in (w.strip() for w in who.split(",")):
            if not raw:
                continue
            try:
                audiences.add(Audience(raw))
            except ValueError:
                raise PolicyError(f"unknown audience {raw!r} (use {', '.join(Audience)})") from None
        levels[level] = frozenset(audiences)
    return Escalation(levels)


def send_at(now: datetime, severity: Severity, hours: WeeklySchedule, *, outside_hours: bool) -> datetime:
    """When staff mail about a case may go out: at once for a Sev1 or inside business hours (or when told to
    send outside them), else when business hours next open; nobody is woken for a Sev3 at midnight."""
    if outside_hours or severity is Severity.SEV1 or hours.is_open(now):
        return now
    return hours.next_open(now)


_CLOCK_WORDS = {ClockName.RESPONSE: "first response", ClockName.UPDATE: "customer update", ClockName.FIX: "fix"}


def alert_mail(
    *,
    number: str,
    severity: Severity,
    alert: Alert,
    assignee: str | None,
    now: datetime,
    tz: ZoneInfo,
    link: str,
    warn_share: float,
) -> tuple[str, str]:
    """The staff mail of an alert (subject, text): the case, the target, who has it, and where to open it.

    Staff-facing and in the desk's language; never the customer's words (the console has them)."""
    what = _CLOCK_WORDS[alert.clock]
    when = moment(alert.due, now, tz) if alert.due is not None else "now"
    if alert.threshold is Threshold.WARN:
        subject = f"SLA warning: case {number} (Sev{int(severity)}) {what} due {when}"
        head = f"The {what} target of case {number} is {round(warn_share * 100)}% used: due {when}."
    else:
        subject = f"SLA breached: case {number} (Sev{int(severity)}) {what} was due {when}"
        head = f"The {what} target of case {number} has passed: it was due {when}. The case is escalated."
    who = f"Assigned to: {assignee}." if assignee else "Nobody is assigned: the queue is told."
    return subject, f"{head}\n{who}\n\nOpen the case: {link}\n"
