"""Agent accounts: a one-time password is a flag beside the hash, consumed by exactly one sign-in."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from store.agents import (
    LIVE_WINDOW,
    available_now,
    count_available,
    create_agent,
    create_console_session,
    get_credentials,
    set_password_hash,
    set_presence,
    swap_password_hash,
    touch_seen,
)
from store.db import SessionMaker
from store.jobs import Jobs
from store.models import Agent, AgentPublic, Presence

from .helpers import T0

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


async def _one_time(session_maker: SessionMaker, name: str) -> AgentPublic:
    async with session_maker() as session, session.begin():
        return await create_agent(session, name=name, email="", role="agent", password_hash=HASH, at=T0, one_time=True)


async def test_a_one_time_password_is_a_column_not_a_mark_on_the_hash(session_maker: SessionMaker) -> None:
    agent = await _one_time(session_maker, "ada")
    async with session_maker() as session:
        row = await session.get(Agent, agent.id)
        credentials = await get_credentials(session, name="ada")
    assert row is not None and (row.password_hash, row.password_one_time) == (HASH, True)
    assert credentials is not None and (credentials.password_hash, credentials.one_time) == (HASH, True)


async def test_a_one_time_password_is_consumed_once(session_maker: SessionMaker) -> None:
    agent = await _one_time(session_maker, "bob")
    async with session_maker() as session, session.begin():
        assert await swap_password_hash(session, agent_id=agent.id, expected=HASH, password_hash="")
        assert not await swap_password_hash(session, agent_id=agent.id, expected=HASH, password_hash="")
        assert await get_credentials(session, name="bob") is None  # no password left to sign in with
    async with session_maker() as session, session.begin():
        await set_password_hash(session, name="bob", password_hash=HASH)
        credentials = await get_credentials(session, name="bob")
    assert credentials is not None and not credentials.one_time


async def test_agents_available_for_live_chat_read_alike_as_a_job_and_in_a_session(
    session_maker: SessionMaker, jobs: Jobs
) -> None:
    async def counted(now: datetime) -> tuple[int, int]:
        async with session_maker() as session:
            in_session = await count_available(session, now=now)
        return in_session, await jobs.read(partial(available_now, now=now))

    async with session_maker() as session, session.begin():
        agent = await create_agent(session, name="cy", email="", role="agent", password_hash=HASH, at=T0)
        await create_console_session(
            session, session_id="s1", agent_id=agent.id, csrf_token="t", at=T0, expires_at=T0 + timedelta(hours=8)
        )
    assert await counted(T0) == (0, 0)  # signed in, not yet available
    async with session_maker() as session, session.begin():
        await set_presence(session, agent_id=agent.id, presence=Presence.AVAILABLE)
    assert await counted(T0 + timedelta(minutes=1)) == (1, 1)
    assert await counted(T0 + LIVE_WINDOW + timedelta(seconds=1)) == (0, 0)  # the console went quiet
    async with session_maker() as session, session.begin():
        await touch_seen(session, session_id="s1", at=T0 + timedelta(hours=9))
    assert await counted(T0 + timedelta(hours=9)) == (0, 0)  # seen, but the session has expired
