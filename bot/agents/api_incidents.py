"""The agent API's incidents: list and read them with their linked cases, open one by hand, link and detach
cases, post updates that reach every linked customer, resolve with the linked cases (bearer-token clients).

The console's incidents page calls the same operations (bot/console/incidents.py) as its signed-in agent.
Retries change nothing twice: linking a linked case, detaching a detached one or resolving with the same
resolution again answers as the first time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.schema import ConversationReference
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import incident_work
from bot.agents.api_cases import MAX_KEY, Who, json_object, text_field, token_agent
from bot.agents.api_work import live_chat
from bot.agents.errors import InvalidError
from bot.errors import ConflictError, NotFoundError
from bot.handoff import HANDOFF
from bot.incidents import IncidentConfig
from bot.keys import CHANNELS, CLOCK, INCIDENTS, SESSION_MAKER
from bot.rendering import message_activity
from intake.case_numbers import parse_case_number
from store import incidents as store
from store.cases import get_case
from store.db import read_session
from store.errors import CaseNotFoundError
from store.models import IncidentPublic, IncidentStatus
from store.transcripts import append_transcript

log = logging.getLogger(__name__)

MAX_LIMIT = 200
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
_NO_STORE = {"Cache-Control": "no-store"}
Handler = Callable[[web.Request], Awaitable[web.Response]]


# --- what the API shows ------------------------------------------------------------------------------


def incident_json(incident: IncidentPublic, config: IncidentConfig) -> dict[str, Any]:
    """An incident: its component (key and label), status, instants, linked case numbers under `cases`."""
    return {**incident.to_json_dict(), "component_label": config.components.label(incident.component)}


async def incident_detail(session: AsyncSession, incident: IncidentPublic, config: IncidentConfig) -> dict[str, Any]:
    """The incident, each linked and detached case in brief, and its updates (oldest first)."""
    cases = []
    for number in [*incident.cases, *incident.detached]:
        case = await get_case(session, number=number)
        if case is not None:
            cases.append(
                {
                    "number": case.number,
                    "k_number": case.k_number,
                    "severity": int(case.severity),
                    "status": case.status.value,
                    "channel": case.channel.value,
                    "summary": case.summary,
                    "detached": number in incident.detached,
                }
            )
    updates = [
        {"id": u.id, "at": u.at.isoformat(), "actor": u.actor, "text": u.text, "reached": u.reached}
        for u in await store.updates_of(session, incident_id=incident.id)
    ]
    return {"incident": incident_json(incident, config), "cases": cases, "updates": updates}


# --- reading requests ----------------------------------------------------------------------------------


def incident_id(request: web.Request) -> int:
    """The path's incident id (404 when it cannot be one)."""
    raw = request.match_info["incident_id"]
    if not raw.isdigit() or len(raw) > 12 or not 1 <= int(raw) <= MAX_ID:
        raise NotFoundError(f"no incident {raw!r}")
    return int(raw)


def _case_number(body: dict[str, Any]) -> str:
    raw = body.get("case")
    number = parse_case_number(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    if number is None:
        raise InvalidError("case must be a case number like 2612-0042")
    return number


def _component(body: dict[str, Any], config: IncidentConfig) -> str:
    raw = body.get("component")
    if not isinstance(raw, str) or config.components.get(raw) is None:
        raise InvalidError(f"component must be one of {', '.join(config.components.keys)}")
    return raw


def list_query(request: web.Request) -> tuple[IncidentStatus | None, int]:
    unknown = sorted(set(request.query) - {"status", "limit"})
    if unknown:
        raise InvalidError(f"unknown query parameter(s) {', '.join(unknown)}: use limit, status")
    raw_status, raw_limit = request.query.get("status", "").strip(), request.query.get("limit", "").strip()
    if raw_status and raw_status not in {s.value for s in IncidentStatus}:
        raise InvalidError(f"status {raw_status!r}: use one of {', '.join(s.value for s in IncidentStatus)}")
    if raw_limit and (not raw_limit.isdigit() or len(raw_limit) > 4 or not 1 <= int(raw_limit) <= MAX_LIMIT):
        raise InvalidError(f"limit {raw_limit!r}: use a whole number from 1 to {MAX_LIMIT}")
    return (IncidentStatus(raw_status) if raw_status else None), (int(raw_limit) if raw_limit else 100)


# --- the operations (shared with the console) -------------------------------------------------------


async def _detail_of(request: web.Request, incident_id: int) -> dict[str, Any]:
    async with read_session(request.app[SESSION_MAKER]) as session:
        incident = await store.get_incident(session, incident_id=incident_id)
        if incident is None:
            raise NotFoundError(f"no incident {incident_id}")
        return await incident_detail(session, incident, request.app[INCIDENTS])


def _refused(exc: store.IncidentError | CaseNotFoundError) -> Exception:
    if isinstance(exc, store.IncidentNotFoundError):
        return NotFoundError(str(exc))
    if isinstance(exc, CaseNotFoundError):
        return InvalidError(str(exc))
    return ConflictError(str(exc))


async def list_incidents(request: web.Request) -> dict[str, Any]:
    """The incidents, newest first, each with its linked case numbers."""
    status, limit = list_query(request)
    config = request.app[INCIDENTS]
    async with read_session(request.app[SESSION_MAKER]) as session:
        found = await store.list_incidents(session, status=status, limit=limit)
    return {"incidents": [incident_json(i, config) for i in found]}


async def open_incident(request: web.Request, actor: str) -> dict[str, Any]:
    """Open an incident by hand (409 when its component has one open)."""
    body = await json_object(request, frozenset({"component", "title"}))
    component = _component(body, request.app[INCIDENTS])
    title = text_field(body, "title", incident_work.MAX_TITLE_CHARS)
    assert title is not None
    try:
        async with request.app[SESSION_MAKER]() as session, session.begin():
            incident = await store.open_incident(
                session, component=component, title=title, actor=actor, at=request.app[CLOCK]()
            )
    except store.IncidentError as exc:
        raise _refused(exc) from exc
    log.info("incident %s opened by hand", incident.id)
    return await _detail_of(request, incident.id)


async def link_or_detach(request: web.Request, actor: str, *, link: bool) -> dict[str, Any]:
    """Link a case to the incident, or detach it; asking again for what is done already changes nothing."""
    wanted = incident_id(request)
    number = _case_number(await json_object(request, frozenset({"case"})))
    try:
        async with request.app[SESSION_MAKER]() as session, session.begin():
            incident = await store.require_incident(session, incident_id=wanted)
            done = incident.cases if link else incident.detached
            if number not in done:
                operation = store.link_case if link else store.detach_case
                await operation(session, incident_id=wanted, number=number, actor=actor, at=request.app[CLOCK]())
    except (store.IncidentError, CaseNotFoundError) as exc:
        raise _refused(exc) from exc
    return await _detail_of(request, wanted)


async def post_update(request: web.Request, actor: str) -> dict[str, Any]:
    """Post an update to every linked customer (a notice each, counted as the case's update)."""
    wanted = incident_id(request)
    body = await json_object(request, frozenset({"text", "key"}))
    text = text_field(body, "text", incident_work.MAX_TEXT_CHARS)
    key = text_field(body, "key", MAX_KEY, required=False)
    assert text is not None
    at = request.app[CLOCK]()
    try:
        incident, reached = await incident_work.post_update(
            request.app[SESSION_MAKER], incident_id=wanted, text=text, actor=actor, at=at, key=key
        )
    except store.IncidentError as exc:
        raise _refused(exc) from exc
    # A retried request (its key used before) reached nobody new: it is not said in the chats again either.
    relayed = await relay_to_chats(request, incident.cases, text, at) if reached or key is None else 0
    log.info("incident %s: update posted, said in %d live chat(s)", wanted, relayed)
    return {**await _detail_of(request, wanted), "update": {"reached": reached, "relayed": relayed}}


async def relay_to_chats(request: web.Request, numbers: list[str], text: str, at: datetime) -> int:
    """Say the update in the live chat of each linked case whose customer is still there (queued for an agent
    or talking to one), logged in its transcript like the desk's other notices; return how many took it."""
    chats = []
    async with read_session(request.app[SESSION_MAKER]) as session:
        for number in numbers:
            case = await get_case(session, number=number)
            chat = None if case is None else await live_chat(session, case)
            if chat is not None:
                chats.append(chat)
    relayed = 0
    for chat in chats:
        reference = ConversationReference().deserialize(chat.conversation_reference)

        async def say(turn_context: TurnContext) -> None:
            await turn_context.send_activity(message_activity(text))

        try:
            await request.app[CHANNELS].continue_conversation(reference, say)
        except Exception as exc:  # msrest and aiohttp raise many kinds; all mean "not delivered"
            log.warning("incident update not said in live chat %s: %s", chat.id, type(exc).__name__)
            continue
        async with request.app[SESSION_MAKER]() as session, session.begin():
            await append_transcript(
                session, conversation_id=chat.conversation_id, role="bot", text=text, at=at, channel=chat.channel
            )
        relayed += 1
    if relayed and HANDOFF in request.app:
        request.app[HANDOFF].notify()  # the consoles show the line in the chat
    return relayed


async def resolve(request: web.Request, actor: str) -> dict[str, Any]:
    """Resolve the incident and every linked case with its resolution; again with the same one is a no-op."""
    wanted = incident_id(request)
    body = await json_object(request, frozenset({"resolution"}))
    resolution = text_field(body, "resolution", incident_work.MAX_TEXT_CHARS)
    assert resolution is not None
    try:
        await incident_work.resolve(
            request.app[SESSION_MAKER], incident_id=wanted, resolution=resolution, actor=actor, at=request.app[CLOCK]()
        )
    except store.IncidentError as exc:
        detail = await _detail_of(request, wanted)
        if (
            detail["incident"]["status"] == IncidentStatus.RESOLVED.value
            and detail["incident"]["resolution"] == resolution
        ):
            return detail
        raise _refused(exc) from exc
    log.info("incident %s resolved", wanted)
    return await _detail_of(request, wanted)


# --- the API's handlers ------------------------------------------------------------------------------


def _answer(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers=_NO_STORE)


def incident_handlers(who: Who) -> dict[str, Handler]:
    """The state-changing handlers by name, each asking `who` (bearer token or console session + CSRF)."""

    async def opening(request: web.Request) -> web.Response:
        _, actor = await who(request)
        return _answer(await open_incident(request, actor), status=201)

    async def linking(request: web.Request) -> web.Response:
        _, actor = await who(request)
        return _answer(await link_or_detach(request, actor, link=True))

    async def detaching(request: web.Request) -> web.Response:
        _, actor = await who(request)
        return _answer(await link_or_detach(request, actor, link=False))

    async def updating(request: web.Request) -> web.Response:
        _, actor = await who(request)
        return _answer(await post_update(request, actor))

    async def resolving(request: web.Request) -> web.Response:
        _, actor = await who(request)
        return _answer(await resolve(request, actor))

    return {"open": opening, "link": linking, "detach": detaching, "updates": updating, "resolve": resolving}


def reading_handlers(who: Callable[[web.Request], Awaitable[object]]) -> tuple[Handler, Handler]:
    """GET handlers for the list and one incident, each asking `who` first."""

    async def listing(request: web.Request) -> web.Response:
        await who(request)
        return _answer(await list_incidents(request))

    async def reading(request: web.Request) -> web.Response:
        await who(request)
        return _answer(await _detail_of(request, incident_id(request)))

    return listing, reading


def mount_incidents(
    app: web.Application,
    base: str,
    who: Who,
    reader: Callable[[web.Request], Awaitable[object]],
    *,
    listing: Handler | None = None,
) -> None:
    """Mount the incident routes under `base` (the API's or the console's, which lists in its own way)."""
    one = base + "/{incident_id}"
    default_listing, reading = reading_handlers(reader)
    actions = incident_handlers(who)
    app.router.add_get(base, listing or default_listing)
    app.router.add_post(base, actions["open"])
    app.router.add_get(one, reading)
    for name in ("link", "detach", "updates", "resolve"):
        app.router.add_post(f"{one}/{name}", actions[name])


def setup_incident_api(app: web.Application) -> None:
    """Mount /api/incidents for bearer-token clients."""
    mount_incidents(app, "/api/incidents", token_agent, token_agent)
