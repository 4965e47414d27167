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
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from aiohttp import web
from sqlalchemy.engine import Connection

from bot.paging import page_item
from bot.periodic import Periodic, run_with_app
from bot.sla import case_clocks
from intake.domain import CaseEventKind, Severity
from intake.policy import Policy
from intake.sla import WARN_SHARE, Alert, ClockName, Threshold, due_alerts, next_check
from store.cases import history_of
from store.jobs import Jobs
from store.models import CasePublic
from store.outbox import NewOutboxItem
from store.sla import claim_alert, due_cases, record_alert, set_next_look

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
class SlaWatch:
    """The watch over every case's clocks."""

    jobs: Jobs
    policy: Policy
    clock: Callable[[], datetime]
    backup_numbers: tuple[str, ...] = ()
    warn_share: float = WARN_SHARE
    batch: int = BATCH

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
        items: tuple[NewOutboxItem, ...] = ()
        sev1_unanswered = (
            case.severity is Severity.SEV1 and alert.clock is ClockName.RESPONSE and alert.threshold is Threshold.BREACH
        )
        if sev1_unanswered and self.backup_numbers:
            # Nobody answered a Sev1 in time: the backup on-call numbers are paged, once per run of the clock.
            page = page_item(
                idempotency_key=f"case:{case.number}:sla:{alert.clock.value}:{alert.interval.isoformat()}",
                k_number=case.k_number,
                summary=case.summary,
                channel=case.channel.value,
                reason="Sev1 response target missed: escalated to the backup on-call",
                to=self.backup_numbers,
            )
            items = (page,)
            detail["paged"] = len(self.backup_numbers)
        record_alert(conn, case_id=case.id, kind=_KIND[alert.threshold], detail=detail, now=now, items=items)
        # The case number and clock only: no K#, summary or phone number in the log.
        log.info("case %s: SLA %s %s", case.number, alert.clock.value, alert.threshold.value)


SLA_WATCH = web.AppKey("sla_watch", SlaWatch)


def setup_sla_watch(app: web.Application, watch: SlaWatch, interval_seconds: float) -> None:
    """Run the watch's rounds while the app runs (append after the database's cleanup_ctx)."""
    app[SLA_WATCH] = watch
    run_with_app(app, Periodic("SLA watch", interval_seconds, watch.run_once))
