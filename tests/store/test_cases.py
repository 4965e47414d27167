"""Cases: creation, numbering, idempotency, lookups, updates and the event log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from intake import understanding, wording_status
from intake.case_numbers import month_of
from intake.domain import CaseEventKind, CaseStatus, Channel, NaiveDatetimeError, Outcome, Severity
from store.accounts import get_account
from store.cases import (
    NewEvent,
    add_event,
    case_for_account,
    format_case_number,
    get_case,
    latest_event,
    list_cases,
    list_events,
    normalise_case_number,
    record_first_response,
    update_case,
)
from store.db import SessionMaker
from store.errors import CaseNotFoundError
from store.jobs import Jobs
from store.models import CaseCounter
from store.outbox import NewOutboxItem

from .helpers import T0, new_case


async def test_created_case_round_trips_with_aware_due_times(session_maker: SessionMaker) -> None:
    new_york = ZoneInfo("America/New_York")
    case = await new_case(
        session_maker,
        created_at=T0.astimezone(new_york),
        response_due=(T0 + timedelta(hours=1)).astimezone(new_york),
        fix_due=None,
        conversation_id="dl-conv-1",
    )
    async with session_maker() as session:
        stored = await get_case(session, number=case.number)
    assert stored == case
    assert stored.created_at == T0
    assert stored.response_due == T0 + timedelta(hours=1)
    assert stored.fix_due is None
    for instant in (stored.created_at, stored.response_due, stored.updated_at):
        assert instant.utcoffset() == timedelta(0)
    assert stored.severity is Severity.SEV2
    assert stored.channel is Channel.CHAT
    assert stored.outcome is Outcome.WEB_REQUEST
    assert stored.status is CaseStatus.NEW
    assert stored.k_number == "K123456"
    assert stored.conversation_id == "dl-conv-1"


async def test_case_number_is_utc_month_and_sequence(session_maker: SessionMaker) -> None:
    # 23:30 in New York on 31 October is already November in UTC.
    late = datetime(2026, 10, 31, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    first = await new_case(session_maker, "a", created_at=late)
    second = await new_case(session_maker, "b", created_at=late)
    december = await new_case(session_maker, "c", created_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert (first.number, second.number, december.number) == ("2611-0001", "2611-0002", "2612-0001")
    assert re.fullmatch(r"\d{4}-\d{4,}", first.number)


def test_case_number_widens_past_9999() -> None:
    assert format_case_number(T0, 42) == "2611-0042"
    assert format_case_number(T0, 9999) == "2611-9999"
    assert format_case_number(T0, 10000) == "2611-10000"


async def test_the_ten_thousandth_case_of_a_month_is_found_by_chat_text_and_keypad_digits(
    session_maker: SessionMaker, jobs: Jobs
) -> None:
    async with session_maker() as session, session.begin():
        session.add(CaseCounter(month=month_of(T0), seq=9999))  # 9,999 cases this month already
    case = await new_case(session_maker, "the-10000th")
    assert case.number == f"{month_of(T0)}-10000"
    typed = understanding.case_number_in(f"hi, any news on case {case.number}? K123456")
    keyed = understanding.case_number_in(case.number.replace("-", ""))  # what the phone's keypad sends
    keypad_max = wording_status.status_ask_number(phone=True).max_digits
    assert keypad_max is not None and len(case.number.replace("-", "")) <= keypad_max
    for number in (typed, keyed):
        assert number is not None
        found = await jobs.read(partial(case_for_account, number=number, k_number="K123456"))
        assert found is not None and found.id == case.id


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("2611-0042", "2611-0042"),
        ("26110042", "2611-0042"),
        (" 2611 0042 ", "2611-0042"),
        ("2611-00042", "2611-0042"),
        ("2611-10000", "2611-10000"),
        ("42", None),
        ("abcd-0042", None),
    ],
)
def test_case_numbers_are_read_in_any_spelling(raw: str, canonical: str | None) -> None:
    assert normalise_case_number(raw) == canonical


async def test_same_idempotency_key_gives_one_case(session_maker: SessionMaker) -> None:
    first = await new_case(session_maker, "turn-7")
    again = await new_case(session_maker, "turn-7", summary="a retried turn says something else")
    assert again == first
    async with session_maker() as session:
        assert len(await list_cases(session)) == 1
        assert [e.kind for e in await list_events(session, number=first.number)] == ["created"]


async def test_unknown_account_is_created_with_empty_name(session_maker: SessionMaker) -> None:
    await new_case(session_maker, k_number=" k99887 ")
    async with session_maker() as session:
        account = await get_account(session, k_number="K99887")
    assert account is not None
    assert account.name == ""


async def test_initial_events_are_recorded_in_order(session_maker: SessionMaker) -> None:
    case = await new_case(
        session_maker,
        events=[
            NewEvent(kind=CaseEventKind.TRIAGE, detail={"evidence": ["one site"]}),
            NewEvent(kind=CaseEventKind.ATTACHMENT, actor="customer", detail={"names": ["log.txt"]}),
        ],
    )
    async with session_maker() as session:
        events = await list_events(session, number=case.number)
    assert [(e.kind, e.actor) for e in events] == [("created", "bot"), ("triage", "bot"), ("attachment", "customer")]
    assert events[0].detail == {"severity": 2, "channel": "chat", "outcome": "web_request", "status": "new"}
    assert events[1].detail == {"evidence": ["one site"]}
    assert all(e.at == T0 for e in events)


@pytest.mark.parametrize("field", ["created_at", "response_due", "fix_due"])
async def test_naive_datetimes_are_rejected(session_maker: SessionMaker, field: str) -> None:
    with pytest.raises(NaiveDatetimeError):
        await new_case(session_maker, **{field: T0.replace(tzinfo=None)})
    async with session_maker() as session:
        assert await list_cases(session) == []


async def test_case_for_account_hides_other_accounts_cases(session_maker: SessionMaker, jobs: Jobs) -> None:
    case = await new_case(session_maker, k_number="K123456")
    assert await jobs.read(partial(case_for_account, number=case.number, k_number="k123456")) == case
    assert await jobs.read(partial(case_for_account, number=case.number, k_number="K654321")) is None
    assert await jobs.read(partial(case_for_account, number="2611-9999", k_number="K123456")) is None
    async with session_maker() as session:
        assert await get_case(session, number="not a number") is None


async def test_list_cases_filters_and_orders_newest_first(session_maker: SessionMaker) -> None:
    old = await new_case(session_maker, "1", severity=Severity.SEV1, outcome=Outcome.REDIRECT_PHONE)
    mid = await new_case(session_maker, "2", created_at=T0 + timedelta(minutes=1), k_number="K555555")
    new = await new_case(session_maker, "3", created_at=T0 + timedelta(minutes=2), status=CaseStatus.INCOMPLETE)
    async with session_maker() as session:
        assert [c.number for c in await list_cases(session)] == [new.number, mid.number, old.number]
        assert await list_cases(session, severity=Severity.SEV1) == [old]
        assert await list_cases(session, status=CaseStatus.INCOMPLETE) == [new]
        assert await list_cases(session, k_number="k555555") == [mid]
        assert len(await list_cases(session, limit=2)) == 2


async def test_update_case_logs_each_change(session_maker: SessionMaker, jobs: Jobs) -> None:
    case = await new_case(session_maker)
    later = T0 + timedelta(hours=2)
    async with session_maker() as session, session.begin():
        updated = await update_case(
            session,
            number=case.number,
            actor="agent:ada",
            at=later,
            status=CaseStatus.RESOLVED,
            severity=Severity.SEV1,
            reason="whole hospital affected",
        )
    assert updated.status is CaseStatus.RESOLVED
    assert updated.severity is Severity.SEV1
    assert updated.resolved_at == later
    assert updated.updated_at == later
    async with session_maker() as session:
        assert await get_case(session, number=case.number) == updated
        events = await list_events(session, number=case.number)
    last = await jobs.read(partial(latest_event, number=case.number))
    last_severity = await jobs.read(partial(latest_event, number=case.number, kind=CaseEventKind.SEVERITY_CHANGED))
    assert [e.kind for e in events] == ["created", "severity_changed", "status_changed"]
    assert events[1].detail == {"from": 2, "to": 1, "reason": "whole hospital affected"}
    assert events[2].detail == {"from": "new", "to": "resolved", "reason": "whole hospital affected"}
    assert last == events[2]
    assert last_severity == events[1]


async def test_update_without_change_logs_nothing(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker)
    async with session_maker() as session, session.begin():
        await update_case(session, number=case.number, actor="bot", at=T0, status=CaseStatus.NEW)
    async with session_maker() as session:
        assert len(await list_events(session, number=case.number)) == 1


async def test_add_event_and_unknown_case(session_maker: SessionMaker, jobs: Jobs) -> None:
    case = await new_case(session_maker)
    async with session_maker() as session, session.begin():
        event = await add_event(
            session,
            number=case.number,
            kind=CaseEventKind.NOTE,
            actor="agent:ada",
            at=T0 + timedelta(minutes=5),
            detail={"text": "called back"},
        )
    assert event.to_json_dict()["at"] == "2026-11-03T14:10:30.123456+00:00"
    assert await jobs.read(partial(latest_event, number=case.number)) == event
    async with session_maker() as session:
        stored = await get_case(session, number=case.number)
        assert stored is not None
        assert stored.updated_at == T0 + timedelta(minutes=5)
        with pytest.raises(CaseNotFoundError):
            await add_event(session, number="2611-0999", kind=CaseEventKind.NOTE, actor="bot", at=T0)


async def test_first_response_records_whether_target_was_met(session_maker: SessionMaker) -> None:
    met = await new_case(session_maker, "met")
    missed = await new_case(session_maker, "missed")
    async with session_maker() as session, session.begin():
        a = await record_first_response(session, number=met.number, actor="agent:ada", at=T0 + timedelta(minutes=59))
        b = await record_first_response(session, number=missed.number, actor="agent:ada", at=T0 + timedelta(hours=2))
        again = await record_first_response(session, number=met.number, actor="agent:bo", at=T0 + timedelta(hours=3))
    assert (a.response_met, b.response_met) == (True, False)
    assert again.first_response_at == T0 + timedelta(minutes=59)


async def test_to_json_dict_renders_values(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker)
    data = case.to_json_dict()
    assert data["number"] == case.number
    assert data["severity"] == 2
    assert data["channel"] == "chat"
    assert data["outcome"] == "web_request"
    assert data["status"] == "new"
    assert data["created_at"] == "2026-11-03T14:05:30.123456+00:00"
    assert data["response_due"] == "2026-11-03T15:05:30.123456+00:00"
    assert data["fix_due"] == "2026-11-04T14:05:30.123456+00:00"
    assert data["first_response_at"] is None


async def test_a_case_recorded_by_the_bot_reads_back_the_same(session_maker: SessionMaker, jobs: Jobs) -> None:
    # The bot records cases as store jobs (on SQLite: straight on the driver, see store/jobs.py); the
    # console and the API read them through the ORM. Both must agree on every value.
    page = NewOutboxItem(kind="sms_page", payload={"to": "oncall"}, dedupe_key="page-1")
    case = await new_case(
        jobs, "bot-1", events=[NewEvent(kind=CaseEventKind.TRIAGE, detail={"evidence": ["dictation"]})], outbox=[page]
    )
    assert await new_case(jobs, "bot-1") == case  # idempotent through the jobs too
    async with session_maker() as session:
        assert await get_case(session, number=case.number) == case
        events = await list_events(session, number=case.number)
        account = await get_account(session, k_number="K123456")
    assert [(e.kind, e.at, e.detail) for e in events] == [
        ("created", T0, {"severity": 2, "channel": "chat", "outcome": "web_request", "status": "new"}),
        ("triage", T0, {"evidence": ["dictation"]}),
        ("page_queued", T0, {"kind": "sms_page", "dedupe_key": "page-1"}),
    ]
    assert account is not None and account.id == case.account_id
    # Numbering is shared with cases recorded the other way.
    other = await new_case(session_maker, "console-1")
    assert other.number == format_case_number(T0, int(case.number.split("-")[1]) + 1)
    found = await jobs.read(partial(case_for_account, number=case.number, k_number="k123456"))
    assert found == case
    last = await jobs.read(partial(latest_event, number=case.number))
    assert last is not None and last.kind == "page_queued"


def test_event_kinds_keep_their_stored_values() -> None:
    # Stored histories hold these strings: a kind may be added, but none may change what it writes or matches.
    pinned = {
        "CREATED": "created",
        "TRIAGE": "triage",
        "SEVERITY_CHANGED": "severity_changed",
        "STATUS_CHANGED": "status_changed",
        "NOTE": "note",
        "ATTACHMENT": "attachment",
        "FIRST_RESPONSE": "first_response",
        "HANDOFF_REQUESTED": "handoff_requested",
        "HANDOFF_TIMED_OUT": "handoff_timed_out",
        "PAGE_QUEUED": "page_queued",
        "PAGE_SENT": "page_sent",
        "PAGE_FAILED": "page_failed",
        "VOICEMAIL": "voicemail",
    }
    assert {name: CaseEventKind[name].value for name in pinned} == pinned
