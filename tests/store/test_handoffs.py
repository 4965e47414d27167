"""Handoffs: one open per conversation, queue order, exactly-one claims, hand-back, close and timeouts."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from intake.domain import Outcome, Severity
from store import handoffs as h
from store.agents import create_agent
from store.cases import get_case, list_events
from store.db import SessionMaker
from store.errors import CaseNotFoundError
from store.jobs import Jobs
from store.models import HandoffPublic, HandoffStatus

from .helpers import T0, new_case

REFERENCE = {"conversation": {"id": "c"}, "serviceUrl": "http://127.0.0.1:1/"}


async def _agent(session_maker: SessionMaker, name: str) -> int:
    async with session_maker() as session, session.begin():
        agent = await create_agent(session, name=name, email="", role="agent", password_hash="x", at=T0)
    return agent.id


async def _create(session_maker: SessionMaker, conversation: str, **kwargs: Any) -> HandoffPublic:
    values: dict[str, Any] = {"channel": "directline", "reason": "question", "reference": REFERENCE, "at": T0}
    values.update(kwargs)
    async with session_maker() as session, session.begin():
        handoff, _ = await h.create_handoff(session, conversation_id=conversation, **values)
    return handoff


async def test_create_is_idempotent_while_open(session_maker: SessionMaker) -> None:
    agent = await _agent(session_maker, "alice")
    async with session_maker() as session, session.begin():
        first, created = await h.create_handoff(
            session, conversation_id="c1", channel="directline", reason="question", reference=REFERENCE, at=T0
        )
        again, created_again = await h.create_handoff(
            session, conversation_id="c1", channel="directline", reason="question", reference=REFERENCE, at=T0
        )
    assert created and not created_again and again.id == first.id
    assert first.status is HandoffStatus.QUEUED and first.conversation_reference == REFERENCE
    async with session_maker() as session, session.begin():
        assert await h.claim(session, handoff_id=first.id, agent_id=agent, at=T0)
        assert await h.close(session, handoff_id=first.id, agent_id=agent, at=T0)
    # Once the first one ended the conversation may ask again.
    second = await _create(session_maker, "c1")
    assert second.id != first.id
    async with session_maker() as session:
        assert (await h.open_handoff_for(session, conversation_id="c1")) == second
        assert [x.id for x in await h.list_handoffs(session, status="closed")] == [first.id]
        assert len(await h.list_handoffs(session)) == 2


async def test_queue_orders_by_severity_then_response_due_then_age(session_maker: SessionMaker) -> None:
    later = T0 + timedelta(minutes=5)
    no_case = await _create(session_maker, "none", at=T0 - timedelta(hours=1))
    sev3 = await _create(session_maker, "sev3", severity=3, response_due=T0 + timedelta(hours=24))
    sev2_late = await _create(session_maker, "sev2b", severity=2, response_due=T0 + timedelta(hours=2), at=later)
    sev2_soon = await _create(session_maker, "sev2a", severity=2, response_due=T0 + timedelta(hours=1), at=later)
    sev2_tie = await _create(
        session_maker, "sev2c", severity=2, response_due=T0 + timedelta(hours=1), at=later + timedelta(seconds=1)
    )
    async with session_maker() as session:
        order = [x.id for x in await h.queue(session)]
        positions = [await h.queue_position(session, handoff_id=x) for x in order]
    assert order == [sev2_soon.id, sev2_tie.id, sev2_late.id, sev3.id, no_case.id]
    assert positions == [1, 2, 3, 4, 5]
    async with session_maker() as session, session.begin():
        await h.sync_severity(session, case_number="2611-0001", severity=1)  # no such open handoff: no change
    agent = await _agent(session_maker, "bob")
    async with session_maker() as session, session.begin():
        assert await h.claim(session, handoff_id=sev2_soon.id, agent_id=agent, at=later)
    async with session_maker() as session:
        # Claimed handoffs stay in the console's list but leave the waiting line.
        assert await h.queue_position(session, handoff_id=sev2_soon.id) is None
        assert await h.queue_position(session, handoff_id=sev2_tie.id) == 1
        assert len(await h.queue(session)) == 5
        assert len(await h.queue(session, statuses=[HandoffStatus.QUEUED])) == 4


async def test_severity_change_reorders_the_queue(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker, severity=Severity.SEV3)
    first = await _create(session_maker, "a", severity=2, response_due=T0 + timedelta(hours=1))
    second = await _create(session_maker, "b", case_number=case.number, severity=3, response_due=case.response_due)
    async with session_maker() as session, session.begin():
        await h.sync_severity(session, case_number=case.number, severity=1)
    async with session_maker() as session:
        assert [x.id for x in await h.queue(session)] == [second.id, first.id]
        stored = await h.get_handoff(session, handoff_id=second.id)
    assert stored is not None and stored.version == 1


@pytest.mark.parametrize("claimers", [2, 5])
async def test_concurrent_claims_exactly_one_wins(session_maker: SessionMaker, claimers: int) -> None:
    agents = [await _agent(session_maker, f"agent{i}") for i in range(claimers)]
    handoff = await _create(session_maker, "race")

    async def attempt(agent_id: int) -> bool:
        # Each claim on its own connection and transaction, as two agents' requests would be.
        async with session_maker() as session, session.begin():
            return await h.claim(session, handoff_id=handoff.id, agent_id=agent_id, at=T0)

    results = await asyncio.gather(*(attempt(a) for a in agents))
    assert results.count(True) == 1
    winner = agents[results.index(True)]
    async with session_maker() as session:
        stored = await h.get_handoff(session, handoff_id=handoff.id)
    assert stored is not None and stored.status is HandoffStatus.ACTIVE and stored.agent_id == winner


async def test_only_the_claiming_agent_hands_back_or_closes(session_maker: SessionMaker) -> None:
    owner, other = await _agent(session_maker, "owner"), await _agent(session_maker, "other")
    handoff = await _create(session_maker, "c")
    async with session_maker() as session, session.begin():
        assert not await h.hand_back(session, handoff_id=handoff.id, agent_id=owner, at=T0)  # still queued
        assert await h.claim(session, handoff_id=handoff.id, agent_id=owner, at=T0)
        assert not await h.claim(session, handoff_id=handoff.id, agent_id=other, at=T0)
        assert not await h.hand_back(session, handoff_id=handoff.id, agent_id=other, at=T0)
        assert not await h.close(session, handoff_id=handoff.id, agent_id=other, at=T0)
        assert await h.hand_back(session, handoff_id=handoff.id, agent_id=owner, at=T0 + timedelta(minutes=3))
        assert not await h.close(session, handoff_id=handoff.id, agent_id=owner, at=T0)  # already returned
    async with session_maker() as session:
        stored = await h.get_handoff(session, handoff_id=handoff.id)
        assert await h.open_handoff_for(session, conversation_id="c") is None
        assert await h.open_versions(session) == {}
    assert stored is not None and stored.status is HandoffStatus.RETURNED
    assert stored.ended_at == T0 + timedelta(minutes=3) and not stored.is_open


async def test_the_sweep_reads_whether_any_handoff_waited_too_long(session_maker: SessionMaker, jobs: Jobs) -> None:
    timeout = timedelta(minutes=5)

    async def due(minutes: float) -> bool:
        return await jobs.read(partial(h.any_timeout_due, now=T0 + timedelta(minutes=minutes), timeout=timeout))

    assert not await due(10)  # no handoff at all
    agent = await _agent(session_maker, "dave")
    taken = await _create(session_maker, "taken")
    async with session_maker() as session, session.begin():
        assert await h.claim(session, handoff_id=taken.id, agent_id=agent, at=T0)
    assert not await due(10)  # claimed: no longer queued
    await _create(session_maker, "waiting", at=T0 + timedelta(minutes=1))
    assert not await due(5.9)  # queued 4.9 minutes
    assert await due(6)  # queued for the whole timeout


async def test_due_timeouts_claims_each_unclaimed_handoff_once(session_maker: SessionMaker) -> None:
    agent = await _agent(session_maker, "carol")
    old = await _create(session_maker, "old")
    taken = await _create(session_maker, "taken")
    fresh = await _create(session_maker, "fresh", at=T0 + timedelta(minutes=4))
    async with session_maker() as session, session.begin():
        assert await h.claim(session, handoff_id=taken.id, agent_id=agent, at=T0)
    now, timeout = T0 + timedelta(minutes=5), timedelta(minutes=5)

    async def sweep() -> list[HandoffPublic]:
        async with session_maker() as session, session.begin():
            return await h.due_timeouts(session, now=now, timeout=timeout)

    # Two processes sweeping at once: each handoff is timed out by exactly one of them.
    first, second = await asyncio.gather(sweep(), sweep())
    assert sorted(x.id for x in first + second) == [old.id]
    timed_out = (first + second)[0]
    assert timed_out.status is HandoffStatus.TIMED_OUT and timed_out.ended_at == now
    async with session_maker() as session:
        assert set(await h.open_versions(session)) == {taken.id, fresh.id}


async def test_route_to_web_request_changes_the_outcome_with_an_event(session_maker: SessionMaker) -> None:
    case = await new_case(session_maker, outcome=Outcome.LIVE_CHAT, severity=Severity.SEV4)
    async with session_maker() as session, session.begin():
        previous = await h.route_to_web_request(session, number=case.number, actor="bot", at=T0)
    assert previous == "live_chat"
    async with session_maker() as session:
        events = await list_events(session, number=case.number)
        stored = await get_case(session, number=case.number)
    assert stored is not None and stored.outcome is Outcome.WEB_REQUEST
    assert events[-1].kind == "handoff_timed_out"
    assert events[-1].detail == {"outcome": {"from": "live_chat", "to": "web_request"}}
    with pytest.raises(CaseNotFoundError):
        async with session_maker() as session, session.begin():
            await h.route_to_web_request(session, number="2611-9999", actor="bot", at=T0)


async def test_touch_bumps_the_version_the_consoles_poll(session_maker: SessionMaker) -> None:
    handoff = await _create(session_maker, "c")
    async with session_maker() as session, session.begin():
        await h.touch(session, handoff_id=handoff.id)
        await h.touch(session, handoff_id=handoff.id)
    async with session_maker() as session:
        assert await h.open_versions(session) == {handoff.id: 2}


async def test_touch_open_bumps_only_an_open_handoff_of_the_conversation(
    session_maker: SessionMaker, jobs: Jobs
) -> None:
    handoff = await _create(session_maker, "c")
    assert await jobs.write(partial(h.touch_open, conversation_id="c")) is True
    assert await jobs.write(partial(h.touch_open, conversation_id="other")) is False
    agent_id = await _agent(session_maker, "ada")
    async with session_maker() as session, session.begin():
        assert await h.claim(session, handoff_id=handoff.id, agent_id=agent_id, at=T0)
        assert await h.hand_back(session, handoff_id=handoff.id, agent_id=agent_id, at=T0)
    assert await jobs.write(partial(h.touch_open, conversation_id="c")) is False  # handed back: nobody to wake
    async with session_maker() as session:
        ended = await h.get_handoff(session, handoff_id=handoff.id)
    assert ended is not None and ended.version == 3  # the touch, the claim, the hand-back
