"""Who is asking: the console's session cookie and its CSRF token, API bearer tokens, and roles."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from bot.agents.errors import (
    CsrfError,
    NotSignedInError,
    PasswordChangeRequiredError,
    TokenInvalidError,
    TokenMissingError,
)
from bot.agents.passwords import MAX_SECRET_LENGTH, secret_digest
from bot.bearer import bearer_token
from bot.errors import ForbiddenError
from bot.forms import FORM_TYPES, read_form
from bot.keys import CLOCK, SESSION_MAKER
from store.agents import find_agent_by_token_hash, find_console_session, touch_seen
from store.db import read_session
from store.models import AgentPublic, ConsoleSessionPublic, Role

SIGN_IN_PATH = "/agent/sign-in"
SIGN_OUT_PATH = "/agent/sign-out"
PASSWORD_PATH = "/agent/password"
CONSOLE_PATH = "/agent"

COOKIE_NAME = "intake_agent"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_TTL = timedelta(hours=12)
# Heartbeats closer together than this are not written: the 2-minute online window needs no finer grain.
TOUCH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class Signed:
    """A session found by its cookie, and its agent."""

    session: ConsoleSessionPublic
    agent: AgentPublic


@dataclass(frozen=True)
class _Lookup:
    found: Signed | None


# One database lookup per request, however many helpers ask.
_LOOKUP = web.RequestKey("agent_session", _Lookup)
_TOKEN_AGENT = web.RequestKey("agent_by_token", AgentPublic)


async def resolve(request: web.Request) -> Signed | None:
    """The session the request's cookie names (even one still to choose a password), or None."""
    if _LOOKUP in request:
        return request[_LOOKUP].found
    found: Signed | None = None
    secret = request.cookies.get(COOKIE_NAME, "")
    if secret and len(secret) <= MAX_SECRET_LENGTH:
        now, sessions = request.app[CLOCK](), request.app[SESSION_MAKER]
        async with read_session(sessions) as session:
            hit = await find_console_session(session, session_id=secret_digest(secret), now=now)
        if hit is not None:
            found = Signed(*hit)
            # Most requests only read; the heartbeat is written when it has gone stale.
            if now - found.session.last_seen_at >= TOUCH_EVERY:
                async with sessions() as session, session.begin():
                    await touch_seen(session, session_id=found.session.id, at=now)
    request[_LOOKUP] = _Lookup(found)
    return found


async def current_agent(request: web.Request) -> AgentPublic | None:
    """Return the agent signed in by the session cookie (None if none, disabled, or still to choose a
    password); records the console's heartbeat."""
    found = await resolve(request)
    if found is None or found.session.password_change_required:
        return None
    return found.agent


async def require_page_session(request: web.Request) -> tuple[AgentPublic, str]:
    """For pages: the agent and the session's CSRF token; redirect (303) to sign in or to choose a password."""
    found = await resolve(request)
    if found is None:
        raise web.HTTPSeeOther(SIGN_IN_PATH)
    if found.session.password_change_required:
        raise web.HTTPSeeOther(PASSWORD_PATH)
    return found.agent, found.session.csrf_token


async def require_agent(request: web.Request) -> AgentPublic:
    """For pages: the signed-in agent; redirect (303) to the sign-in page (or to choose a password)."""
    agent, _ = await require_page_session(request)
    return agent


async def require_session(request: web.Request, *, csrf: bool) -> tuple[AgentPublic, str]:
    """For console JSON endpoints: (agent, csrf_token); 401 JSON without a session, 403 JSON when the CSRF
    token is wrong or missing (csrf=True: state-changing requests)."""
    found = await signed(request, csrf=csrf, allow_password_change=False)
    return found.agent, found.session.csrf_token


async def signed(request: web.Request, *, csrf: bool, allow_password_change: bool) -> Signed:
    """The request's session; 401 without one, 403 while a password is to be chosen (unless allowed) or
    when `csrf` and the CSRF token is wrong."""
    found = await resolve(request)
    if found is None:
        raise NotSignedInError(f"sign in at {SIGN_IN_PATH}")
    if found.session.password_change_required and not allow_password_change:
        raise PasswordChangeRequiredError(f"choose a new password at {PASSWORD_PATH}")
    if csrf:
        await check_csrf(request, found.session.csrf_token)
    return found


async def check_csrf(request: web.Request, expected: str) -> None:
    """Raise 403 JSON unless the request carries `expected` in X-CSRF-Token or the csrf_token form field."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in FORM_TYPES:
        sent = (await read_form(request)).get(CSRF_FIELD)
    # Bytes: compare_digest refuses non-ASCII str, and a client may send anything.
    if sent is None or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfError(f"missing or wrong CSRF token: send it in {CSRF_HEADER} or {CSRF_FIELD}")


async def require_token(request: web.Request) -> AgentPublic:
    """Return the enabled agent owning the request's `Authorization: Bearer` token; 401 JSON otherwise."""
    if _TOKEN_AGENT in request:
        return request[_TOKEN_AGENT]
    credential = bearer_token(request)
    if credential is None:
        raise TokenMissingError("send an API token as 'Authorization: Bearer <token>'")
    agent = None
    if len(credential) <= MAX_SECRET_LENGTH:
        async with read_session(request.app[SESSION_MAKER]) as session:
            agent = await find_agent_by_token_hash(session, token_hash=secret_digest(credential))
    if agent is None:
        raise TokenInvalidError("the API token is unknown, revoked, or its agent is disabled")
    request[_TOKEN_AGENT] = agent
    return agent


_RANK = {Role.AGENT: 0, Role.SUPERVISOR: 1}


def require_role(agent: AgentPublic, role: str, *, action: str = "do this") -> None:
    """Raise 403 JSON unless the agent's role is `role` or above (supervisor > agent)."""
    needed = Role(role)
    if agent.disabled or _RANK[agent.role] < _RANK[needed]:
        raise ForbiddenError(f"only a {needed.value} may {action}")
