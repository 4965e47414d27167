"""Outbox: pages written with the case, claimed once by one of several workers, and logged."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from intake.domain import Outcome, Severity
from store.cases import list_events
from store.db import SessionMaker
from store.errors import OutboxItemNotFoundError
from store.models import Outbox
from store.outbox import NewOutboxItem, claim_due, enqueue, mark_failed, mark_sent, outbox_values

from .helpers import T0, new_case

PAGE = "sms_page"


async def _sev1(session_maker: SessionMaker, key: str = "sev1") -> str:
    case = await new_case(
        session_maker,
        key,
        severity=Severity.SEV1,
        outcome=Outcome.REDIRECT_PHONE,
        outbox=[NewOutboxItem(kind=PAGE, payload={"to": "oncall"}, dedupe_key=f"{key}:page")],
    )
    return case.number


def test_an_items_values_are_every_column_of_its_row_but_the_id() -> None:
    item = NewOutboxItem(kind=PAGE, payload={"to": "oncall"}, dedupe_key="k")
    values = outbox_values(item, case_id=7, now=T0)
    assert set(values) == {c.name for c in Outbox.__table__.columns} - {"id"}  # type: ignore[attr-defined]
    assert Outbox(**values).model_dump(exclude={"id"}) == values
    assert values["next_attempt_at"] == values["created_at"] == T0


async def test_page_is_queued_with_the_case(session_maker: SessionMaker) -> None:
    number = await _sev1(session_maker)
    await _sev1(session_maker)  # a retried turn queues nothing more
    async with session_maker() as session:
        kinds = [e.kind for e in await list_events(session, number=number)]
    assert kinds == ["created", "page_queued"]
    claimed = await claim_due(session_maker, now=T0, kind=PAGE)
    assert len(claimed) == 1
    assert claimed[0].payload == {"to": "oncall"}
    assert claimed[0].attempts == 1


async def test_claimed_items_are_hidden_until_the_lease_ends(session_maker: SessionMaker) -> None:
    await _sev1(session_maker)
    assert len(await claim_due(session_maker, now=T0, kind=PAGE, lease=timedelta(minutes=5))) == 1
    assert await claim_due(session_maker, now=T0 + timedelta(minutes=4), kind=PAGE) == []
    assert await claim_due(session_maker, now=T0, kind="email") == []
    # The worker died: after the lease the item is due again.
    again = await claim_due(session_maker, now=T0 + timedelta(minutes=6), kind=PAGE)
    assert [item.attempts for item in again] == [2]


async def test_mark_sent_logs_page_sent(session_maker: SessionMaker) -> None:
    number = await _sev1(session_maker)
    (item,) = await claim_due(session_maker, now=T0, kind=PAGE)
    sent = await mark_sent(session_maker, item_id=item.id, at=T0 + timedelta(seconds=2))
    assert (sent.status, sent.sent_at) == ("sent", T0 + timedelta(seconds=2))
    assert await claim_due(session_maker, now=T0 + timedelta(hours=1), kind=PAGE) == []
    async with session_maker() as session:
        events = await list_events(session, number=number)
    assert events[-1].kind == "page_sent"
    assert events[-1].detail == {"outbox_id": item.id, "kind": PAGE, "attempts": 1}


async def test_mark_failed_retries_then_gives_up(session_maker: SessionMaker) -> None:
    number = await _sev1(session_maker)
    (item,) = await claim_due(session_maker, now=T0, kind=PAGE)
    retry_at = T0 + timedelta(minutes=1)
    failed = await mark_failed(session_maker, item_id=item.id, at=T0, error="twilio 503", retry_at=retry_at)
    assert (failed.status, failed.next_attempt_at, failed.last_error) == ("pending", retry_at, "twilio 503")
    assert await claim_due(session_maker, now=T0 + timedelta(seconds=30), kind=PAGE) == []
    (item,) = await claim_due(session_maker, now=retry_at, kind=PAGE)
    final = await mark_failed(session_maker, item_id=item.id, at=retry_at, error="bad number", retry_at=None)
    assert final.status == "failed"
    assert await claim_due(session_maker, now=T0 + timedelta(days=1), kind=PAGE) == []
    async with session_maker() as session:
        events = [e for e in await list_events(session, number=number) if e.kind == "page_failed"]
    assert [e.detail["error"] for e in events] == ["twilio 503", "bad number"]
    assert events[0].detail["retry_at"] == retry_at.isoformat()
    assert events[1].detail["retry_at"] is None
    with pytest.raises(OutboxItemNotFoundError):
        await mark_sent(session_maker, item_id=999_999, at=T0)


async def test_concurrent_workers_claim_disjoint_items(session_maker: SessionMaker) -> None:
    for n in range(12):
        await _sev1(session_maker, f"case-{n}")
    batches = await asyncio.gather(*(claim_due(session_maker, now=T0, kind=PAGE, limit=5) for _ in range(4)))
    ids = [item.id for batch in batches for item in batch]
    assert len(ids) == 12
    assert len(set(ids)) == 12


async def test_enqueue_dedupes(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker)
    item = NewOutboxItem(
        kind="email_update", payload={"to": "a@b.c"}, dedupe_key="mail-1", next_attempt_at=T0 + timedelta(minutes=10)
    )
    async with session_maker() as session, session.begin():
        queued = await enqueue(session, item=item, case_id=case.id, now=T0)
        duplicate = await enqueue(session, item=item, case_id=case.id, now=T0)
    assert queued is not None and queued.next_attempt_at == T0 + timedelta(minutes=10)
    assert duplicate is None
    assert await claim_due(session_maker, now=T0, kind="email_update") == []
    assert len(await claim_due(session_maker, now=T0 + timedelta(minutes=10), kind="email_update")) == 1
    async with session_maker() as session:
        assert [e.kind for e in await list_events(session, number=case.number)] == ["created", "email_update_queued"]
