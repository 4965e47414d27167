"""Survey queries: enrol closed cases (one survey each), claim due surveys once across processes, record
answers once, follow-up tasks, opt-outs, and the results per case, agent, severity and account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, exists, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import CaseEventKind, CaseStatus
from intake.survey import ClosedCase
from store.db import upsert
from store.models import (
    Account,
    AccountPhone,
    Case,
    CaseEvent,
    FollowUpStatus,
    Survey,
    SurveyChannel,
    SurveyFollowUp,
    SurveyFollowUpPublic,
    SurveyOptOut,
    SurveyPublic,
    SurveyStatus,
)

_DONE_STATUSES = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value)
MAX_FOLLOW_UPS = 200


@dataclass(frozen=True)
class Recipient:
    """Who a closed case's survey goes to: the account's zone (may be empty) and its first phone."""

    k_number: str
    timezone: str
    phone: str


# --- the case as the rules see it ---------------------------------------------------------------------------


async def closed_case(session: AsyncSession, *, case_id: int) -> tuple[ClosedCase, str]:
    """The case's status, its last closure and who made it, whether it was ever reopened, and the agent whose
    work it judges (who resolved it, else who closed it)."""
    case = await session.get(Case, case_id, populate_existing=True)
    if case is None:
        return ClosedCase(status=CaseStatus.NEW, closed_at=None, reopened=False), ""
    query = (
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == CaseEventKind.STATUS_CHANGED.value)
        .order_by(col(CaseEvent.id))
    )
    reopened, closed_by, resolved_by = False, "", ""
    for event in (await session.exec(query)).all():
        before, after = event.detail.get("from"), event.detail.get("to")
        if before in _DONE_STATUSES and after not in _DONE_STATUSES:
            reopened = True  # resolved or closed, then opened again: the first ending was not the end
        if after == CaseStatus.CLOSED.value:
            closed_by = event.actor
        if after == CaseStatus.RESOLVED.value:
            resolved_by = event.actor
    facts = ClosedCase(status=CaseStatus(case.status), closed_at=case.closed_at, closed_by=closed_by, reopened=reopened)
    return facts, resolved_by or closed_by


async def recipient(session: AsyncSession, *, k_number: str) -> Recipient:
    """The account's time zone and first contact phone ("" when it has none)."""
    account = (await session.exec(select(Account).where(Account.k_number == k_number))).first()
    if account is None:
        return Recipient(k_number=k_number, timezone="", phone="")
    phone = (
        await session.exec(
            select(AccountPhone.e164).where(AccountPhone.account_id == account.id).order_by(col(AccountPhone.id))
        )
    ).first()
    return Recipient(k_number=k_number, timezone=account.timezone, phone=phone or "")


# --- enrolment and claiming ---------------------------------------------------------------------------------


async def unsurveyed_closed_cases(session: AsyncSession, *, since: datetime, limit: int) -> list[Case]:
    """Closed cases closed after `since` that have no survey yet, oldest closure first."""
    has_survey = exists().where(col(Survey.case_id) == col(Case.id))
    query = (
        select(Case)
        .where(Case.status == CaseStatus.CLOSED.value, col(Case.closed_at) >= since, ~has_survey)
        .order_by(col(Case.closed_at), col(Case.id))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def enrol(
    session: AsyncSession,
    *,
    case: Case,
    agent: str,
    phone: str,
    now: datetime,
    due_at: datetime | None,
    skip_reason: str | None = None,
) -> bool:
    """Give `case` its one survey (scheduled for `due_at`, or skipped with a reason); False when it has one."""
    assert case.id is not None and case.closed_at is not None
    values: dict[str, Any] = {
        "case_id": case.id,
        "case_number": case.number,
        "k_number": case.k_number,
        "severity": case.severity,
        "agent": agent[:100],
        "status": (SurveyStatus.SKIPPED if skip_reason else SurveyStatus.SCHEDULED).value,
        "closed_at": case.closed_at,
        "tries": 0,
        "phone": phone,
        "comment": "",
        "skip_reason": skip_reason,
        "due_at": None if skip_reason else due_at,
        "created_at": now,
        "updated_at": now,
    }
    statement = upsert(session, Survey).values(**values).on_conflict_do_nothing().returning(col(Survey.id))
    return (await session.exec(statement)).scalar_one_or_none() is not None


async def due_surveys(session: AsyncSession, *, now: datetime, limit: int) -> list[SurveyPublic]:
    """Surveys whose next step is due (a call slot, a call nobody reported on, a link that ran out)."""
    query = (
        select(Survey)
        .where(col(Survey.due_at) <= now)
        .where(
            col(Survey.status).in_(
                [s.value for s in (SurveyStatus.SCHEDULED, SurveyStatus.CALLING, SurveyStatus.LINK_SENT)]
            )
        )
        .order_by(col(Survey.due_at), col(Survey.id))
        .limit(limit)
    )
    return [SurveyPublic.model_validate(s) for s in (await session.exec(query)).all()]


async def claim(session: AsyncSession, *, survey: SurveyPublic, until: datetime | None, **changes: Any) -> bool:
    """Take `survey`'s due step: a compare-and-set on its status and due time, so exactly one process wins it;
    the winner holds it until `until` (then it is due again) and applies `changes`."""
    statement = (
        update(Survey)
        .where(col(Survey.id) == survey.id, col(Survey.status) == survey.status, col(Survey.due_at) == survey.due_at)
        .values(due_at=until, **changes)
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return int(result.rowcount) == 1


async def bind_call(session: AsyncSession, *, survey_id: int, call_sid: str, now: datetime) -> bool:
    """Tie the call `call_sid` to a survey being called (whoever hears of it first: the REST answer or the
    call's own webhook); False when the survey is not calling or another call has it."""
    statement = (
        update(Survey)
        .where(
            col(Survey.id) == survey_id,
            col(Survey.status) == SurveyStatus.CALLING.value,
            or_(col(Survey.call_sid).is_(None), col(Survey.call_sid) == call_sid),
        )
        .values(call_sid=call_sid, updated_at=now)
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return int(result.rowcount) == 1


async def get_survey(session: AsyncSession, *, survey_id: int) -> SurveyPublic | None:
    """The survey, or None."""
    row = await session.get(Survey, survey_id, populate_existing=True)
    return None if row is None else SurveyPublic.model_validate(row)


async def set_state(session: AsyncSession, *, survey_id: int, now: datetime, **changes: Any) -> None:
    """Move a survey on (status, due time, tries, call, link, reason), stamping updated_at."""
    await session.exec(update(Survey).where(col(Survey.id) == survey_id).values(updated_at=now, **changes))  # type: ignore[call-overload]


# --- answers ------------------------------------------------------------------------------------------------


async def record_call_answer(
    session: AsyncSession,
    *,
    survey_id: int,
    call_sid: str,
    now: datetime,
    nps: int | None = None,
    csat: int | None = None,
    recording_url: str | None = None,
    recording_sid: str | None = None,
) -> SurveyPublic | None:
    """Store what the survey call `call_sid` keyed in or recorded, each answer once (a resent webhook changes
    nothing); None when the call is not this survey's current one."""
    survey = await session.get(Survey, survey_id, populate_existing=True, with_for_update=True)
    if survey is None or survey.call_sid != call_sid:
        return None
    if survey.channel not in (None, SurveyChannel.PHONE.value):
        return SurveyPublic.model_validate(survey)
    if nps is not None and survey.nps is None and survey.status == SurveyStatus.CALLING.value:
        survey.nps, survey.channel, survey.answered_at = nps, SurveyChannel.PHONE.value, now
        survey.status, survey.due_at = SurveyStatus.ANSWERED.value, None
    if survey.status == SurveyStatus.ANSWERED.value and survey.channel == SurveyChannel.PHONE.value:
        if csat is not None and survey.csat is None:
            survey.csat = csat
        if recording_url is not None and survey.recording_url is None:
            survey.recording_url, survey.recording_sid = recording_url, recording_sid
    survey.updated_at = now
    session.add(survey)
    await session.flush()
    return SurveyPublic.model_validate(survey)


async def survey_by_token(session: AsyncSession, *, token_hash: str) -> SurveyPublic | None:
    """The survey a web form link belongs to, or None."""
    row = (await session.exec(select(Survey).where(Survey.token_hash == token_hash))).first()
    return None if row is None else SurveyPublic.model_validate(row)


async def answer_by_link(
    session: AsyncSession, *, token_hash: str, nps: int, csat: int, comment: str, now: datetime
) -> bool:
    """Store the web form's answers once: only a survey whose link is out and unexpired takes them."""
    statement = (
        update(Survey)
        .where(
            col(Survey.token_hash) == token_hash,
            col(Survey.status) == SurveyStatus.LINK_SENT.value,
            col(Survey.link_expires_at) > now,
        )
        .values(
            nps=nps,
            csat=csat,
            comment=comment,
            channel=SurveyChannel.WEB.value,
            status=SurveyStatus.ANSWERED.value,
            answered_at=now,
            due_at=None,
            updated_at=now,
        )
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return int(result.rowcount) == 1


# --- follow-up tasks ----------------------------------------------------------------------------------------


async def open_follow_up(session: AsyncSession, *, survey: SurveyPublic, reason: str, now: datetime) -> bool:
    """Open the support manager's task for an unhappy customer; False when the survey has one already."""
    values = {
        "survey_id": survey.id,
        "case_number": survey.case_number,
        "k_number": survey.k_number,
        "reason": reason,
        "status": FollowUpStatus.OPEN.value,
        "created_at": now,
        "note": "",
    }
    statement = (
        upsert(session, SurveyFollowUp).values(**values).on_conflict_do_nothing().returning(col(SurveyFollowUp.id))
    )
    return (await session.exec(statement)).scalar_one_or_none() is not None


async def follow_ups(session: AsyncSession, *, status: FollowUpStatus | None = None) -> list[SurveyFollowUpPublic]:
    """Follow-up tasks, newest first (open ones only when asked)."""
    query = select(SurveyFollowUp)
    if status is not None:
        query = query.where(SurveyFollowUp.status == status.value)
    query = query.order_by(col(SurveyFollowUp.created_at).desc(), col(SurveyFollowUp.id).desc()).limit(MAX_FOLLOW_UPS)
    return [SurveyFollowUpPublic.model_validate(t) for t in (await session.exec(query)).all()]


async def close_follow_up(session: AsyncSession, *, task_id: int, actor: str, note: str, now: datetime) -> bool:
    """Mark an open task done; False when there is no such open task."""
    statement = (
        update(SurveyFollowUp)
        .where(col(SurveyFollowUp.id) == task_id, col(SurveyFollowUp.status) == FollowUpStatus.OPEN.value)
        .values(status=FollowUpStatus.DONE.value, done_at=now, done_by=actor, note=note)
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return int(result.rowcount) == 1


# --- opt-outs -----------------------------------------------------------------------------------------------


def account_key(k_number: str) -> str:
    """The opt-out key of a whole account."""
    return f"account:{k_number}"


def phone_key(e164: str) -> str:
    """The opt-out key of one phone number."""
    return f"phone:{e164}"


async def opt_out(session: AsyncSession, *, key: str, now: datetime) -> None:
    """No more surveys for `key` (an account or a phone); saying it twice changes nothing."""
    await session.exec(upsert(session, SurveyOptOut).values(key=key, created_at=now).on_conflict_do_nothing())


async def opt_in(session: AsyncSession, *, key: str) -> None:
    """Surveys again for `key` (START after STOP)."""
    statement = SurveyOptOut.__table__.delete().where(SurveyOptOut.__table__.c.key == key)  # type: ignore[attr-defined]
    await session.exec(statement)


async def opted_out(session: AsyncSession, *, keys: Sequence[str]) -> bool:
    """Whether any of `keys` said STOP."""
    wanted = [k for k in keys if k]
    if not wanted:
        return False
    return (await session.exec(select(SurveyOptOut.id).where(col(SurveyOptOut.key).in_(wanted)))).first() is not None


async def skip_pending_for_phone(session: AsyncSession, *, e164: str, now: datetime) -> int:
    """Skip every survey not yet answered that would call or text `e164` (STOP reached us)."""
    open_ = [s.value for s in (SurveyStatus.SCHEDULED, SurveyStatus.CALLING, SurveyStatus.LINK_SENT)]
    statement = (
        update(Survey)
        .where(col(Survey.phone) == e164, col(Survey.status).in_(open_))
        .values(status=SurveyStatus.SKIPPED.value, skip_reason="opted_out", due_at=None, updated_at=now)
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return int(result.rowcount)


# --- results ------------------------------------------------------------------------------------------------

GROUPINGS = {"agent": col(Survey.agent), "severity": col(Survey.severity), "account": col(Survey.k_number)}


@dataclass(frozen=True)
class Result:
    """Answered surveys of one group: how many, the NPS (promoters% - detractors%) and the mean CSAT."""

    group: str
    answered: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    csat: float | None


async def results(session: AsyncSession, *, by: str, since: datetime | None = None) -> list[Result]:
    """Answered surveys per agent, severity or account (largest groups first)."""
    column = GROUPINGS[by]
    promoter = func.sum(func.coalesce((col(Survey.nps) >= 9).cast(Integer), 0))
    detractor = func.sum(func.coalesce((col(Survey.nps) <= 6).cast(Integer), 0))
    query = sa_select(column, func.count(), promoter, detractor, func.avg(col(Survey.csat))).where(
        col(Survey.status) == SurveyStatus.ANSWERED.value
    )
    if since is not None:
        query = query.where(col(Survey.answered_at) >= since)
    query = query.group_by(column).order_by(func.count().desc(), column)
    found = []
    for group, count, promoters, detractors, csat in (await (await session.connection()).execute(query)).all():
        promoters, detractors = int(promoters or 0), int(detractors or 0)
        found.append(
            Result(
                group=str(group),
                answered=int(count),
                promoters=promoters,
                passives=int(count) - promoters - detractors,
                detractors=detractors,
                nps=round(100.0 * (promoters - detractors) / count, 1) if count else None,
                csat=None if csat is None else round(float(csat), 2),
            )
        )
    return found
