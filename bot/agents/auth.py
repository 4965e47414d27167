"""Agent sign-in, sign-out and choosing a password: the handlers and their routes.

Secrets and hashes live in bot.agents.passwords, sessions, CSRF and tokens in bot.agents.identity, the
sign-in limits in bot.agents.limits and the pages in bot.agents.pages. Each form endpoint takes a form post
(the pages: refusals come back as the page with the reason) or JSON (scripts: refusals are JSON errors).
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import datetime
from urllib.parse import urlsplit

from aiohttp import web

from bot.agents import limits, pages, passwords
from bot.agents.errors import (
    AgentRefusal,
    CrossOriginError,
    InvalidPasswordError,
    NotSignedInError,
    PasswordChangedError,
    SignInFailedError,
    TooManyAttemptsError,
)
from bot.agents.identity import (
    CONSOLE_PATH,
    COOKIE_NAME,
    PASSWORD_PATH,
    SESSION_TTL,
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    Signed,
    check_csrf,
    resolve,
    signed,
)
from bot.agents.limits import SignInKeys, sign_in_keys
from bot.client_address import client_address
from bot.forms import Fields, read_fields
from bot.keys import CLOCK, SESSION_MAKER, SETTINGS
from bot.settings import Settings
from store.agents import (
    Credentials,
    create_console_session,
    finish_password_change,
    revoke_console_session,
    set_password_hash,
    swap_password_hash,
)
from store.models import AgentPublic, ConsoleSessionPublic

log = logging.getLogger(__name__)

WRONG_CREDENTIALS = "name or password is wrong"


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


def _too_many(what: str, retry: int) -> TooManyAttemptsError:
    minutes = max(1, math.ceil(retry / 60))
    return TooManyAttemptsError(
        f"too many failed {what}: try again later",
        retry_after=retry,
        sentence=(
            f"There have been too many failed {what}. For your account's safety, please try again later "
            f"(in about {minutes} minute{'s' if minutes != 1 else ''})."
        ),
    )


async def sign_in(request: web.Request) -> web.Response:
    """POST /agent/sign-in (form or JSON: name, password): set the session cookie; 303 to the console
    (JSON: 200 {"csrf_token", "agent", "password_change_required"})."""
    if not _same_origin(request):
        raise CrossOriginError("sign in from this site's own page")
    form = await read_fields(request, ("name", "password"))
    name, password = form.values["name"], form.values["password"]
    sessions, now = request.app[SESSION_MAKER], request.app[CLOCK]()
    keys = _keys(request, name)
    # The attempt is counted before the password is hashed: concurrent guesses cannot all be checked.
    retry = await limits.reserve_attempt(sessions, keys, now)
    if retry is not None:
        log.info("agent sign-in throttled (from %s)", _client(request))
        return _sign_in_refused(request, form, _too_many("sign-ins", retry))
    credentials = await passwords.check_credentials(sessions, name, password)
    opened = None if credentials is None else await _open_session(request, credentials, password, keys, now)
    await limits.prune(sessions, now)
    if opened is None:
        # The reserved attempt stays counted: that is the failure.
        log.info("agent sign-in refused (from %s)", _client(request))
        refusal = SignInFailedError(
            WRONG_CREDENTIALS, sentence="The name or password is wrong. Please check both and try again."
        )
        return _sign_in_refused(request, form, refusal)
    secret, row, agent = opened
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
    if not credentials.one_time and passwords.needs_rehash(credentials.password_hash):
        rehash = await asyncio.to_thread(passwords.hash_password, password)
    secret = passwords.new_secret()
    agent, read = credentials.agent, credentials.password_hash
    async with request.app[SESSION_MAKER]() as session, session.begin():
        if credentials.one_time:
            # Consumed here: of two sign-ins racing with the same one-time password, only one wins.
            if not await swap_password_hash(session, agent_id=agent.id, expected=read, password_hash=""):
                return None
        elif rehash is not None:
            await swap_password_hash(session, agent_id=agent.id, expected=read, password_hash=rehash)
        await limits.attempt_succeeded(session, keys, now)
        row = await create_console_session(
            session,
            session_id=passwords.secret_digest(secret),
            agent_id=agent.id,
            csrf_token=passwords.new_secret(),
            at=now,
            expires_at=now + SESSION_TTL,
            password_change_required=credentials.one_time,
        )
    return secret, row, agent


def _sign_in_refused(request: web.Request, form: Fields, refusal: AgentRefusal) -> web.Response:
    if form.as_json:
        raise refusal
    return pages.sign_in_page(
        request.app[SETTINGS].company_name,
        error=refusal.sentence,
        name=form.values.get("name", ""),
        status=refusal.status,
        headers=refusal.headers(),
    )


def _wants_json(request: web.Request) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get("Accept", "")


async def sign_out(request: web.Request) -> web.Response:
    """POST /agent/sign-out (CSRF checked): end the session; 303 to the sign-in page (JSON: 200)."""
    found = await resolve(request)
    if found is None and _wants_json(request):
        raise NotSignedInError("no session to sign out of")
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
    found = await resolve(request)
    if found is None:
        raise web.HTTPSeeOther(SIGN_IN_PATH)
    return _password_page(request, found)


def _password_page(request: web.Request, found: Signed, refusal: AgentRefusal | None = None) -> web.Response:
    return pages.password_page(
        request.app[SETTINGS].company_name,
        agent_name=found.agent.name,
        csrf_token=found.session.csrf_token,
        one_time=found.session.password_change_required,
        error=None if refusal is None else refusal.sentence,
        status=200 if refusal is None else refusal.status,
        headers=None if refusal is None else refusal.headers(),
    )


async def change_password(request: web.Request) -> web.Response:
    """POST /agent/password (CSRF checked; form or JSON: current_password unless one-time, new_password,
    form only: repeat_password): set it and end the agent's other sessions; 303 to the console, which then
    says the password is saved (JSON: 200)."""
    found = await signed(request, csrf=True, allow_password_change=True)
    form = await read_fields(request, ("current_password", "new_password", "repeat_password"))
    new = form.values["new_password"]
    problem: AgentRefusal | None = passwords.password_problem(new)
    if problem is None and not form.as_json and new != form.values["repeat_password"]:
        problem = InvalidPasswordError(
            "the two new passwords differ",
            sentence="The two new passwords differ. Please type the same new password in both boxes.",
        )
    sessions, now = request.app[SESSION_MAKER], request.app[CLOCK]()
    credentials = None
    keys = _keys(request, found.agent.name)
    if problem is None and not found.session.password_change_required:
        # The current password is guessable through this form too: the sign-in throttle applies.
        retry = await limits.reserve_attempt(sessions, keys, now)
        if retry is not None:
            problem = _too_many("attempts", retry)
        else:
            credentials = await passwords.check_credentials(sessions, found.agent.name, form.values["current_password"])
            if credentials is None:
                problem = InvalidPasswordError(
                    "the current password is wrong",
                    sentence="Your current password is wrong. Please type it again.",
                )
    if problem is not None:
        if form.as_json:
            raise problem
        return _password_page(request, found, problem)
    new_hash = await asyncio.to_thread(passwords.hash_password, new)
    async with sessions() as session, session.begin():
        if credentials is None:
            await set_password_hash(session, name=found.agent.name, password_hash=new_hash)
        elif not await swap_password_hash(
            session, agent_id=found.agent.id, expected=credentials.password_hash, password_hash=new_hash
        ):
            raise PasswordChangedError("the password changed meanwhile: sign in again")
        else:
            await limits.attempt_succeeded(session, keys, now)
        await finish_password_change(session, session_id=found.session.id, agent_id=found.agent.id, at=now)
    log.info("agent %s chose a new password", found.agent.name)
    if form.as_json:
        return web.json_response({"agent": found.agent.to_json_dict(), "csrf_token": found.session.csrf_token})
    response = web.Response(status=303, headers={"Location": CONSOLE_PATH})
    pages.set_notice(response, "password_saved", secure=_secure(request.app[SETTINGS]))
    return response


async def sign_in_page(request: web.Request) -> web.Response:
    """GET /agent/sign-in: the sign-in form."""
    return pages.sign_in_page(request.app[SETTINGS].company_name)


def setup_auth(app: web.Application) -> None:
    """Mount the sign-in page and form, sign-out, and the choose-a-password page and form."""
    app.router.add_get(SIGN_IN_PATH, sign_in_page)
    app.router.add_post(SIGN_IN_PATH, sign_in)
    app.router.add_post(SIGN_OUT_PATH, sign_out)
    app.router.add_get(PASSWORD_PATH, password_page)
    app.router.add_post(PASSWORD_PATH, change_password)
