"""Closed cases for the survey's tests: resolved by one agent, closed by another (and maybe reopened)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from intake.domain import CaseStatus, Channel, Outcome, Severity
from store import cases as case_store
from store.db import SessionMaker
from store.models import Account, AccountPhone, CasePublic

NY = ZoneInfo("America/New_York")
CUSTOMER = "+14155552671"
# Closed Monday 2 November 2026, 11:00 New York; the survey is due Tuesday 11:00 (inside 10:00-17:00).
CLOSED_AT = datetime(2026, 11, 2, 11, 0, tzinfo=NY)
DUE = CLOSED_AT + timedelta(days=1)


async def closed_case(
    sessions: SessionMaker,
    *,
    key: str = "case-1",
    k_number: str = "K123456",
    phone: str | None = CUSTOMER,
    timezone: str = "America/New_York",
    closed_at: datetime = CLOSED_AT,
    reopen: bool = False,
) -> CasePublic:
    """A Sev3 case resolved by alice and closed by the supervisor at `closed_at` (reopened and closed again)."""
    created = closed_at - timedelta(days=2)
    case = await case_store.create_case(
        sessions,
        case=case_store.CaseCreate(
            idempotency_key=key,
            k_number=k_number,
            severity=Severity.SEV3,
            channel=Channel.PHONE,
            outcome=Outcome.WEB_REQUEST,
            summary="Reports print blurry",
            created_at=created,
            response_due=created + timedelta(hours=24),
            fix_due=created + timedelta(days=5),
        ),
    )
    async with sessions() as session, session.begin():
        account = (await session.exec(select(Account).where(Account.k_number == k_number))).one()
        account.timezone = timezone
        session.add(account)
        if phone:
            assert account.id is not None
            session.add(AccountPhone(account_id=account.id, e164=phone))
        steps = [(CaseStatus.RESOLVED, "alice"), (CaseStatus.CLOSED, "sue")]
        if reopen:
            steps += [(CaseStatus.IN_PROGRESS, "sue"), (CaseStatus.CLOSED, "sue")]
        for i, (status, actor) in enumerate(steps):
            at = closed_at - timedelta(minutes=len(steps) - 1 - i)
            await case_store.update_case(session, number=case.number, actor=actor, at=at, status=status)
    return case
