"""The agent JSON API under /api/: cases, handoffs and the caller, for bearer-token clients."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Any

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agents.api_cases import setup_case_api
from bot.agents.api_work import case_detail
from bot.agents.errors import InvalidError
from bot.agents.identity import require_token
from bot.agents.openapi import OPENAPI_PATH, openapi_document
from bot.agents.rules import CaseChange, authorise
from bot.errors import ConflictError, NotFoundError, PreconditionRequiredError
from bot.jsonbody import read_json
from bot.keys import CLOCK, POLICY, SESSION_MAKER, SETTINGS
from intake.domain import CaseEventKind, CaseStatus, Severity
from store.cases import add_event, case_version, get_case, update_case
from store.db import read_session
from store.handoffs import list_handoffs
from store.models import CasePublic, HandoffPublic, HandoffStatus
from store.notices import queue_resolution

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_REASON = 1000
MAX_NOTE = 10_000

_LIST_PARAMS = frozenset({"status", "severity", "account", "limit"})
_PATCH_FIELDS = frozenset({"status", "severity", "reason", "note"})
_NO_STORE = {"Cache-Control": "no-store"}


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_dumps = partial(json.dumps, default=_default)


def _json(data: Mapping[str, Any], *, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(dict(data), status=status, headers={**_NO_STORE, **(headers or {})}, dumps=_dumps)


# --- GET /api/me, /api/openapi.json ---------------------------------------------------------------


async def get_me(request: web.Request) -> web.Response:
    """GET /api/me: the agent the token belongs to."""
    agent = await require_token(request)
    return _json({"agent": agent.to_json_dict()})


async def get_openapi(request: web.Request) -> web.Response:
    """GET /api/openapi.json: the API's description (public)."""
    return web.json_response(openapi_document(server_url=request.app[SETTINGS].base_url))


# --- reading values --------------------------------------------------------------------------------


def _status(raw: str) -> CaseStatus:
    try:
        return CaseStatus(raw)
    except ValueError as exc:
        raise InvalidError(f"status {raw!r}: use one of {', '.join(s.value for s in CaseStatus)}") from exc


def _severity(raw: object) -> Severity:
    # bool is an int to Python, never a severity to a client.
    if isinstance(raw, int) and not isinstance(raw, bool) and raw in {int(s) for s in Severity}:
        return Severity(raw)
    raise InvalidError(f"severity {raw!r}: use 1, 2, 3 or 4")


async def _detail(request: web.Request, session: AsyncSession, case: CasePublic) -> tuple[dict[str, Any], str]:
    body = await case_detail(session, request.app[POLICY], case, request.app[CLOCK]())
    return body, str(body["version"])


def _etag(version: str) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


# --- PATCH /api/cases/{number} --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CasePatch:
    """A validated PATCH body."""

    status: CaseStatus | None = None
    severity: Severity | None = None
    reason: str | None = None
    note: str | None = None


def _text(body: Mapping[str, Any], name: str, limit: int) -> str | None:
    if name not in body:
        return None
    value = body[name]
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidError(f"{name} must be non-empty text of at most {limit} characters")
    return value.strip()


def parse_patch(body: object) -> CasePatch:
    """Validate a PATCH body; raise 422 JSON naming the bad field."""
    if not isinstance(body, dict):
        raise InvalidError("send a JSON object with status, severity (and reason) or note")
    unknown = sorted(set(body) - _PATCH_FIELDS)
    if unknown:
        raise InvalidError(f"unknown field(s) {', '.join(unknown)}: use {', '.join(sorted(_PATCH_FIELDS))}")
    status = body.get("status")
    if status is not None and not isinstance(status, str):
        raise InvalidError("status must be a string")
    patch = CasePatch(
        status=None if status is None else _status(status),
        severity=None if body.get("severity") is None else _severity(body["severity"]),
        reason=_text(body, "reason", MAX_REASON),
        note=_text(body, "note", MAX_NOTE),
    )
    if patch.status is None and patch.severity is None and patch.note is None:
        raise InvalidError("nothing to change: send status, severity (with reason) or note")
    return patch


def _if_match(request: web.Request) -> set[str]:
    raw = request.headers.get("If-Match", "").strip()
    if not raw or raw == "*":
        raise PreconditionRequiredError("send If-Match with the ETag of the case from GET /api/cases/{number}")
    return {tag.strip().removeprefix("W/").strip('"') for tag in raw.split(",") if tag.strip()}


async def patch_case_handler(request: web.Request) -> web.Response:
    """PATCH /api/cases/{number} with If-Match: change status or severity (with reason), or add a note."""
    agent = await require_token(request)
    number = request.match_info["number"]
    expected = _if_match(request)
    patch = parse_patch(await read_json(request))
    now = request.app[CLOCK]()
    actor = f"agent:{agent.name}"
    async with request.app[SESSION_MAKER]() as session, session.begin():
        version = await case_version(session, number=number, for_update=True)
        case = None if version is None else await get_case(session, number=number)
        if version is None or case is None:
            raise NotFoundError(f"no case {number!r}")
        if version not in expected:
            raise ConflictError("the case changed since you read it: GET it again and retry", headers=_etag(version))
        change = CaseChange(status=patch.status, severity=patch.severity, note=patch.note is not None)
        await authorise(session, agent, case, change)
        if patch.severity is not None and patch.severity != case.severity and patch.reason is None:
            raise InvalidError("changing the severity needs a reason")
        # Resolving tells the customer what was done: the reason is that resolution note (as POST .../resolve).
        resolving = patch.status is CaseStatus.RESOLVED and case.status is not CaseStatus.RESOLVED
        if resolving and not patch.reason:
            raise InvalidError("resolving a case needs a reason: what was done (the customer is told)")
        if patch.status is not None or patch.severity is not None:
            case = await update_case(
                session,
                number=case.number,
                actor=actor,
                at=now,
                status=patch.status,
                severity=patch.severity,
                reason=patch.reason,
            )
        if resolving and patch.reason:
            await queue_resolution(session, number=case.number, note=patch.reason, actor=actor, at=now)
        if patch.note is not None:
            await add_event(
                session, number=case.number, kind=CaseEventKind.NOTE, actor=actor, at=now, detail={"text": patch.note}
            )
        body, version = await _detail(request, session, case)
    log.info("case %s updated by agent %s", case.number, agent.name)
    return _json(body, headers=_etag(version))


# --- GET /api/handoffs ----------------------------------------------------------------------------

# Bot Framework plumbing (service URL, channel account ids): nothing an agent's tool should depend on.
_HANDOFF_INTERNALS = frozenset({"conversation_reference"})


def _handoff_status(raw: str) -> HandoffStatus:
    try:
        return HandoffStatus(raw)
    except ValueError as exc:
        raise InvalidError(f"status {raw!r}: use one of {', '.join(s.value for s in HandoffStatus)}") from exc


def handoff_json(handoff: HandoffPublic) -> dict[str, Any]:
    """Return a handoff as the API shows it."""
    return {name: value for name, value in handoff if name not in _HANDOFF_INTERNALS}


async def list_handoffs_handler(request: web.Request) -> web.Response:
    """GET /api/handoffs?status=: live-chat handoffs, oldest first."""
    await require_token(request)
    unknown = sorted(set(request.query) - {"status"})
    if unknown:
        raise InvalidError(f"unknown query parameter(s) {', '.join(unknown)}: use status")
    raw = request.query.get("status", "").strip()
    status = _handoff_status(raw) if raw else None
    async with read_session(request.app[SESSION_MAKER]) as session:
        handoffs = await list_handoffs(session, status=status)
    return _json({"handoffs": [handoff_json(handoff) for handoff in handoffs]})


def setup_agent_api(app: web.Application) -> None:
    """Mount the agent API and its OpenAPI document."""
    app.router.add_get(OPENAPI_PATH, get_openapi)
    app.router.add_get("/api/me", get_me)
    setup_case_api(app)
    app.router.add_patch("/api/cases/{number}", patch_case_handler)
    app.router.add_get("/api/handoffs", list_handoffs_handler)
