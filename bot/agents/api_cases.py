"""The agent API's case workspace: paged, filtered case lists and the actions on one case (claim, assign,
notes, updates to the customer, resolve, close, reopen), for bearer-token clients."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agents import api_work as work
from bot.agents.errors import InvalidError
from bot.agents.identity import require_token
from bot.agents.rules import CaseChange, authorise
from bot.errors import NotFoundError
from bot.handoff import HANDOFF, HandoffError
from bot.jsonbody import read_json
from bot.keys import CLOCK, SESSION_MAKER, SETTINGS
from intake.domain import CaseStatus, Severity
from intake.notices import NoticeKind
from store import cases_work as store_work
from store.cases import get_case, normalise_case_number
from store.db import read_session
from store.models import AgentPublic, CasePublic
from store.notices import queue_case_notice

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = store_work.MAX_PAGE
MAX_TEXT = 10_000
MAX_KEY = 100
LIST_PARAMS = frozenset({"status", "severity", "account", "limit", "view", "sla", "open", "before"})

Action = Callable[[AsyncSession, AgentPublic, CasePublic, str, datetime], Awaitable[object]]


# --- reading requests (shared with the console's case pages) -----------------------------------------


_Choice = TypeVar("_Choice", CaseStatus, store_work.View, work.SlaState)


def _choice(kind: type[_Choice], name: str, raw: str) -> _Choice:
    try:
        return kind(raw)
    except ValueError as exc:
        raise InvalidError(f"{name} {raw!r}: use one of {', '.join(item.value for item in kind)}") from exc


def _whole(name: str, raw: str, top: int) -> int:
    if not raw.isdigit() or len(raw) > 12 or not 1 <= int(raw) <= top:
        raise InvalidError(f"{name} {raw!r}: use a whole number from 1 to {top}")
    return int(raw)


def list_request(request: web.Request, agent: AgentPublic) -> work.ListRequest:
    """Validate a case list's query: every parameter known, every value one the list can take (422 otherwise)."""
    unknown = sorted(set(request.query) - LIST_PARAMS)
    if unknown:
        raise InvalidError(f"unknown query parameter(s) {', '.join(unknown)}: use {', '.join(sorted(LIST_PARAMS))}")
    query = {key: value.strip() for key, value in request.query.items() if value.strip()}
    account = None
    if "account" in query:
        accounts = request.app[SETTINGS].policy().account
        account = accounts.normalise(query["account"])
        if account is None:
            raise InvalidError(f"account {query['account']!r} is not a K# like {accounts.example}")
    if query.get("open", "false") not in ("true", "false"):
        raise InvalidError(f"open {query['open']!r}: use true or false")
    statuses: tuple[CaseStatus, ...] = ()
    if "status" in query:
        statuses = (_choice(CaseStatus, "status", query["status"]),)
    elif query.get("open") == "true":
        statuses = store_work.OPEN_STATUSES
    severity = Severity(_whole("severity", query["severity"], 4)) if "severity" in query else None
    view = _choice(store_work.View, "view", query["view"]) if "view" in query else store_work.View.ALL
    return work.ListRequest(
        query=store_work.CaseQuery(view=view, me=agent.name, statuses=statuses, severity=severity, k_number=account),
        sla=_choice(work.SlaState, "sla", query["sla"]) if "sla" in query else None,
        before_id=_whole("before", query["before"], 10**12) if "before" in query else None,
        limit=_whole("limit", query["limit"], MAX_LIMIT) if "limit" in query else DEFAULT_LIMIT,
    )


def text_field(body: Mapping[str, Any], name: str, limit: int = MAX_TEXT, *, required: bool = True) -> str | None:
    """A non-empty text field of at most `limit` characters, stripped (None when optional and absent)."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidError(f"{name} must be non-empty text of at most {limit} characters")
    return value.strip()


async def json_object(request: web.Request, allowed: frozenset[str]) -> dict[str, Any]:
    """The request's JSON object, with no field but `allowed` (an empty body is an empty object)."""
    body: Any = await read_json(request) if request.can_read_body else {}
    if not isinstance(body, dict):
        raise InvalidError("send a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidError(f"unknown field(s) {', '.join(unknown)}: use {', '.join(sorted(allowed)) or 'none'}")
    return body


def case_number(request: web.Request) -> str:
    """The case number of the path, refused with 404 when it cannot be one."""
    number = request.match_info["number"]
    if normalise_case_number(number) is None:
        raise NotFoundError(f"no case {number!r}")
    return number


# --- running an action -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """What an action left: the case's detail, and the live chat to relay an update into (if any)."""

    detail: dict[str, Any]
    relay_to: int | None = None


async def run_action(
    request: web.Request, agent: AgentPublic, number: str, action: Action, *, actor: str, expected: set[str] | None
) -> dict[str, Any]:
    """Run `action` on the case in one transaction, its row held, and return the case's detail after it."""
    now = request.app[CLOCK]()
    async with request.app[SESSION_MAKER]() as session, session.begin():
        case = await work.locked_case(session, number, expected)
        await action(session, agent, case, actor, now)
        changed = await get_case(session, number=case.number)
        assert changed is not None  # held since locked_case
        return await work.case_detail(session, request.app[SETTINGS].policy(), changed, now)


def update_action(text: str, key: str | None, outcome: dict[str, Any]) -> Action:
    """Post `text` to the customer as a case update (email or SMS by the account's wish, via the outbox);
    a resent `key` queues nothing twice. Fills `outcome` with whether it was queued and where to relay it."""

    async def post(session: AsyncSession, agent: AgentPublic, case: CasePublic, actor: str, at: datetime) -> None:
        work.refuse_closed(case)
        await authorise(session, agent, case, CaseChange(note=True))
        dedupe = None if key is None else f"update:{case.number}:{key}"
        queued = await queue_case_notice(
            session, number=case.number, notice=NoticeKind.UPDATE, actor=actor, at=at, text=text, dedupe_key=dedupe
        )
        chat = await work.live_chat(session, case)
        outcome["queued"] = queued
        outcome["relay_to"] = work.relay_target(chat, agent) if queued else None

    return post


def if_match(request: web.Request) -> set[str] | None:
    """The versions If-Match names (None without one: the action is not a conditional one)."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw or raw == "*":
        return None
    return {tag.strip().removeprefix("W/").strip('"') for tag in raw.split(",") if tag.strip()}


def _json(data: Mapping[str, Any]) -> web.Response:
    version = str(data.get("version", ""))
    return web.json_response(dict(data), headers={"Cache-Control": "no-store", "ETag": f'"{version}"'})


# --- the API's handlers --------------------------------------------------------------------------------


async def list_cases_handler(request: web.Request) -> web.Response:
    """GET /api/cases: a page of cases, newest first, filtered; `next` is the `before` of the next page."""
    agent = await require_token(request)
    asked = list_request(request, agent)
    async with read_session(request.app[SESSION_MAKER]) as session:
        page = await work.case_page(session, request.app[SETTINGS].policy(), asked, request.app[CLOCK]())
    return web.json_response(page, headers={"Cache-Control": "no-store"})


async def get_case_handler(request: web.Request) -> web.Response:
    """GET /api/cases/{number}: the case, history, transcript, clocks and SLA state, with an ETag."""
    await require_token(request)
    number = case_number(request)
    async with read_session(request.app[SESSION_MAKER]) as session:
        case = await get_case(session, number=number)
        if case is None:
            raise NotFoundError(f"no case {number!r}")
        body = await work.case_detail(session, request.app[SETTINGS].policy(), case, request.app[CLOCK]())
    return _json(body)


Who = Callable[[web.Request], Awaitable[tuple[AgentPublic, str]]]


async def token_agent(request: web.Request) -> tuple[AgentPublic, str]:
    """The API's caller (bearer token) and how the case's history names them."""
    agent = await require_token(request)
    return agent, f"agent:{agent.name}"


def action_handler(
    who: Who, fields: frozenset[str], make: Callable[[dict[str, Any]], Action]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A POST handler: who asks, the body (only `fields`) made into an action, run on the path's case."""

    async def handle(request: web.Request) -> web.Response:
        agent, actor = await who(request)
        number = case_number(request)
        action = make(await json_object(request, fields))
        body = await run_action(request, agent, number, action, actor=actor, expected=if_match(request))
        log.info("case %s: %s by agent %s", body["case"]["number"], request.path.rsplit("/", 1)[-1], agent.id)
        return _json(body)

    return handle


def _assignee(body: dict[str, Any]) -> str | None:
    if "assignee" not in body:
        raise InvalidError("send assignee: an agent's name, or null to unassign")
    return text_field(body, "assignee", 100, required=False)


def update_handler(who: Who) -> Callable[[web.Request], Awaitable[web.Response]]:
    """POST .../updates {"text", "key"?}: news to the customer (email/SMS; also into their live chat when it
    is the caller's); a resent key is answered without queueing it again."""

    async def handle(request: web.Request) -> web.Response:
        agent, actor = await who(request)
        number = case_number(request)
        body = await json_object(request, frozenset({"text", "key"}))
        text = text_field(body, "text")
        key = text_field(body, "key", MAX_KEY, required=False)
        assert text is not None
        outcome: dict[str, Any] = {}
        action = update_action(text, key, outcome)
        detail = await run_action(request, agent, number, action, actor=actor, expected=if_match(request))
        relayed = await relay(request, agent, outcome.get("relay_to"), text)
        return _json({**detail, "update": {"queued": bool(outcome.get("queued")), "relayed": relayed}})

    return handle


def case_actions(who: Who) -> dict[str, Callable[[web.Request], Awaitable[web.Response]]]:
    """The actions on one case by their path's last part, each answered by a handler asking `who`."""
    return {
        "claim": action_handler(who, frozenset(), lambda _: _claim),
        "assign": action_handler(who, frozenset({"assignee"}), lambda b: _bind(work.assign, _assignee(b))),
        "notes": action_handler(who, frozenset({"text"}), lambda b: _bind(work.note, text_field(b, "text"))),
        "updates": update_handler(who),
        "resolve": action_handler(
            who, frozenset({"resolution"}), lambda b: _bind(work.resolve, text_field(b, "resolution"))
        ),
        "close": action_handler(who, frozenset(), lambda _: _close),
        "reopen": action_handler(
            who, frozenset({"reason"}), lambda b: _bind(work.reopen, text_field(b, "reason", 1000))
        ),
    }


async def relay(request: web.Request, agent: AgentPublic, handoff_id: int | None, text: str) -> bool:
    """Say an update in the customer's live chat too, as the console's messages do; False when not said."""
    if handoff_id is None:
        return False
    service = request.app.get(HANDOFF)
    if service is None:
        return False
    try:
        await service.send_agent_message(handoff_id, agent, text, request.app[CLOCK]())
    except HandoffError:
        log.warning("case update not relayed into live chat %s", handoff_id)
        return False
    return True


def setup_case_api(app: web.Application) -> None:
    """Mount the case workspace's API routes (the list and detail too)."""
    one = "/api/cases/{number}"
    app.router.add_get("/api/cases", list_cases_handler)
    app.router.add_get(one, get_case_handler)
    for name, handler in case_actions(token_agent).items():
        app.router.add_post(f"{one}/{name}", handler)


async def _claim(session: AsyncSession, agent: AgentPublic, case: CasePublic, actor: str, at: datetime) -> None:
    await work.claim(session, agent, case, at)


async def _close(session: AsyncSession, agent: AgentPublic, case: CasePublic, actor: str, at: datetime) -> None:
    await work.close(session, agent, case, actor, at)


def _bind(
    operation: Callable[[AsyncSession, AgentPublic, CasePublic, Any, str, datetime], Awaitable[object]], value: Any
) -> Action:
    """An action that passes `value` (a validated field) to a workspace operation."""

    async def act(session: AsyncSession, agent: AgentPublic, case: CasePublic, actor: str, at: datetime) -> None:
        await operation(session, agent, case, value, actor, at)

    return act
