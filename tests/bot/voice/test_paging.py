"""SMS paging through the outbox against a loopback stand-in for Twilio's Messages API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiohttp import web
from sqlmodel import select

from bot.delivery import Delivery, DeliveryPolicy
from bot.paging import PAGE_KIND, escalate_unanswered, page_item
from bot.voice.paging import Pager, page_ref, setup_paging
from intake.domain import CaseStatus, Channel, Outcome, Severity
from store import cases as case_store
from store import outbox as outbox_store
from store.db import SessionMaker
from store.models import CasePublic, Outbox, OutboxItem
from store.outbox import NewOutboxItem
from tests.bot.voice.harness import ONCALL, FakeClock, FakeTwilio, serve, voice_config

POLICY = DeliveryPolicy(poll_interval=0.01, first_retry=timedelta(seconds=15), max_attempts=3)


@dataclass
class Rig:
    """A pager, its clock, the fake Twilio and a Sev1 case whose page is queued."""

    pager: Pager
    clock: FakeClock
    twilio: FakeTwilio
    case: CasePublic
    session_maker: SessionMaker


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[FakeTwilio, str]]:
    fake = FakeTwilio()
    async with serve(fake.app()) as url:
        yield fake, url


async def _sev1_case(session_maker: SessionMaker, clock: FakeClock, *, paged: bool = True) -> CasePublic:
    now = clock()
    outbox = (
        [page_item(idempotency_key="call-1:case", k_number="K123456", summary="Nobody can log in", channel="chat")]
        if paged
        else []
    )
    new = case_store.CaseCreate(
        idempotency_key="call-1:case",
        k_number="K123456",
        severity=Severity.SEV1,
        channel=Channel.CHAT,
        outcome=Outcome.REDIRECT_PHONE,
        summary="Nobody can log in",
        created_at=now,
        response_due=now + timedelta(minutes=15),
        fix_due=now + timedelta(hours=8),
        outbox=outbox,
    )
    return await case_store.create_case(session_maker, case=new)


@pytest.fixture
async def rig(session_maker: SessionMaker, twilio: tuple[FakeTwilio, str]) -> AsyncIterator[Rig]:
    fake, url = twilio
    clock = FakeClock()
    case = await _sev1_case(session_maker, clock)
    pager = Pager(config=voice_config(twilio_api_base=url), session_maker=session_maker, clock=clock, policy=POLICY)
    yield Rig(pager=pager, clock=clock, twilio=fake, case=case, session_maker=session_maker)
    pager.close()


async def _items(session_maker: SessionMaker) -> list[OutboxItem]:
    async with session_maker() as session:
        rows = (await session.exec(select(Outbox))).all()
    return [OutboxItem.model_validate(r) for r in rows]


async def _event_kinds(rig: Rig) -> list[str]:
    async with rig.session_maker() as session:
        return [e.kind for e in await case_store.list_events(session, number=rig.case.number)]


async def test_a_due_page_is_texted_to_every_on_call_number(rig: Rig) -> None:
    report = await rig.pager.run_once()
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert [m["to"] for m in rig.twilio.messages] == list(ONCALL)
    body = rig.twilio.messages[0]["body"]
    assert rig.case.number in body and "K123456" in body and "Nobody can log in" in body
    assert {m["from"] for m in rig.twilio.messages} == {"+18005550199"}
    [item] = await _items(rig.session_maker)
    assert item.status == "sent" and item.attempts == 1
    assert "page_sent" in await _event_kinds(rig)
    # Nothing left to do: a second pass sends nothing.
    assert (await rig.pager.run_once()).sent == 0
    assert len(rig.twilio.messages) == 2


async def test_a_transient_failure_is_retried_with_backoff_without_texting_anyone_twice(rig: Rig) -> None:
    rig.twilio.failures = [500]  # the first number's SMS fails, the second goes out
    report = await rig.pager.run_once()
    assert report.retrying == 1
    assert [m["to"] for m in rig.twilio.messages] == [ONCALL[1]]
    [item] = await _items(rig.session_maker)
    assert item.status == "pending" and item.last_error == "transient: twilio status 500 code 20500"
    assert item.next_attempt_at == rig.clock() + timedelta(seconds=15)
    assert "page_failed" in await _event_kinds(rig)

    rig.clock.advance(timedelta(seconds=14))
    assert (await rig.pager.run_once()).sent == 0  # not due yet
    rig.clock.advance(timedelta(seconds=1))
    assert (await rig.pager.run_once()).sent == 1
    assert sorted(m["to"] for m in rig.twilio.messages) == sorted(ONCALL)  # the second number only once
    [item] = await _items(rig.session_maker)
    assert item.status == "sent" and item.attempts == 2


async def test_backoff_doubles_and_gives_up_after_max_attempts() -> None:
    policy = DeliveryPolicy(first_retry=timedelta(seconds=10), max_retry=timedelta(seconds=35), max_attempts=4)
    now = FakeClock()()
    assert [policy.retry_at(now, n) for n in (1, 2, 3)] == [
        now + timedelta(seconds=10),
        now + timedelta(seconds=20),
        now + timedelta(seconds=35),
    ]
    assert policy.retry_at(now, 4) is None


async def test_retries_stop_after_max_attempts_and_the_case_shows_it(rig: Rig) -> None:
    rig.twilio.failures = [503] * 10
    for _ in range(POLICY.max_attempts):
        await rig.pager.run_once()
        rig.clock.advance(timedelta(hours=1))
    [item] = await _items(rig.session_maker)
    assert item.status == "failed" and item.attempts == POLICY.max_attempts
    assert rig.twilio.messages == []
    assert (await _event_kinds(rig)).count("page_failed") == POLICY.max_attempts


async def test_numbers_twilio_rejects_fail_for_good_at_once(rig: Rig) -> None:
    rig.twilio.failures = [400, 400]
    report = await rig.pager.run_once()
    assert report.failed == 1
    [item] = await _items(rig.session_maker)
    assert item.status == "failed" and item.last_error == "rejected: twilio status 400 code 21211"


async def test_a_worker_dying_after_the_claim_loses_nothing(rig: Rig) -> None:
    # Crash between claim and send: the claim hides the item for the lease, then it is delivered once.
    claimed = await outbox_store.claim_due(rig.session_maker, now=rig.clock(), kind=PAGE_KIND, lease=POLICY.lease)
    assert len(claimed) == 1
    assert (await rig.pager.run_once()).sent == 0
    rig.clock.advance(POLICY.lease)
    assert (await rig.pager.run_once()).sent == 1
    assert sorted(m["to"] for m in rig.twilio.messages) == sorted(ONCALL)


async def test_a_worker_dying_after_sending_does_not_page_twice(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    # Crash between send and mark_sent: the next attempt finds the texts on Twilio by their reference.
    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("worker died")

    monkeypatch.setattr(outbox_store, "mark_sent", crash)
    with pytest.raises(RuntimeError):
        await rig.pager.run_once()
    monkeypatch.undo()
    assert len(rig.twilio.messages) == 2
    rig.clock.advance(POLICY.lease)
    assert (await rig.pager.run_once()).sent == 1
    assert len(rig.twilio.messages) == 2  # nothing sent again
    [item] = await _items(rig.session_maker)
    assert item.status == "sent" and item.attempts == 2
    assert page_ref(item) in rig.twilio.messages[0]["body"]


async def test_phone_escalation_and_chat_page_share_one_dedupe_key(rig: Rig) -> None:
    async with rig.session_maker() as session, session.begin():
        await escalate_unanswered(session, case_number=rig.case.number, reason="no answer", now=rig.clock())
    items = await _items(rig.session_maker)
    assert len(items) == 1  # the chat page already queued is the page
    async with rig.session_maker() as session:
        case = await case_store.get_case(session, number=rig.case.number)
    assert case is not None and case.status == CaseStatus.ESCALATED


async def test_escalation_page_mentions_why(session_maker: SessionMaker, twilio: tuple[FakeTwilio, str]) -> None:
    fake, url = twilio
    clock = FakeClock()
    case = await _sev1_case(session_maker, clock, paged=False)
    async with session_maker() as session, session.begin():
        await escalate_unanswered(session, case_number=case.number, reason="no on-call engineer answered", now=clock())
    [item] = await _items(session_maker)
    assert item.kind == PAGE_KIND and item.payload["channel"] == "phone"
    [claimed] = await outbox_store.claim_due(session_maker, now=clock(), kind=PAGE_KIND)
    config = voice_config(twilio_api_base=url)
    with closing(Pager(config=config, session_maker=session_maker, clock=clock, policy=POLICY)) as pager:
        assert await pager.deliver(claimed) is Delivery.SENT
    assert "no on-call engineer answered" in fake.messages[0]["body"]


async def test_an_escalation_naming_its_numbers_texts_them_not_the_on_call(
    session_maker: SessionMaker, twilio: tuple[FakeTwilio, str]
) -> None:
    # The SLA watch pages the backup on-call when a Sev1 goes unanswered (bot/sla_watch.py).
    fake, url = twilio
    clock = FakeClock()
    case = await _sev1_case(session_maker, clock, paged=False)
    backup = ["+16175550111", "+16175550112"]
    item = NewOutboxItem(
        kind=PAGE_KIND, dedupe_key="backup-1", payload={"k_number": "K123456", "summary": "x", "to": backup}
    )
    async with session_maker() as session, session.begin():
        await outbox_store.enqueue(session, item=item, case_id=case.id, now=clock())
    [claimed] = await outbox_store.claim_due(session_maker, now=clock(), kind=PAGE_KIND)
    with closing(Pager(config=voice_config(twilio_api_base=url), session_maker=session_maker, clock=clock)) as pager:
        assert await pager.deliver(claimed) is Delivery.SENT
    assert [m["to"] for m in fake.messages] == backup


async def test_without_on_call_numbers_the_page_fails_visibly(
    session_maker: SessionMaker, twilio: tuple[FakeTwilio, str]
) -> None:
    fake, url = twilio
    clock = FakeClock()
    await _sev1_case(session_maker, clock)
    config = voice_config(twilio_api_base=url, oncall_numbers=())
    with closing(Pager(config=config, session_maker=session_maker, clock=clock, policy=POLICY)) as pager:
        assert (await pager.run_once()).failed == 1
    assert fake.requests == 0


async def test_setup_paging_runs_the_worker_with_the_app(
    session_maker: SessionMaker, twilio: tuple[FakeTwilio, str]
) -> None:
    fake, url = twilio
    clock = FakeClock()
    app = web.Application()
    setup_paging(app, config=voice_config(twilio_api_base=url), session_maker=session_maker, clock=clock, policy=POLICY)
    await _sev1_case(session_maker, clock)
    async with serve(app):
        for _ in range(500):
            if len(fake.messages) == 2:
                break
            await asyncio.sleep(0.01)
    assert len(fake.messages) == 2


async def test_setup_paging_without_twilio_credentials_leaves_pages_queued(session_maker: SessionMaker) -> None:
    clock = FakeClock()
    app = web.Application()
    setup_paging(app, config=voice_config(account_sid=None), session_maker=session_maker, clock=clock, policy=POLICY)
    await _sev1_case(session_maker, clock)
    async with serve(app):
        # No worker runs without credentials: nothing can pick the page up.
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "paging pass"]
    [item] = await _items(session_maker)
    assert item.status == "pending" and item.attempts == 0
