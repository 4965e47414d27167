"""Agent accounts: a one-time password is a flag beside the hash, consumed by exactly one sign-in."""

from __future__ import annotations

from store.agents import create_agent, get_credentials, set_password_hash, swap_password_hash
from store.db import SessionMaker
from store.models import Agent, AgentPublic

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
