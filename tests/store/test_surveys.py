"""Survey rows: one per case, each step claimed once, a link answered once, opt-outs, results per group."""

from __future__ import annotations

from datetime import timedelta

from store import surveys as survey_store
from store.db import SessionMaker
from store.models import Case, SurveyStatus
from tests.store.survey_cases import CLOSED_AT, DUE, closed_case


async def _enrolled(sessions: SessionMaker) -> int:
    case = await closed_case(sessions)
    async with sessions() as session, session.begin():
        row = await session.get(Case, case.id)
        assert row is not None
        assert await survey_store.enrol(
            session, case=row, agent="alice", phone="+14155552671", now=CLOSED_AT, due_at=DUE
        )
        assert not await survey_store.enrol(session, case=row, agent="alice", phone="", now=CLOSED_AT, due_at=DUE)
        assert await survey_store.unsurveyed_closed_cases(session, since=CLOSED_AT - timedelta(days=1), limit=5) == []
    return case.id


async def test_a_case_gets_one_survey_and_a_due_step_is_claimed_once(session_maker: SessionMaker) -> None:
    await _enrolled(session_maker)
    async with session_maker() as session, session.begin():
        [due] = await survey_store.due_surveys(session, now=DUE, limit=10)
        until = DUE + timedelta(minutes=30)
        assert await survey_store.claim(session, survey=due, until=until, status=SurveyStatus.CALLING.value, tries=1)
        assert not await survey_store.claim(
            session, survey=due, until=until, status=SurveyStatus.CALLING.value, tries=1
        )
        assert await survey_store.due_surveys(session, now=DUE, limit=10) == []


async def test_a_link_takes_answers_once_and_not_after_it_expires(session_maker: SessionMaker) -> None:
    await _enrolled(session_maker)
    async with session_maker() as session, session.begin():
        [due] = await survey_store.due_surveys(session, now=DUE, limit=10)
        expires = DUE + timedelta(days=14)
        await survey_store.claim(
            session,
            survey=due,
            until=expires,
            status=SurveyStatus.LINK_SENT.value,
            token_hash="a" * 64,
            link_expires_at=expires,
        )
    async with session_maker() as session, session.begin():
        assert not await survey_store.answer_by_link(
            session, token_hash="a" * 64, nps=9, csat=5, comment="", now=expires
        )
        assert await survey_store.answer_by_link(session, token_hash="a" * 64, nps=3, csat=2, comment="meh", now=DUE)
        assert not await survey_store.answer_by_link(session, token_hash="a" * 64, nps=10, csat=5, comment="", now=DUE)
        [by_severity] = await survey_store.results(session, by="severity")
    assert (by_severity.group, by_severity.answered, by_severity.detractors, by_severity.nps) == ("3", 1, 1, -100.0)


async def test_opting_out_is_idempotent_and_reversible(session_maker: SessionMaker) -> None:
    key = survey_store.account_key("K123456")
    async with session_maker() as session, session.begin():
        await survey_store.opt_out(session, key=key, now=CLOSED_AT)
        await survey_store.opt_out(session, key=key, now=CLOSED_AT)
        assert await survey_store.opted_out(session, keys=[key, ""])
        await survey_store.opt_in(session, key=key)
        assert not await survey_store.opted_out(session, keys=[key])
