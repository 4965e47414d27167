"""Agent accounts, API tokens and console sessions (typed, keyword-only queries).

The sign-in throttle is in store.throttle, who holds a case (case_claimers) in store.handoffs, and a case's
version for the agent API in store.cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.engine import Connection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import require_aware
from store.errors import StoreError
from store.jobs import fetch
from store.models import (
    Agent,
    AgentPublic,
    ApiToken,
    ConsoleSession,
    ConsoleSessionPublic,
    Presence,
    Role,
)

# An agent counts as online while a console session of theirs has sent a heartbeat this recently.
LIVE_WINDOW = timedelta(minutes=2)

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")


class AgentError(StoreError):
    """Base class of the agent store's errors."""


class InvalidAgentError(AgentError, ValueError):
    """A name, e-mail, role or presence that cannot be stored."""


class AgentExistsError(AgentError, ValueError):
    """An agent with that name exists already."""


class AgentNotFoundError(AgentError, LookupError):
    """No agent has that name or id."""


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """What sign-in checks: the agent, the argon2 hash, and whether it is a one-time password."""

    agent: AgentPublic
    password_hash: str
    one_time: bool


# --- agents ---------------------------------------------------------------------------------------


def canonical_agent_name(raw: str) -> str:
    """Return the stored form of a name (lower case); raise InvalidAgentError if it is not one."""
    name = raw.strip().lower()
    if not _NAME.fullmatch(name):
        raise InvalidAgentError(
            f"agent name {raw!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def _public(agent: Agent) -> AgentPublic:
    return AgentPublic.model_validate(agent)


async def create_agent(
    session: AsyncSession,
    *,
    name: str,
    email: str,
    role: Role | str,
    password_hash: str,
    at: datetime,
    one_time: bool = False,
) -> AgentPublic:
    """Add an agent (in the caller's transaction); raise AgentExistsError or InvalidAgentError."""
    canonical = canonical_agent_name(name)
    if email and not _EMAIL.fullmatch(email.strip()):
        raise InvalidAgentError(f"{email!r} is not an e-mail address")
    try:
        agent_role = Role(role)
    except ValueError as exc:
        raise InvalidAgentError(f"role {role!r}: use one of {', '.join(r.value for r in Role)}") from exc
    if await _agent_by_name(session, canonical) is not None:
        raise AgentExistsError(f"an agent named {canonical!r} exists already")
    agent = Agent(
        name=canonical,
        email=email.strip(),
        role=agent_role.value,
        password_hash=password_hash,
        password_one_time=one_time,
        presence=Presence.OFFLINE.value,
        created_at=require_aware(at, "at"),
    )
    session.add(agent)
    await session.flush()
    return _public(agent)


async def _agent_by_name(session: AsyncSession, name: str) -> Agent | None:
    return (await session.exec(select(Agent).where(Agent.name == name))).first()


async def _require_agent(session: AsyncSession, name: str) -> Agent:
    try:
        canonical = canonical_agent_name(name)
    except InvalidAgentError as exc:
        raise AgentNotFoundError(f"no agent named {name!r}") from exc
    agent = await _agent_by_name(session, canonical)
    if agent is None:
        raise AgentNotFoundError(f"no agent named {canonical!r}")
    return agent


async def get_agent_by_name(session: AsyncSession, *, name: str) -> AgentPublic | None:
    """Return the agent called `name` (any case), or None."""
    try:
        agent = await _require_agent(session, name)
    except AgentNotFoundError:
        return None
    return _public(agent)


async def list_agents(session: AsyncSession) -> list[AgentPublic]:
    """Return every agent, disabled ones included, by name."""
    rows = (await session.exec(select(Agent).order_by(col(Agent.name)))).all()
    return [_public(agent) for agent in rows]


async def get_credentials(session: AsyncSession, *, name: str) -> Credentials | None:
    """Return what sign-in checks for an enabled agent with a password; None otherwise."""
    try:
        agent = await _require_agent(session, name)
    except AgentNotFoundError:
        return None
    if agent.disabled or not agent.password_hash:
        return None
    return Credentials(agent=_public(agent), password_hash=agent.password_hash, one_time=agent.password_one_time)


async def swap_password_hash(
    session: AsyncSession, *, agent_id: int, expected: str, password_hash: str, one_time: bool = False
) -> bool:
    """Replace the hash only if it still is `expected` (Credentials.password_hash); False if it changed.

    Hashes are salted, so a hash set since it was read (a new password, one-time or not) never equals it.
    """
    # Compare-and-swap: of two sign-ins racing with one one-time password, only one consumes it.
    result = await session.exec(
        sa_update(Agent)
        .where(col(Agent.id) == agent_id, col(Agent.password_hash) == expected)
        .values(password_hash=password_hash, password_one_time=one_time)
    )
    return _rowcount(result) == 1


async def set_password_hash(
    session: AsyncSession, *, name: str, password_hash: str, one_time: bool = False
) -> AgentPublic:
    """Set an agent's password hash whatever it was; raise AgentNotFoundError."""
    agent = await _require_agent(session, name)
    agent.password_hash = password_hash
    agent.password_one_time = one_time
    session.add(agent)
    await session.flush()
    return _public(agent)


async def disable_agent(session: AsyncSession, *, name: str, at: datetime) -> AgentPublic:
    """Disable an agent: offline, every API token and console session revoked; raise AgentNotFoundError."""
    agent = await _require_agent(session, name)
    agent.disabled = True
    agent.presence = Presence.OFFLINE.value
    session.add(agent)
    await session.flush()
    assert agent.id is not None
    await revoke_api_tokens(session, agent_id=agent.id, at=at)
    await revoke_console_sessions(session, agent_id=agent.id, at=at)
    return _public(agent)


async def set_presence(session: AsyncSession, *, agent_id: int, presence: Presence | str) -> AgentPublic:
    """Set an agent's presence to "available" or "away"; raise AgentNotFoundError or InvalidAgentError."""
    if presence not in (Presence.AVAILABLE, Presence.AWAY):
        raise InvalidAgentError(f"presence {presence!r}: use 'available' or 'away'")
    agent = await session.get(Agent, agent_id)
    if agent is None:
        raise AgentNotFoundError(f"no agent with id {agent_id}")
    agent.presence = Presence(presence).value
    session.add(agent)
    await session.flush()
    return _public(agent)


_AGENTS: Table = Agent.__table__  # type: ignore[attr-defined]
_CONSOLES: Table = ConsoleSession.__table__  # type: ignore[attr-defined]
# Built once: every chat turn asks it while live chat is open (available_now, a store job).
_AVAILABLE = sa_select(func.count()).where(
    _AGENTS.c.disabled.is_(False),
    _AGENTS.c.presence == Presence.AVAILABLE.value,
    _AGENTS.c.id.in_(
        sa_select(_CONSOLES.c.agent_id)
        .where(
            _CONSOLES.c.revoked_at.is_(None),
            _CONSOLES.c.expires_at > bindparam("now", type_=_CONSOLES.c.expires_at.type),
            _CONSOLES.c.last_seen_at >= bindparam("seen_since", type_=_CONSOLES.c.last_seen_at.type),
            _CONSOLES.c.password_change_required.is_(False),
        )
        .distinct()
    ),
)


def _available_params(now: datetime) -> dict[str, datetime]:
    return {"now": require_aware(now, "now"), "seen_since": now - LIVE_WINDOW}


async def count_available(session: AsyncSession, *, now: datetime) -> int:
    """Count enabled, available agents with a live console session seen within LIVE_WINDOW of `now`."""
    connection = await session.connection()
    return int((await connection.execute(_AVAILABLE, _available_params(now))).scalar_one())


def available_now(conn: Connection, *, now: datetime) -> int:
    """count_available as a store job (store/jobs.py): what a chat turn asks while live chat is open."""
    return int(fetch(conn, _AVAILABLE, _available_params(now))[0][0])


# --- API tokens -----------------------------------------------------------------------------------


async def create_api_token(session: AsyncSession, *, agent_id: int, token_hash: str, at: datetime) -> int:
    """Store the hash of a new API token of an agent; return the token's id."""
    token = ApiToken(agent_id=agent_id, token_hash=token_hash, created_at=require_aware(at, "at"))
    session.add(token)
    await session.flush()
    assert token.id is not None
    return token.id


async def find_agent_by_token_hash(session: AsyncSession, *, token_hash: str) -> AgentPublic | None:
    """Return the enabled agent owning the unrevoked token with this hash, or None."""
    query = (
        select(Agent)
        .join(ApiToken, col(ApiToken.agent_id) == col(Agent.id))
        .where(
            ApiToken.token_hash == token_hash,
            col(ApiToken.revoked_at).is_(None),
            col(Agent.disabled).is_(False),
        )
    )
    agent = (await session.exec(query)).first()
    return None if agent is None else _public(agent)


async def revoke_api_tokens(session: AsyncSession, *, agent_id: int, at: datetime) -> int:
    """Revoke every live token of an agent; return how many."""
    result = await session.exec(
        sa_update(ApiToken)
        .where(col(ApiToken.agent_id) == agent_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=require_aware(at, "at"))
    )
    return _rowcount(result)


# --- console sessions -----------------------------------------------------------------------------


async def create_console_session(
    session: AsyncSession,
    *,
    session_id: str,
    agent_id: int,
    csrf_token: str,
    at: datetime,
    expires_at: datetime,
    password_change_required: bool = False,
) -> ConsoleSessionPublic:
    """Record a signed-in browser by the hash of its secret."""
    row = ConsoleSession(
        id=session_id,
        agent_id=agent_id,
        csrf_token=csrf_token,
        created_at=require_aware(at, "at"),
        expires_at=require_aware(expires_at, "expires_at"),
        last_seen_at=at,
        password_change_required=password_change_required,
    )
    session.add(row)
    await session.flush()
    return ConsoleSessionPublic.model_validate(row)


async def find_console_session(
    session: AsyncSession, *, session_id: str, now: datetime
) -> tuple[ConsoleSessionPublic, AgentPublic] | None:
    """Return the live session (unrevoked, unexpired, its agent enabled) and its agent, or None."""
    query = (
        select(ConsoleSession, Agent)
        .join(Agent, col(Agent.id) == col(ConsoleSession.agent_id))
        .where(
            ConsoleSession.id == session_id,
            col(ConsoleSession.revoked_at).is_(None),
            col(ConsoleSession.expires_at) > require_aware(now, "now"),
            col(Agent.disabled).is_(False),
        )
    )
    found = (await session.exec(query)).first()
    if found is None:
        return None
    row, agent = found
    return ConsoleSessionPublic.model_validate(row), _public(agent)


async def touch_seen(session: AsyncSession, *, session_id: str, at: datetime) -> None:
    """Record a heartbeat of a console session (it keeps its agent online)."""
    await session.exec(
        sa_update(ConsoleSession)
        .where(col(ConsoleSession.id) == session_id)
        .values(last_seen_at=require_aware(at, "at"))
    )


async def finish_password_change(session: AsyncSession, *, session_id: str, agent_id: int, at: datetime) -> int:
    """Let this session use the console again and revoke the agent's other sessions; return how many."""
    await session.exec(
        sa_update(ConsoleSession).where(col(ConsoleSession.id) == session_id).values(password_change_required=False)
    )
    result = await session.exec(
        sa_update(ConsoleSession)
        .where(
            col(ConsoleSession.agent_id) == agent_id,
            col(ConsoleSession.id) != session_id,
            col(ConsoleSession.revoked_at).is_(None),
        )
        .values(revoked_at=require_aware(at, "at"))
    )
    return _rowcount(result)


async def revoke_console_session(session: AsyncSession, *, session_id: str, at: datetime) -> None:
    """Sign one browser out."""
    await session.exec(
        sa_update(ConsoleSession)
        .where(col(ConsoleSession.id) == session_id, col(ConsoleSession.revoked_at).is_(None))
        .values(revoked_at=require_aware(at, "at"))
    )


async def revoke_console_sessions(session: AsyncSession, *, agent_id: int, at: datetime) -> int:
    """Sign every browser of an agent out; return how many sessions were live."""
    result = await session.exec(
        sa_update(ConsoleSession)
        .where(col(ConsoleSession.agent_id) == agent_id, col(ConsoleSession.revoked_at).is_(None))
        .values(revoked_at=require_aware(at, "at"))
    )
    return _rowcount(result)


def _rowcount(result: Any) -> int:
    return int(result.rowcount)
