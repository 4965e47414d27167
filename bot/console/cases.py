"""The console's case workspace: the JSON its case list and case pages call (session cookie + CSRF).

The reads and actions are the agent API's (bot/agents/api_cases.py, api_work.py); only who is asking differs:
the console's signed-in agent, whose state-changing requests carry the session's CSRF token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agents import api_work as work
from bot.agents.api_cases import (
    Action,
    action_handler,
    case_actions,
    case_number,
    list_request,
    text_field,
)
from bot.agents.errors import InvalidError
from bot.agents.identity import require_session
from bot.errors import NotFoundError
from bot.keys import CLOCK, POLICY, SESSION_MAKER
from intake.domain import CaseStatus, Severity
from store.cases import get_case
from store.db import read_session
from store.models import AgentPublic, CasePublic

CASES_API = "/agent/console/cases"
_NO_STORE = {"Cache-Control": "no-store"}


async def signed_agent(request: web.Request) -> tuple[AgentPublic, str]:
    """The console's agent for a state-changing request (CSRF checked), named in the history by name."""
    agent, _ = await require_session(request, csrf=True)
    return agent, agent.name


async def case_list(request: web.Request) -> web.Response:
    """GET /agent/console/cases?view=&status=&open=&severity=&account=&sla=&before=&limit=: a page of cases."""
    agent, _ = await require_session(request, csrf=False)
    asked = list_request(request, agent)
    async with read_session(request.app[SESSION_MAKER]) as session:
        page = await work.case_page(session, request.app[POLICY], asked, request.app[CLOCK]())
    return web.json_response(page, headers=_NO_STORE)


async def case_detail(request: web.Request) -> web.Response:
    """GET /agent/console/cases/{number}: the case page's data."""
    await require_session(request, csrf=False)
    number = case_number(request)
    async with read_session(request.app[SESSION_MAKER]) as session:
        case = await get_case(session, number=number)
        if case is None:
            raise NotFoundError(f"no case {number!r}")
        body = await work.case_detail(session, request.app[POLICY], case, request.app[CLOCK]())
    return web.json_response(body, headers={**_NO_STORE, "ETag": f'"{body["version"]}"'})


def _status(body: dict[str, Any]) -> CaseStatus:
    allowed = [s.value for s in work.SETTABLE_STATUSES]
    if body.get("status") not in allowed:
        raise InvalidError(f"status must be one of {', '.join(allowed)} (resolve and close have their own actions)")
    return CaseStatus(body["status"])


def _severity(body: dict[str, Any]) -> tuple[Severity, str]:
    wanted = body.get("severity")
    if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted not in {int(s) for s in Severity}:
        raise InvalidError("severity must be 1, 2, 3 or 4")
    reason = text_field(body, "reason", 1000)
    assert reason is not None
    return Severity(wanted), reason


def _status_action(body: dict[str, Any]) -> Action:
    wanted = _status(body)

    async def act(session: AsyncSession, agent: AgentPublic, case: CasePublic, actor: str, at: datetime) -> None:
        await work.set_status(session, agent, case, wanted, actor, at)

    return act


def _severity_action(body: dict[str, Any]) -> Action:
    wanted, reason = _severity(body)

    async def act(session: AsyncSession, agent: AgentPublic, case: CasePublic, actor: str, at: datetime) -> None:
        await work.set_severity(session, agent, case, wanted, reason, actor, at)

    return act


def setup_case_console(app: web.Application) -> None:
    """Mount the case workspace's console endpoints (the pages are mounted with the console's)."""
    one = CASES_API + "/{number}"
    app.router.add_get(CASES_API, case_list)
    app.router.add_get(one, case_detail)
    for name, handler in case_actions(signed_agent).items():
        app.router.add_post(f"{one}/{name}", handler)
    app.router.add_post(f"{one}/status", action_handler(signed_agent, frozenset({"status"}), _status_action))
    app.router.add_post(
        f"{one}/severity", action_handler(signed_agent, frozenset({"severity", "reason"}), _severity_action)
    )


__all__ = ["CASES_API", "setup_case_console"]
