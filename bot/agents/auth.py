"""Agent authentication: argon2 passwords, console session cookies with CSRF tokens, bearer API tokens."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import html
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.agents import limits
from bot.agents.limits import SignInKeys, sign_in_keys
from bot.client_address import client_address
from bot.forms import read_form
from bot.keys import CLOCK, SESSION_MAKER, SETTINGS
from bot.settings import Settings
from store.agents import (
    AgentPublic,
    ConsoleSessionPublic,
    Credentials,
    InvalidAgentError,
    Role,
    canonical_agent_name,
    create_console_session,
    find_agent_by_token_hash,
    find_console_session,
    finish_password_change,
    get_credentials,
    revoke_console_session,
    set_password_hash,
    swap_password_hash,
    touch_seen,
)
from store.db import SessionMaker, read_session

log = logging.getLogger(__name__)

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

MIN_PASSWORD_LENGTH = 12
# Argon2 takes any length, but hashing megabytes on request is a free denial of service.
MAX_PASSWORD_LENGTH = 1024
MAX_SECRET_LENGTH = 200
WRONG_CREDENTIALS = "name or password is wrong"

# Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: 64 MiB, 3 passes).
_HASHER = PasswordHasher()
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
    415: web.HTTPUnsupportedMediaType,
    422: web.HTTPUnprocessableEntity,
    428: web.HTTPPreconditionRequired,
    429: web.HTTPTooManyRequests,
    501: web.HTTPNotImplemented,
}
_PAGE_HEADERS = {
    # The auth pages are plain forms: no script, no style, no framing, posting only to this origin.
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer Chromium posts the sign-in form with `Origin: null`,
    # which the same-origin check must refuse.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


# --- secrets and hashes ---------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether `password` matches the argon2 hash (False for a malformed hash)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """Return 32 random bytes, URL-safe: API tokens, session secrets and CSRF tokens."""
    return secrets.token_urlsafe(32)


def new_one_time_password() -> str:
    """Return a random one-time password (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def secret_digest(secret: str) -> str:
    """Return the sha256 hex digest under which a token or session secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


@functools.cache
def _decoy_hash(hasher: PasswordHasher) -> str:
    # Verified against when the name is unknown, so a wrong name costs as much time as a wrong password.
    return hasher.hash(secrets.token_urlsafe(16))


def password_problem(password: str) -> str | None:
    """Return why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"choose a password of at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"choose a password of at most {MAX_PASSWORD_LENGTH} characters"
    return None


# --- JSON refusals --------------------------------------------------------------------------------


def http_error(status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None) -> web.HTTPException:
    """Return an HTTP error to raise whose body is `{"error": {"code", "message"}}`."""
    body = json.dumps({"error": {"code": code, "message": message}})
    return _ERRORS[status](text=body, content_type="application/json", headers=headers)


def _unauthorized(code: str, message: str, *, bearer_error: str | None = None) -> web.HTTPException:
    challenge = "Bearer" if bearer_error is None else f'Bearer error="{bearer_error}"'
    return http_error(401, code, message, headers={"WWW-Authenticate": challenge})


# --- who is asking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Signed:
    session: ConsoleSessionPublic
    agent: AgentPublic


@dataclass(frozen=True)
class _Lookup:
    found: _Signed | None


# One database lookup per request, however many helpers ask.
_LOOKUP = web.RequestKey("agent_session", _Lookup)
_TOKEN_AGENT = web.RequestKey("agent_by_token", AgentPublic)


async def _resolve(request: web.Request) -> _Signed | None:
    if _LOOKUP in request:
        return request[_LOOKUP].found
    found: _Signed | None = None
    secret = request.cookies.get(COOKIE_NAME, "")
    if secret and len(secret) <= MAX_SECRET_LENGTH:
        now, sessions = request.app[CLOCK](), request.app[SESSION_MAKER]
        async with read_session(sessions) as session:
            hit = await find_console_session(session, session_id=secret_digest(secret), now=now)
        if hit is not None:
            found = _Signed(*hit)
            # Most requests only read; the heartbeat is written when it has gone stale.
            if now - found.session.last_seen_at >= TOUCH_EVERY:
                async with sessions() as session, session.begin():
                    await touch_seen(session, session_id=found.session.id, at=now)
    request[_LOOKUP] = _Lookup(found)
    return found


async def current_agent(request: web.Request) -> AgentPublic | None:
    """Return the agent signed in by the session cookie (None if none, disabled, or still to choose a
    password); records the console's heartbeat."""
    found = await _resolve(request)
    if found is None or found.session.password_change_required:
        return None
    return found.agent


async def require_page_session(request: web.Request) -> tuple[AgentPublic, str]:
    """For pages: the agent and the session's CSRF token; redirect (303) to sign in or to choose a password."""
    found = await _resolve(request)
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
    found = await _signed(request, csrf=csrf, allow_password_change=False)
    return found.agent, found.session.csrf_token


async def _signed(request: web.Request, *, csrf: bool, allow_password_change: bool) -> _Signed:
    found = await _resolve(request)
    if found is None:
        raise http_error(401, "not_signed_in", f"sign in at {SIGN_IN_PATH}")
    if found.session.password_change_required and not allow_password_change:
        raise http_error(403, "password_change_required", f"choose a new password at {PASSWORD_PATH}")
    if csrf:
        await check_csrf(request, found.session.csrf_token)
    return found


async def check_csrf(request: web.Request, expected: str) -> None:
    """Raise 403 JSON unless the request carries `expected` in X-CSRF-Token or the csrf_token form field."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in _FORM_TYPES:
        sent = (await read_form(request)).get(CSRF_FIELD)
    # Bytes: compare_digest refuses non-ASCII str, and a client may send anything.
    if sent is None or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise http_error(403, "csrf_failed", f"missing or wrong CSRF token: send it in {CSRF_HEADER} or {CSRF_FIELD}")


async def require_token(request: web.Request) -> AgentPublic:
    """Return the enabled agent owning the request's `Authorization: Bearer` token; 401 JSON otherwise."""
    if _TOKEN_AGENT in request:
        return request[_TOKEN_AGENT]
    scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise _unauthorized("token_missing", "send an API token as 'Authorization: Bearer <token>'")
    agent = None
    if len(credential) <= MAX_SECRET_LENGTH:
        async with read_session(request.app[SESSION_MAKER]) as session:
            agent = await find_agent_by_token_hash(session, token_hash=secret_digest(credential))
    if agent is None:
        raise _unauthorized(
            "token_invalid", "the API token is unknown, revoked, or its agent is disabled", bearer_error="invalid_token"
        )
    request[_TOKEN_AGENT] = agent
    return agent


_RANK = {Role.AGENT: 0, Role.SUPERVISOR: 1}


def require_role(agent: AgentPublic, role: str, *, action: str = "do this") -> None:
    """Raise 403 JSON unless the agent's role is `role` or above (supervisor > agent)."""
    needed = Role(role)
    if agent.disabled or _RANK[agent.role] < _RANK[needed]:
        raise http_error(403, "forbidden", f"only a {needed.value} may {action}")


# --- sign in and out ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Form:
    as_json: bool
    fields: dict[str, str]


async def _read_form(request: web.Request, names: tuple[str, ...]) -> _Form:
    # JSON for scripts, a form post for the pages; anything else is refused.
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise http_error(400, "invalid_json", "the body is not JSON") from exc
        if not isinstance(body, dict) or any(not isinstance(body.get(n, ""), str) for n in names):
            raise http_error(422, "invalid_fields", f"send a JSON object with string fields {', '.join(names)}")
        return _Form(True, {n: body.get(n, "") for n in names})
    if request.content_type in _FORM_TYPES:
        form = await read_form(request)
        return _Form(False, {n: form.get(n, "") for n in names})
    raise http_error(415, "unsupported_media_type", "send a form or application/json")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _same_origin(request: web.Request) -> bool:
    # SameSite cookies do not stop a foreign page from signing a browser in to the attacker's account
    # (login CSRF); browsers send Origin on every POST, so refuse one that is not ours.
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    allowed = {_origin(f"{request.scheme}://{request.host}"), _origin(request.app[SETTINGS].base_url)}
    return origin.lower() in allowed


def _secure(settings: Settings) -> bool:
    return settings.base_url.lower().startswith("https://")


def _client(request: web.Request) -> str | None:
    return client_address(request, request.app[SETTINGS].trusted_proxy_networks)


def _keys(request: web.Request, name: str) -> SignInKeys:
    return sign_in_keys(name, _client(request))


async def _check_credentials(sessions: SessionMaker, name: str, password: str) -> Credentials | None:
    credentials = None
    try:
        canonical_agent_name(name)
    except InvalidAgentError:
        pass
    else:
        async with read_session(sessions) as session:
            credentials = await get_credentials(session, name=name)
    candidate = credentials.password_hash if credentials is not None else _decoy_hash(_HASHER)
    # Argon2 is deliberately slow: keep it off the event loop.
    matches = len(password) <= MAX_PASSWORD_LENGTH and await asyncio.to_thread(verify_password, candidate, password)
    return credentials if matches else None


async def sign_in(request: web.Request) -> web.Response:
    """POST /agent/sign-in (form or JSON: name, password): set the session cookie; 303 to the console
    (JSON: 200 {"csrf_token", "agent", "password_change_required"})."""
    if not _same_origin(request):
        raise http_error(403, "cross_origin", "sign in from this site's own page")
    form = await _read_form(request, ("name", "password"))
    name, password = form.fields["name"], form.fields["password"]
    sessions, now = request.app[SESSION_MAKER], request.app[CLOCK]()
    keys = _keys(request, name)
    # The attempt is counted before the password is hashed: concurrent guesses cannot all be checked.
    retry = await limits.reserve_attempt(sessions, keys, now)
    if retry is not None:
        log.info("agent sign-in throttled (from %s)", _client(request))
        return _refusal(
            form,
            429,
            "too_many_attempts",
            "too many failed sign-ins: try again later",
            headers={"Retry-After": str(retry)},
        )
    credentials = await _check_credentials(sessions, name, password)
    signed = None if credentials is None else await _open_session(request, credentials, password, keys, now)
    await limits.prune(sessions, now)
    if signed is None:
        # The reserved attempt stays counted: that is the failure.
        log.info("agent sign-in refused (from %s)", _client(request))
        return _refusal(form, 401, "sign_in_failed", WRONG_CREDENTIALS)
    secret, row, agent = signed
    log.info("agent %s signed in", agent.name)
    response: web.Response
    if form.as_json:
        response = web.json_response(
            {
                "csrf_token": row.csrf_token,
                "agent": agent.to_json_dict(),
                "password_change_required": row.password_change_required,
            },
            headers={"Cache-Control": "no-store"},
        )
    else:
        response = web.Response(
            status=303, headers={"Location": PASSWORD_PATH if row.password_change_required else CONSOLE_PATH}
        )
    response.set_cookie(
        COOKIE_NAME,
        secret,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        secure=_secure(request.app[SETTINGS]),
        httponly=True,
        samesite="Strict",
    )
    return response


async def _open_session(
    request: web.Request, credentials: Credentials, password: str, keys: SignInKeys, now: datetime
) -> tuple[str, ConsoleSessionPublic, AgentPublic] | None:
    rehash = None
    if not credentials.one_time and _HASHER.check_needs_rehash(credentials.password_hash):
        rehash = await asyncio.to_thread(hash_password, password)
    secret = new_secret()
    agent = credentials.agent
    async with request.app[SESSION_MAKER]() as session, session.begin():
        if credentials.one_time:
            # Consumed here: of two sign-ins racing with the same one-time password, only one wins.
            if not await swap_password_hash(session, agent_id=agent.id, expected=credentials.stored, password_hash=""):
                return None
        elif rehash is not None:
            await swap_password_hash(session, agent_id=agent.id, expected=credentials.stored, password_hash=rehash)
        await limits.attempt_succeeded(session, keys, now)
        row = await create_console_session(
            session,
            session_id=secret_digest(secret),
            agent_id=agent.id,
            csrf_token=new_secret(),
            at=now,
            expires_at=now + SESSION_TTL,
            password_change_required=credentials.one_time,
        )
    return secret, row, agent


def _refusal(
    form: _Form, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
) -> web.Response:
    if form.as_json:
        return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)
    page = _sign_in_page(error=message, name=form.fields.get("name", ""))
    return web.Response(
        text=page, content_type="text/html", status=status, headers={**_PAGE_HEADERS, **(headers or {})}
    )


def _wants_json(request: web.Request) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get("Accept", "")


async def sign_out(request: web.Request) -> web.Response:
    """POST /agent/sign-out (CSRF checked): end the session; 303 to the sign-in page (JSON: 200)."""
    found = await _resolve(request)
    if found is None and _wants_json(request):
        raise http_error(401, "not_signed_in", "no session to sign out of")
    if found is not None:
        await check_csrf(request, found.session.csrf_token)
        async with request.app[SESSION_MAKER]() as session, session.begin():
            await revoke_console_session(session, session_id=found.session.id, at=request.app[CLOCK]())
        log.info("agent %s signed out", found.agent.name)
    response = (
        web.json_response({"signed_out": True})
        if _wants_json(request)
        else web.Response(status=303, headers={"Location": SIGN_IN_PATH})
    )
    response.del_cookie(COOKIE_NAME, path="/", secure=_secure(request.app[SETTINGS]), httponly=True, samesite="Strict")
    return response


# --- choosing a password --------------------------------------------------------------------------


async def password_page(request: web.Request) -> web.Response:
    """GET /agent/password: the form to choose a new password (the current one too, unless one-time)."""
    found = await _resolve(request)
    if found is None:
        raise web.HTTPSeeOther(SIGN_IN_PATH)
    return _password_response(found, error=None, status=200)


async def change_password(request: web.Request) -> web.Response:
    """POST /agent/password (CSRF checked; form or JSON: current_password unless one-time, new_password,
    form only: repeat_password): set it and end the agent's other sessions; 303 to the console (JSON: 200)."""
    found = await _signed(request, csrf=True, allow_password_change=True)
    form = await _read_form(request, ("current_password", "new_password", "repeat_password"))
    new = form.fields["new_password"]
    problem = password_problem(new)
    if problem is None and not form.as_json and new != form.fields["repeat_password"]:
        problem = "the two new passwords differ"
    sessions, now = request.app[SESSION_MAKER], request.app[CLOCK]()
    credentials, status, headers = None, 422, {}
    keys = _keys(request, found.agent.name)
    if problem is None and not found.session.password_change_required:
        # The current password is guessable through this form too: the sign-in throttle applies.
        retry = await limits.reserve_attempt(sessions, keys, now)
        if retry is not None:
            problem, status, headers = "too many failed attempts: try again later", 429, {"Retry-After": str(retry)}
        else:
            credentials = await _check_credentials(sessions, found.agent.name, form.fields["current_password"])
            if credentials is None:
                problem = "the current password is wrong"
    if problem is not None:
        if form.as_json:
            code = "too_many_attempts" if status == 429 else "invalid_password"
            return web.json_response({"error": {"code": code, "message": problem}}, status=status, headers=headers)
        return _password_response(found, error=problem, status=status, headers=headers)
    new_hash = await asyncio.to_thread(hash_password, new)
    async with sessions() as session, session.begin():
        if credentials is None:
            await set_password_hash(session, name=found.agent.name, password_hash=new_hash)
        elif not await swap_password_hash(
            session, agent_id=found.agent.id, expected=credentials.stored, password_hash=new_hash
        ):
            raise http_error(409, "password_changed", "the password changed meanwhile: sign in again")
        else:
            await limits.attempt_succeeded(session, keys, now)
        await finish_password_change(session, session_id=found.session.id, agent_id=found.agent.id, at=now)
    log.info("agent %s chose a new password", found.agent.name)
    if form.as_json:
        return web.json_response({"agent": found.agent.to_json_dict(), "csrf_token": found.session.csrf_token})
    return web.Response(status=303, headers={"Location": CONSOLE_PATH})


# --- pages ----------------------------------------------------------------------------------------


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<main>\n<h1>{html.escape(title)}</h1>\n"
        f"{body}</main>\n</body>\n</html>\n"
    )


def _error_html(error: str | None) -> str:
    return "" if error is None else f'<p role="alert">{html.escape(error)}</p>\n'


def _field(label: str, name: str, kind: str, autocomplete: str, value: str = "") -> str:
    shown = f' value="{html.escape(value)}"' if value else ""
    return (
        f'<p><label>{html.escape(label)}<br><input type="{kind}" name="{name}" autocomplete="{autocomplete}"'
        f"{shown} required></label></p>\n"
    )


def _sign_in_page(*, error: str | None = None, name: str = "") -> str:
    return _page(
        "Agent sign-in",
        _error_html(error)
        + f'<form method="post" action="{SIGN_IN_PATH}">\n'
        + _field("Name", "name", "text", "username", name)
        + _field("Password", "password", "password", "current-password")
        + '<p><button type="submit">Sign in</button></p>\n</form>\n',
    )


def _password_response(
    found: _Signed, *, error: str | None, status: int, headers: Mapping[str, str] | None = None
) -> web.Response:
    current = (
        ""
        if found.session.password_change_required
        else _field("Current password", "current_password", "password", "current-password")
    )
    body = (
        _error_html(error)
        + f'<form method="post" action="{PASSWORD_PATH}">\n'
        + f'<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(found.session.csrf_token)}">\n'
        + current
        + _field(
            f"New password (at least {MIN_PASSWORD_LENGTH} characters)", "new_password", "password", "new-password"
        )
        + _field("New password again", "repeat_password", "password", "new-password")
        + '<p><button type="submit">Save password</button></p>\n</form>\n'
    )
    return web.Response(
        text=_page("Choose a password", body),
        content_type="text/html",
        status=status,
        headers={**_PAGE_HEADERS, **(headers or {})},
    )


async def sign_in_page(request: web.Request) -> web.Response:
    """GET /agent/sign-in: the sign-in form."""
    return web.Response(text=_sign_in_page(), content_type="text/html", headers=_PAGE_HEADERS)


def setup_auth(app: web.Application) -> None:
    """Mount the sign-in page and form, sign-out, and the choose-a-password page and form."""
    app.router.add_get(SIGN_IN_PATH, sign_in_page)
    app.router.add_post(SIGN_IN_PATH, sign_in)
    app.router.add_post(SIGN_OUT_PATH, sign_out)
    app.router.add_get(PASSWORD_PATH, password_page)
    app.router.add_post(PASSWORD_PATH, change_password)
