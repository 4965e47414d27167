"""The SLA watch: warn at a share of each target, escalate at breach, each alert exactly once.

Every process runs the watch. A round takes the cases whose next look is due (the indexed
`cases.sla_next_at`; on PostgreSQL `FOR UPDATE SKIP LOCKED`, so processes share the work), works out their
clocks from their history (intake/sla.py), claims each alert that fell due by inserting its once-only row,
records it on the case (the console and the supervisor view show it) and sets the case's next look. A Sev1
whose response target passes pages the backup on-call numbers through the outbox, in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from aiohttp import web
from sqlalchemy.engine import Connection

from bot.paging import page_item
from bot.periodic import Periodic, run_with_app
from bot.sla import case_clocks
from intake.domain import CaseEventKind
from intake.escalation import DEFAULT_ESCALATION, Audience, Escalation, alert_mail, parse_escalation, send_at
from intake.notices import NoticeKind
from intake.policy import Policy
from intake.sla import WARN_SHARE, Alert, ClockName, Threshold, due_alerts, next_check
from store.cases import history_of
from store.jobs import Jobs
from store.models import CasePublic
from store.notices import STAFF_MAIL_KIND, notice_item
from store.outbox import NewOutboxItem
from store.sla import agent_email, claim_alert, due_cases, record_alert, set_next_look

log = logging.getLogger(__name__)

# Cases looked at per transaction; a round takes batches until none is due.
BATCH = 200
_KIND = {Threshold.WARN: CaseEventKind.SLA_WARNING, Threshold.BREACH: CaseEventKind.SLA_BREACHED}


@dataclass(frozen=True)
class WatchRound:
    """What one batch did: cases looked at and alerts fired."""

    cases: int
    fired: int


@dataclass(frozen=True)
class WatchNotify:
    """Who the watch tells of an alert, and how (SLA_ESCALATION, the staff mailboxes, the customer)."""

    escalation: Escalation = field(default_factory=lambda: parse_escalation(DEFAULT_ESCALATION))
    supervisors: tuple[str, ...] = ()
    queue: tuple[str, ...] = ()
    console_url: str = "http://localhost:3978"  # the agents' console, for the link in staff mail
    outside_hours: bool = False  # staff mail about a Sev2-4 case goes out at night too
    apologise: bool = True  # a missed response or fix target is apologised for to the customer


@dataclass(frozen=True)
class SlaWatch:
    """The watch over every case's clocks."""

    jobs: Jobs
    policy: Policy
    clock: Callable[[], datetime]
    backup_numbers: tuple[str, ...] = ()
    warn_share: float = WARN_SHARE
    batch: int = BATCH
    notify: WatchNotify = field(default_factory=WatchNotify)

    async def run_once(self) -> int:
        """Look at every case due a look now; return the number of alerts fired."""
        now = self.clock()
        fired = 0
        while True:
            done = await self.jobs.write(partial(self._batch, now=now))
            fired += done.fired
            if done.cases < self.batch:
                return fired

    def _batch(self, conn: Connection, *, now: datetime) -> WatchRound:
        cases = due_cases(conn, now=now, limit=self.batch)
        fired = 0
        for case in cases:
            readings = case_clocks(self.policy, case, history_of(conn, case_id=case.id), now)
            for alert in due_alerts(readings, self.warn_share):
                if claim_alert(
                    conn,
                    case_id=case.id,
                    clock=alert.clock.value,
                    threshold=alert.threshold.value,
                    run_start=alert.interval,
                    now=now,
                ):
                    fired += 1
                    self._fire(conn, case, alert, now)
            set_next_look(conn, case_id=case.id, at=next_check(readings, now))
        return WatchRound(cases=len(cases), fired=fired)

    def _fire(self, conn: Connection, case: CasePublic, alert: Alert, now: datetime) -> None:
        detail: dict[str, object] = {
            "clock": alert.clock.value,
            "threshold": alert.threshold.value,
            "due": alert.due.isoformat() if alert.due else None,
            "run_start": alert.interval.isoformat(),
        }
        audiences = self.notify.escalation.audiences(alert, case.severity, assigned=case.assignee is not None)
        items: list[NewOutboxItem] = []
        key = f"case:{case.number}:sla:{alert.clock.value}:{alert.threshold.value}:{alert.interval.isoformat()}"
        if Audience.BACKUP_ONCALL in audiences and self.backup_numbers:
            # Nobody answered a Sev1 in time: the backup on-call numbers are paged, once per run of the clock.
            page = page_item(
                idempotency_key=f"case:{case.number}:sla:{alert.clock.value}:{alert.interval.isoformat()}",
                k_number=case.k_number,
                summary=case.summary,
                channel=case.channel.value,
                reason="Sev1 response target missed: escalated to the backup on-call",
                to=self.backup_numbers,
            )
            items.append(page)
            detail["paged"] = len(self.backup_numbers)
        to = self._staff(conn, case, audiences)
        if to:
            items.append(self._staff_mail(case, alert, to, key, now))
            detail["told"] = sorted(a.value for a in audiences if a is not Audience.BACKUP_ONCALL)
        customer_facing = alert.clock in (ClockName.RESPONSE, ClockName.FIX)
        if self.notify.apologise and alert.threshold is Threshold.BREACH and customer_facing:
            apology = notice_item(
                NoticeKind.BREACH_APOLOGY, dedupe_key=f"{key}:apology", extra={"clock": alert.clock.value}
            )
            items.append(apology)
        record_alert(conn, case_id=case.id, kind=_KIND[alert.threshold], detail=detail, now=now, items=tuple(items))
        # The case number and clock only: no K#, summary or phone number in the log.
        log.info("case %s: SLA %s %s", case.number, alert.clock.value, alert.threshold.value)

    def _staff(self, conn: Connection, case: CasePublic, audiences: frozenset[Audience]) -> list[str]:
        """The addresses of the audiences told (an assignee without an address: the queue instead)."""
        to: list[str] = []
        if Audience.ASSIGNEE in audiences and case.assignee:
            address = agent_email(conn, name=case.assignee)
            to += [address] if address else list(self.notify.queue)
        if Audience.QUEUE in audiences:
            to += self.notify.queue
        if Audience.SUPERVISORS in audiences:
            to += self.notify.supervisors
        return list(dict.fromkeys(to))

    def _staff_mail(self, case: CasePublic, alert: Alert, to: list[str], key: str, now: datetime) -> NewOutboxItem:
        subject, text = alert_mail(
            number=case.number,
            severity=case.severity,
            alert=alert,
            assignee=case.assignee,
            now=now,
            tz=self.policy.chat.tz,
            link=f"{self.notify.console_url.rstrip('/')}/agent/cases/{case.number}",
            warn_share=self.warn_share,
        )
        at = send_at(now, case.severity, self.policy.business_hours, outside_hours=self.notify.outside_hours)
        payload = {"to": to, "subject": subject, "text": text}
        return NewOutboxItem(kind=STAFF_MAIL_KIND, payload=payload, dedupe_key=f"{key}:staff", next_attempt_at=at)


SLA_WATCH = web.AppKey("sla_watch", SlaWatch)


def setup_sla_watch(app: web.Application, watch: SlaWatch, interval_seconds: float) -> None:
    """Run the watch's rounds while the app runs (append after the database's cleanup_ctx)."""
    app[SLA_WATCH] = watch
    run_with_app(app, Periodic("SLA watch", interval_seconds, watch.run_once))
