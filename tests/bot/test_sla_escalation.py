"""Who the SLA watch tells: the assignee (or the queue) at a warning, the supervisors at a breach, the customer
an apology for a missed response or fix target; staff mail about a Sev2-4 case waits for business hours; the
mail arrives through a real SMTP server."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.mail import SmtpConfig
from bot.notice_worker import NoticeConfig, NoticeWorker
from bot.sla_watch import SlaWatch, WatchNotify
from intake.domain import CaseStatus, Severity
from intake.escalation import parse_escalation
from intake.policy import Policy
from store.agents import create_agent
from store.cases import list_events, record_first_response, update_case
from store.cases_work import assign_case
from store.db import SessionMaker
from store.jobs import Jobs
from store.models import Outbox
from tests.bot.smtp import smtp_server
from tests.bot.voice.harness import voice_config
from tests.store.helpers import T0, new_case

POLICY = Policy()  # Sev2: response 1 h (warned at 45 min), fix 24 h; business hours Mon-Fri 8-17 Eastern
NOTIFY = WatchNotify(
    escalation=parse_escalation("warn=assignee;breach=assignee,supervisors;sev1_response_breach=supervisors"),
    supervisors=("lead@desk.example",),
    queue=("queue@desk.example",),
    console_url="https://desk.example",
)


class Now:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _outbox(case_id: int) -> Any:
    def read(conn: Connection) -> list[tuple[str, dict[str, Any], datetime]]:
        query = select(Outbox.kind, Outbox.payload, Outbox.next_attempt_at).where(col(Outbox.case_id) == case_id)
        return [(kind, payload, at) for kind, payload, at in conn.execute(query.order_by(col(Outbox.id)))]

    return read


async def test_an_unassigned_case_warns_the_queue_and_a_breach_tells_the_supervisors(jobs: Jobs) -> None:
    case = await new_case(jobs, created_at=T0)
    now = Now(T0 + timedelta(minutes=46))
    watch = SlaWatch(jobs=jobs, policy=POLICY, clock=now, notify=NOTIFY)
    await watch.run_once()
    now.at = T0 + timedelta(minutes=61)
    await watch.run_once()
    staff = [(p["to"], p["subject"]) for kind, p, _ in await jobs.read(_outbox(case.id)) if kind == "staff_mail"]
    assert staff == [
        (
            ["queue@desk.example"],
            f"SLA warning: case {case.number} (Sev2) first response due today at 10:05 AM Eastern",
        ),
        (
            ["queue@desk.example", "lead@desk.example"],
            f"SLA breached: case {case.number} (Sev2) first response was due today at 10:05 AM Eastern",
        ),
    ]
    apologies = [p for kind, p, _ in await jobs.read(_outbox(case.id)) if p.get("notice") == "breach_apology"]
    assert apologies == [{"notice": "breach_apology", "extra": {"clock": "response"}}]


async def test_the_assignee_is_warned_at_their_own_address(jobs: Jobs, session_maker: SessionMaker) -> None:
    case = await new_case(jobs, created_at=T0)
    async with session_maker() as session, session.begin():
        await create_agent(session, name="alice", email="alice@desk.example", role="agent", password_hash="", at=T0)
        await assign_case(session, number=case.number, assignee="alice", actor="lead", at=T0 + timedelta(minutes=1))
    await SlaWatch(jobs=jobs, policy=POLICY, clock=Now(T0 + timedelta(minutes=46)), notify=NOTIFY).run_once()
    [(_kind, payload, _)] = [row for row in await jobs.read(_outbox(case.id)) if row[0] == "staff_mail"]
    assert payload["to"] == ["alice@desk.example"] and "Assigned to: alice." in payload["text"]
    async with session_maker() as session:
        [warning] = [e for e in await list_events(session, number=case.number) if e.kind == "sla_warning"]
    assert warning.detail["told"] == ["assignee"]


async def test_a_missed_update_is_not_apologised_for_and_night_mail_waits_for_morning(
    jobs: Jobs, session_maker: SessionMaker
) -> None:
    case = await new_case(jobs, created_at=T0, severity=Severity.SEV3)  # update every 24 h
    async with session_maker() as session, session.begin():
        await record_first_response(session, number=case.number, actor="alice", at=T0 + timedelta(minutes=5))
        await update_case(
            session, number=case.number, actor="alice", at=T0 + timedelta(minutes=5), status=CaseStatus.IN_PROGRESS
        )
    # The update falls due at 9:10 AM the next day; its 75% warning fell due at 3:10 AM, at night.
    night = datetime(2026, 11, 4, 4, 0, tzinfo=ZoneInfo("America/New_York"))
    await SlaWatch(jobs=jobs, policy=POLICY, clock=Now(night), notify=NOTIFY).run_once()
    [(_, payload, send_at)] = [row for row in await jobs.read(_outbox(case.id)) if row[0] == "staff_mail"]
    assert "customer update" in payload["subject"]
    assert send_at == datetime(2026, 11, 4, 8, 0, tzinfo=ZoneInfo("America/New_York"))  # business hours open
    await SlaWatch(jobs=jobs, policy=POLICY, clock=Now(T0 + timedelta(days=1, hours=1)), notify=NOTIFY).run_once()
    assert not [p for _, p, _ in await jobs.read(_outbox(case.id)) if p.get("notice") == "breach_apology"]


async def test_the_supervisors_mail_arrives_through_smtp(jobs: Jobs, session_maker: SessionMaker) -> None:
    case = await new_case(jobs, created_at=T0, severity=Severity.SEV1)
    now = Now(T0 + timedelta(minutes=16))
    await SlaWatch(jobs=jobs, policy=POLICY, clock=now, notify=NOTIFY).run_once()
    async with smtp_server() as smtp:
        config = NoticeConfig(
            smtp=SmtpConfig(host=smtp.host, port=smtp.port, sender="support@desk.example", tls="off"),
            sms=voice_config(),
            link_secret="x" * 40,
            company="Vue Cloud Support",
            desk_tz=ZoneInfo("America/New_York"),
        )
        worker = NoticeWorker(config=config, session_maker=session_maker, clock=now)
        await worker.run_once()
        received = {tuple(sorted(m.rcpt_tos)): m for m in [await smtp.next(), await smtp.next()]}
        worker.close()
    breach = received[("lead@desk.example",)]
    assert breach.message["Subject"].startswith(f"SLA breached: case {case.number} (Sev1) first response")
    assert f"https://desk.example/agent/cases/{case.number}" in breach.text
    assert case.summary not in breach.text  # the customer's words stay in the console
