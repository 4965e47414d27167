"""The manager speaks first: while an unhappy customer's follow-up task is open, the case's non-essential
notices (an agent's update, an outage's news, "is everything working?") wait in the outbox instead of going
out, each with one "notice_held" entry in the case's history saying why; once the task is done they go.

A held notice stays pending: the worker looks again every HOLD_RECHECK, and a look is not a delivery attempt
(its attempt count is given back), so a notice held for days still has all its retries when it is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import SessionMaker
from store.models import Case, CaseEvent, FollowUpStatus, Outbox, OutboxItem, OutboxStatus, SurveyFollowUp

HOLD_RECHECK = timedelta(minutes=15)
HELD_EVENT = "notice_held"
HELD_REASON = "survey_follow_up"
# What a held item's last_error says (the console's outbox views show it beside the item).
HELD_ERROR = "held: the support manager contacts this customer first (an open survey follow-up)"


async def follow_up_open(session: AsyncSession, *, case_number: str) -> bool:
    """Whether case `case_number` has an unhappy customer's follow-up task that is not done yet."""
    query = select(SurveyFollowUp.id).where(
        SurveyFollowUp.case_number == case_number, SurveyFollowUp.status == FollowUpStatus.OPEN.value
    )
    return (await session.exec(query)).first() is not None


async def hold_notice(session_maker: SessionMaker, *, item: OutboxItem, notice: str, now: datetime) -> None:
    """Put the claimed notice `item` back until `now` + HOLD_RECHECK without counting the attempt; the case's
    history says so the first time it is held."""
    async with session_maker() as session, session.begin():
        first = item.last_error != HELD_ERROR
        statement = (
            update(Outbox)
            .where(col(Outbox.id) == item.id, col(Outbox.status) == OutboxStatus.PENDING.value)
            .values(
                next_attempt_at=now + HOLD_RECHECK,
                attempts=col(Outbox.attempts) - 1,  # the claim counted one: a hold is no attempt
                last_error=HELD_ERROR,
            )
        )
        await session.exec(statement)  # type: ignore[call-overload]
        if first and item.case_id is not None:
            detail = {"notice": notice, "outbox_id": item.id, "reason": HELD_REASON}
            session.add(CaseEvent(case_id=item.case_id, at=now, actor="mailer", kind=HELD_EVENT, detail=detail))


async def held_notices(session: AsyncSession, *, case_numbers: list[str]) -> dict[str, int]:
    """How many notices wait for each of `case_numbers`' follow-up (cases with none are left out)."""
    if not case_numbers:
        return {}
    query = (
        select(Case.number, func.count())
        .join(Outbox, col(Outbox.case_id) == col(Case.id))
        .where(
            col(Case.number).in_(case_numbers),
            col(Outbox.status) == OutboxStatus.PENDING.value,
            col(Outbox.last_error) == HELD_ERROR,
        )
        .group_by(col(Case.number))
    )
    return {str(number): int(count) for number, count in (await session.exec(query)).all()}
