"""The agent console at /agent: its pages, and the JSON endpoints its script calls (session + CSRF)."""

from __future__ import annotations

import functools
import html
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agents import pages
from bot.agents.errors import NotDeliveredError, NotYourConversationError
from bot.agents.identity import require_page_session, require_role, require_session
from bot.agents.rules import CaseChange, authorise
from bot.console import supervisor
from bot.console.assets import STATIC_DIR, in_static, serve_assets
from bot.console.cases import setup_case_console
from bot.console.views import JsonObject, conversation_detail, queue_snapshot
from bot.errors import ConflictError, InvalidFieldsError, NotFoundError
from bot.handoff import (
    HANDOFF,
    DeliveryError,
    HandoffNotFoundError,
    HandoffService,
    HandoffStateError,
    NotYourHandoffError,
)
from bot.jsonbody import read_json
from bot.keys import CLOCK, SESSION_MAKER, SETTINGS
from intake.domain import CaseEventKind, CaseStatus, Severity
from store import agents as agent_store
from store import cases as case_store
from store import handoffs as handoff_store
from store.agents import InvalidAgentError
from store.models import AgentPublic, CasePublic, HandoffPublic, Presence, Role

STATIC_FILES = in_static(
    "console.js", "console.css", "supervisor.js", "desk-time.js", "cases.js", "cases-case.js", "cases.css"
)
API = "/agent/console"
MAX_TEXT = 4000

# No inline script or style anywhere: the pages load their script and stylesheet from this origin only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: under it browsers send "Origin: null" on same-origin POSTs, which origin checks refuse.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refusals(handler: Handler) -> Handler:
    """Turn the handoff service's domain errors into the service's refusals."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except HandoffNotFoundError as exc:
            raise NotFoundError(str(exc)) from exc
        except NotYourHandoffError as exc:
            raise NotYourConversationError(str(exc)) from exc
        except HandoffStateError as exc:
            raise ConflictError(str(exc)) from exc
        except DeliveryError as exc:
            raise NotDeliveredError(str(exc)) from exc

    return wrapped


# --- pages -----------------------------------------------------------------------------------------


def render(template: str, values: dict[str, str], *, nav: str = "") -> str:
    """Fill a page template's {{placeholders}}, HTML-escaped, and {{nav}} with the (built, safe) links."""
    page = template.replace("{{nav}}", nav)
    for name, value in values.items():
        page = page.replace("{{" + name + "}}", html.escape(value, quote=True))
    return page


# Every console page's links, the same on every page: what the agent's role may open.
_NAV = (
    ("/agent", "Live chats", Role.AGENT),
    ("/agent/cases", "Cases", Role.AGENT),
    ("/agent/incidents", "Incidents", Role.AGENT),
    ("/agent/supervisor", "Supervisor view", Role.SUPERVISOR),
    ("/agent/dashboard", "Dashboard", Role.SUPERVISOR),
    ("/agent/maintenance", "Maintenance", Role.SUPERVISOR),
    ("/agent/surveys", "Surveys", Role.SUPERVISOR),
    ("/agent/password", "Change password", Role.AGENT),
)


def nav_links(role: Role, current: str) -> str:
    """The console's links for `role` as HTML, the page at `current` marked as the one open."""
    links = []
    for path, label, needs in _NAV:
        if needs is Role.SUPERVISOR and role is not Role.SUPERVISOR:
            continue
        here = ' aria-current="page"' if path == current else ""
        links.append(f'<a href="{path}"{here}>{html.escape(label)}</a>')
    return "\n    ".join(links)


def _page_values(request: web.Request, agent: AgentPublic, csrf: str) -> dict[str, str]:
    return {
        "company_name": request.app[SETTINGS].company_name,
        "agent_name": agent.name,
        "agent_id": str(agent.id),
        "agent_role": agent.role.value,
        "agent_presence": agent.presence.value,
        "desk_zone": request.app[SETTINGS].chat_timezone,  # the console shows times in the bot's zone
        "csrf_token": csrf,
    }


def page_handler(template_name: str, *, role: Role, directory: Path = STATIC_DIR) -> Handler:
    """A console page (a template of `directory`) for a signed-in agent with at least `role`."""
    template = (directory / template_name).read_text("utf-8")

    async def page(request: web.Request) -> web.Response:
        agent, csrf = await require_page_session(request)
        require_role(agent, role, action="open this page")
        response = web.Response(content_type="text/html", charset="utf-8", headers=_PAGE_HEADERS)
        # A notice left by the page before (the password page: "your new password is saved"), shown once.
        notice = pages.take_notice(request, response)
        values = {**_page_values(request, agent, csrf), "notice": notice}
        response.text = render(template, values, nav=nav_links(agent.role, request.path))
        return response

    return page


# --- reading requests ------------------------------------------------------------------------------


async def _body(request: web.Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise InvalidFieldsError("send a JSON object")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidFieldsError(f"'{name}' must be a non-empty string")
    if len(value) > MAX_TEXT:
        raise InvalidFieldsError(f"'{name}' is longer than {MAX_TEXT} characters")
    return value.strip()


def _handoff_id(request: web.Request) -> int:
    raw = request.match_info["handoff_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise NotFoundError("no such conversation")
    return int(raw)


async def _load(request: web.Request) -> HandoffPublic:
    async with request.app[SESSION_MAKER]() as session:
        handoff = await handoff_store.get_handoff(session, handoff_id=_handoff_id(request))
    if handoff is None:
        raise HandoffNotFoundError("no such conversation")
    return handoff


def _mine(handoff: HandoffPublic, agent: AgentPublic) -> None:
    if handoff.agent_id is None:
        raise HandoffStateError("claim the conversation first")
    if handoff.agent_id != agent.id:
        raise NotYourHandoffError("another agent has this conversation")


def _service(request: web.Request) -> HandoffService:
    return request.app[HANDOFF]


async def _detail(request: web.Request, handoff_id: int, *, after: int = 0) -> JsonObject:
    async with request.app[SESSION_MAKER]() as session:
        handoff = await handoff_store.get_handoff(session, handoff_id=handoff_id)
        if handoff is None:
            raise HandoffNotFoundError("no such conversation")
        return await conversation_detail(session, handoff, after=after)


# --- the agent and the queue -----------------------------------------------------------------------


async def queue(request: web.Request) -> web.Response:
    """GET /agent/console/queue: the open handoffs in queue order."""
    await require_session(request, csrf=False)
    async with request.app[SESSION_MAKER]() as session:
        snapshot = await queue_snapshot(session)
    return web.json_response({**snapshot, "now": request.app[CLOCK]().isoformat()})


async def presence(request: web.Request) -> web.Response:
    """POST /agent/console/presence {"presence": "available"|"away"}: whether live chat may be offered."""
    agent, _ = await require_session(request, csrf=True)
    wanted = (await _body(request)).get("presence")
    if wanted not in (Presence.AVAILABLE.value, Presence.AWAY.value):
        raise InvalidFieldsError("'presence' must be 'available' or 'away'")
    try:
        async with request.app[SESSION_MAKER]() as session, session.begin():
            updated = await agent_store.set_presence(session, agent_id=agent.id, presence=wanted)
    except InvalidAgentError as exc:
        raise InvalidFieldsError(str(exc)) from exc
    return web.json_response({"agent": updated.to_json_dict()})


# --- one conversation ------------------------------------------------------------------------------


@_refusals
async def detail(request: web.Request) -> web.Response:
    """GET /agent/console/handoffs/{id}?after=N: the conversation, its case, and transcript lines after N."""
    agent, _ = await require_session(request, csrf=False)
    handoff = await _load(request)
    # A waiting conversation may be previewed by anyone; a claimed one by its agent or a supervisor.
    if handoff.agent_id not in (None, agent.id) and agent.role is not Role.SUPERVISOR:
        raise NotYourHandoffError("another agent has this conversation")
    raw = request.query.get("after", "0")
    after = int(raw) if raw.isdigit() and len(raw) <= 12 else 0
    return web.json_response(await _detail(request, handoff.id, after=after))


@_refusals
async def claim(request: web.Request) -> web.Response:
    """POST .../claim: take a waiting conversation (409 when another agent was first)."""
    agent, _ = await require_session(request, csrf=True)
    handoff = await _service(request).claim(_handoff_id(request), agent, request.app[CLOCK]())
    return web.json_response(await _detail(request, handoff.id))


@_refusals
async def message(request: web.Request) -> web.Response:
    """POST .../messages {"text"}: say something to the customer."""
    agent, _ = await require_session(request, csrf=True)
    text = _text(await _body(request), "text")
    handoff = await _load(request)
    _mine(handoff, agent)
    await _service(request).send_agent_message(handoff.id, agent, text, request.app[CLOCK]())
    return web.json_response(await _detail(request, handoff.id))


@_refusals
async def hand_back(request: web.Request) -> web.Response:
    """POST .../hand-back: the bot takes the conversation again."""
    agent, _ = await require_session(request, csrf=True)
    handoff = await _load(request)
    _mine(handoff, agent)
    await _service(request).hand_back(handoff.id, agent, request.app[CLOCK]())
    return web.json_response(await _detail(request, handoff.id))


@_refusals
async def close_chat(request: web.Request) -> web.Response:
    """POST .../close: end the live chat."""
    agent, _ = await require_session(request, csrf=True)
    handoff = await _load(request)
    _mine(handoff, agent)
    await _service(request).close(handoff.id, agent, request.app[CLOCK]())
    return web.json_response(await _detail(request, handoff.id))


# --- the conversation's case -----------------------------------------------------------------------


async def _case_of(request: web.Request, agent: AgentPublic) -> HandoffPublic:
    handoff = await _load(request)
    _mine(handoff, agent)
    if handoff.case_number is None:
        raise HandoffStateError("this conversation has no case")
    return handoff


async def _the_case(session: AsyncSession, handoff: HandoffPublic) -> CasePublic:
    """The handoff's case, its row held to the end of the transaction (the rule is checked on what is changed)."""
    assert handoff.case_number is not None  # _case_of checked
    locked = await case_store.case_version(session, number=handoff.case_number, for_update=True)
    case = None if locked is None else await case_store.get_case(session, number=handoff.case_number)
    if case is None:
        raise HandoffStateError("this conversation's case is gone")
    return case


@_refusals
async def severity(request: web.Request) -> web.Response:
    """POST .../severity {"severity": 1-4, "reason"}: re-grade the case; the reason is logged."""
    agent, _ = await require_session(request, csrf=True)
    body = await _body(request)
    wanted = body.get("severity")
    if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted not in {s.value for s in Severity}:
        raise InvalidFieldsError("'severity' must be 1, 2, 3 or 4")
    reason = _text(body, "reason")
    handoff = await _case_of(request, agent)
    async with request.app[SESSION_MAKER]() as session, session.begin():
        case = await _the_case(session, handoff)
        await authorise(session, agent, case, CaseChange(severity=Severity(wanted)))
        await case_store.update_case(
            session,
            number=case.number,
            actor=agent.name,
            at=request.app[CLOCK](),
            severity=Severity(wanted),
            reason=reason,
        )
        await handoff_store.sync_severity(session, case_number=case.number, severity=wanted)
    _service(request).notify()
    return web.json_response(await _detail(request, handoff.id))


@_refusals
async def note(request: web.Request) -> web.Response:
    """POST .../notes {"text"}: an internal note on the case (the customer never sees it)."""
    agent, _ = await require_session(request, csrf=True)
    text = _text(await _body(request), "text")
    handoff = await _case_of(request, agent)
    async with request.app[SESSION_MAKER]() as session, session.begin():
        case = await _the_case(session, handoff)
        await authorise(session, agent, case, CaseChange(note=True))
        await case_store.add_event(
            session,
            number=case.number,
            kind=CaseEventKind.NOTE,
            actor=agent.name,
            at=request.app[CLOCK](),
            detail={"text": text},
        )
        await handoff_store.touch(session, handoff_id=handoff.id)
    _service(request).notify()
    return web.json_response(await _detail(request, handoff.id))


@_refusals
async def case_status(request: web.Request) -> web.Response:
    """POST .../status {"status": "resolved"|"closed", "reason"?}: resolve the case; closing is a supervisor's."""
    agent, _ = await require_session(request, csrf=True)
    body = await _body(request)
    wanted = body.get("status")
    if wanted not in (CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value):
        raise InvalidFieldsError("'status' must be 'resolved' or 'closed'")
    reason = _text(body, "reason") if body.get("reason") is not None else None
    handoff = await _case_of(request, agent)
    async with request.app[SESSION_MAKER]() as session, session.begin():
        # The agent API's rule (bot.agents.rules): closing, and reopening a closed case, are a supervisor's.
        case = await _the_case(session, handoff)
        await authorise(session, agent, case, CaseChange(status=CaseStatus(wanted)))
        await case_store.update_case(
            session,
            number=case.number,
            actor=agent.name,
            at=request.app[CLOCK](),
            status=CaseStatus(wanted),
            reason=reason,
        )
        await handoff_store.touch(session, handoff_id=handoff.id)
    _service(request).notify()
    return web.json_response(await _detail(request, handoff.id))


# --- supervisor ------------------------------------------------------------------------------------


async def supervisor_data(request: web.Request) -> web.Response:
    """GET /agent/console/supervisor: open cases with their SLA state; Sev1 pages and calls."""
    agent, _ = await require_session(request, csrf=False)
    require_role(agent, Role.SUPERVISOR, action="see the supervisor view")
    async with request.app[SESSION_MAKER]() as session:
        data = await supervisor.overview(session, request.app[CLOCK]())
    return web.json_response(data)


def setup_routes(app: web.Application) -> None:
    """Mount the console's pages, files and JSON endpoints."""
    router = app.router
    router.add_get("/agent", page_handler("console.html", role=Role.AGENT))
    router.add_get("/agent/supervisor", page_handler("supervisor.html", role=Role.SUPERVISOR))
    router.add_get("/agent/cases", page_handler("cases.html", role=Role.AGENT))
    router.add_get("/agent/cases/{number}", page_handler("cases-case.html", role=Role.AGENT))
    serve_assets(app, "/agent/static", STATIC_FILES)
    setup_case_console(app)
    router.add_get(f"{API}/queue", queue)
    router.add_post(f"{API}/presence", presence)
    router.add_get(f"{API}/supervisor", supervisor_data)
    one = API + "/handoffs/{handoff_id}"
    router.add_get(one, detail)
    router.add_post(f"{one}/claim", claim)
    router.add_post(f"{one}/messages", message)
    router.add_post(f"{one}/severity", severity)
    router.add_post(f"{one}/notes", note)
    router.add_post(f"{one}/status", case_status)
    router.add_post(f"{one}/hand-back", hand_back)
    router.add_post(f"{one}/close", close_chat)
