"""Notices queued with the case: an update is news for the update clock, the first is the first response,
a resolution brings its follow-up two days later, and a repeated key queues nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from intake.notices import NoticeKind
from store.cases import get_case, list_events
from store.db import SessionMaker
from store.errors import CaseNotFoundError
from store.models import Outbox
from store.notices import (
    FOLLOW_UP_AFTER,
    NOTICE_KIND,
    STAFF_MAIL_KIND,
    notice_item,
    queue_account_notice,
    queue_case_notice,
    queue_resolution,
    queue_staff_mail,
)

from .helpers import T0, new_case


async def _notices(session_maker: SessionMaker) -> list[Outbox]:
    async with session_maker() as session:
        return list((await session.exec(select(Outbox).order_by(col(Outbox.id)))).all())


async def test_an_update_is_news_and_the_first_one_is_the_first_response(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker)
    at = T0 + timedelta(minutes=20)
    async with session_maker() as session, session.begin():
        assert await queue_case_notice(
            session, number=case.number, notice=NoticeKind.UPDATE, actor="alice", at=at, text="Looking at the logs."
        )
        assert await queue_case_notice(
            session,
            number=case.number,
            notice=NoticeKind.UPDATE,
            actor="alice",
            at=at + timedelta(hours=1),
            text="Found it.",
        )
    async with session_maker() as session:
        stored = await get_case(session, number=case.number)
        events = await list_events(session, number=case.number)
    assert stored is not None and stored.first_response_at == at and stored.response_met is True
    kinds = [e.kind for e in events]
    assert kinds.count("first_response") == 1
    updates = [e.detail for e in events if e.kind == "customer_update"]
    assert [u["notice"] for u in updates] == ["first_response", "update"]
    assert updates[1]["text"] == "Found it."
    assert kinds.count("notice_queued") == 2
    assert [o.payload["notice"] for o in await _notices(session_maker)] == ["first_response", "update"]


async def test_a_repeated_key_queues_nothing_and_records_nothing(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker)
    async with session_maker() as session, session.begin():
        first = await queue_case_notice(
            session, number=case.number, notice=NoticeKind.INCIDENT_UPDATE, actor="sla", at=T0, dedupe_key="k"
        )
        again = await queue_case_notice(
            session, number=case.number, notice=NoticeKind.INCIDENT_UPDATE, actor="sla", at=T0, dedupe_key="k"
        )
    assert (first, again) == (True, False)
    async with session_maker() as session:
        events = await list_events(session, number=case.number)
    assert [e.kind for e in events].count("customer_update") == 1


async def test_an_unknown_case_is_refused(session_maker: SessionMaker) -> None:
    async with session_maker() as session, session.begin():
        with pytest.raises(CaseNotFoundError):
            await queue_case_notice(session, number="2611-9999", notice=NoticeKind.UPDATE, actor="a", at=T0)


async def test_a_case_keeps_the_locale_of_its_first_notice(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker, outbox=[notice_item(NoticeKind.CONFIRMATION, dedupe_key="c", locale="fr")])
    async with session_maker() as session, session.begin():
        await queue_case_notice(session, number=case.number, notice=NoticeKind.UPDATE, actor="a", at=T0, text="x")
    assert [o.payload.get("locale") for o in await _notices(session_maker)] == ["fr", "fr"]


async def test_a_resolution_brings_its_follow_up_two_days_later(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker)
    resolved = T0 + timedelta(hours=3)
    async with session_maker() as session, session.begin():
        await queue_resolution(session, number=case.number, note="Restarted the service.", actor="alice", at=resolved)
        # The same resolution told twice (a retried request) queues nothing more.
        await queue_resolution(session, number=case.number, note="Restarted the service.", actor="alice", at=resolved)
    resolution, follow_up = await _notices(session_maker)
    assert resolution.payload == {"notice": "resolution", "text": "Restarted the service."}
    assert resolution.next_attempt_at == resolved
    assert follow_up.payload == {"notice": "follow_up"}
    assert follow_up.next_attempt_at == resolved + FOLLOW_UP_AFTER
    async with session_maker() as session:
        events = await list_events(session, number=case.number)
    assert [e.kind for e in events].count("customer_update") == 0  # a resolution is not an update


async def test_account_notices_and_staff_mail_are_queued_once(session_maker: SessionMaker) -> None:
    async with session_maker() as session, session.begin():
        assert await queue_account_notice(
            session, k_number="k123456", notice=NoticeKind.MAINTENANCE, at=T0, text="Sunday 2-4 AM", dedupe_key="m1"
        )
        assert not await queue_account_notice(
            session, k_number="K123456", notice=NoticeKind.MAINTENANCE, at=T0, text="Sunday 2-4 AM", dedupe_key="m1"
        )
        assert await queue_staff_mail(session, to=["sup@desk.example"], subject="s", text="t", at=T0, dedupe_key="s1")
        assert not await queue_staff_mail(session, to=[], subject="s", text="t", at=T0, dedupe_key="s2")
    maintenance, staff = await _notices(session_maker)
    assert (maintenance.kind, maintenance.case_id) == (NOTICE_KIND, None)
    assert maintenance.payload["k_number"] == "K123456"
    assert staff.kind == STAFF_MAIL_KIND and staff.payload["to"] == ["sup@desk.example"]
