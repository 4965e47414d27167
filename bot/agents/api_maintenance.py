"""The agent API's planned maintenance: any agent lists windows and the downtime budget; a supervisor
schedules, changes and cancels them (bearer-token clients). Refusals by the rules are 422 with the reason."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot import maintenance as service
from bot.agents.errors import InvalidError
from bot.agents.identity import require_token
from bot.errors import ConflictError, ForbiddenError, NotFoundError
from bot.jsonbody import read_json
from bot.keys import CLOCK, INCIDENTS, SESSION_MAKER, SETTINGS
from intake.maintenance import MaintenanceError
from store import maintenance as store
from store.db import read_session
from store.models import AgentPublic, Role

log = logging.getLogger(__name__)

BASE = "/api/maintenance"
_NO_STORE = {"Cache-Control": "no-store"}


def _config(request: web.Request) -> service.MaintenanceConfig:
    return service.MaintenanceConfig.from_settings(request.app[SETTINGS], request.app[INCIDENTS].components)


def _answer(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers=_NO_STORE)


async def _supervisor(request: web.Request) -> AgentPublic:
    agent = await require_token(request)
    if agent.role is not Role.SUPERVISOR:
        raise ForbiddenError("only a supervisor schedules, changes or cancels maintenance")
    return agent


def _window_id(request: web.Request) -> int:
    raw = request.match_info["window_id"]
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise NotFoundError(f"no maintenance window {raw!r}")
    return int(raw)


async def _body(request: web.Request) -> dict[str, Any]:
    body: Any = await read_json(request) if request.can_read_body else {}
    if not isinstance(body, dict):
        raise InvalidError("send a JSON object")
    return body


def _result(done: store.Scheduled) -> dict[str, Any]:
    over = [{"k_number": b.k_number, "year": b.year, "used_hours": b.used_hours} for b in done.over]
    return {"window": done.window.to_json_dict(), "notices_queued": done.queued, "over_cap": over}


def _refused(exc: Exception) -> Exception:
    if isinstance(exc, store.MaintenanceNotFoundError):
        return NotFoundError(str(exc))
    if isinstance(exc, MaintenanceError | store.UnknownAccountError):
        return InvalidError(str(exc))
    return ConflictError(str(exc))


async def list_windows(request: web.Request) -> web.Response:
    """GET /api/maintenance: windows not yet over (?all=1: every window)."""
    await require_token(request)
    return _answer(await windows_of(request))


async def windows_of(request: web.Request) -> dict[str, Any]:
    """The windows a listing asks for (the API's and the console's)."""
    unknown = sorted(set(request.query) - {"all"})
    if unknown:
        raise InvalidError(f"unknown query parameter(s) {', '.join(unknown)}: use all")
    since = None if request.query.get("all") in ("1", "true") else request.app[CLOCK]()
    async with read_session(request.app[SESSION_MAKER]) as session:
        found = await store.list_windows(session, since=since)
    return {"windows": [w.to_json_dict() for w in found]}


async def get_budget(request: web.Request) -> web.Response:
    """GET /api/maintenance/budget[?account=K&year=Y]: scheduled downtime per account and year against the cap."""
    await require_token(request)
    return _answer(await budgets_of(request))


async def budgets_of(request: web.Request) -> dict[str, Any]:
    """The budgets a request asks for (the API's and the console's)."""
    unknown = sorted(set(request.query) - {"account", "year"})
    if unknown:
        raise InvalidError(f"unknown query parameter(s) {', '.join(unknown)}: use account, year")
    account, raw_year = request.query.get("account", "").strip(), request.query.get("year", "").strip()
    if account and not service.config_account_ok(account):
        raise InvalidError("account must be a K number like K123456")
    if raw_year and (not raw_year.isdigit() or not 2000 <= int(raw_year) <= 2100):
        raise InvalidError("year must be a year from 2000 to 2100")
    config = _config(request)
    year = int(raw_year) if raw_year else None if account else request.app[CLOCK]().astimezone(config.desk_tz).year
    async with read_session(request.app[SESSION_MAKER]) as session:
        found = await store.budgets(
            session, rules=config.rules, desk_tz=config.desk_tz, k_number=account or None, year=year
        )
    rows = [
        {"k_number": b.k_number, "year": b.year, "used_hours": b.used_hours, "cap_hours": b.cap_hours, "over": b.over}
        for b in found
    ]
    return {"budgets": rows}


async def add_window(request: web.Request) -> web.Response:
    """POST /api/maintenance: schedule a window (201)."""
    return await schedule_as(request, await _supervisor(request))


async def schedule_as(request: web.Request, agent: AgentPublic) -> web.Response:
    """Schedule the window the request asks for, as `agent` (a supervisor)."""
    config = _config(request)
    try:
        window, override = service.read_window(await _body(request), config)
        done = await service.schedule(
            request.app[SESSION_MAKER], config, window=window, override=override, actor=f"agent:{agent.name}",
            at=request.app[CLOCK](),
        )  # fmt: skip
    except (MaintenanceError, store.MaintenanceStoreError) as exc:
        raise _refused(exc) from exc
    return _answer(_result(done), status=201)


async def change_window(request: web.Request) -> web.Response:
    """PUT /api/maintenance/{id}: change a window (a new version; notices go out again)."""
    return await change_as(request, await _supervisor(request))


async def change_as(request: web.Request, agent: AgentPublic) -> web.Response:
    """Change the window the request names, as `agent` (a supervisor)."""
    wanted = _window_id(request)
    config = _config(request)
    try:
        window, override = service.read_window(await _body(request), config)
        done = await service.change(
            request.app[SESSION_MAKER], config, window_id=wanted, window=window, override=override,
            actor=f"agent:{agent.name}", at=request.app[CLOCK](),
        )  # fmt: skip
    except (MaintenanceError, store.MaintenanceStoreError) as exc:
        raise _refused(exc) from exc
    return _answer(_result(done))


async def cancel_window(request: web.Request) -> web.Response:
    """POST /api/maintenance/{id}/cancel: cancel a window; cancelling a cancelled one answers it as it is."""
    return await cancel_as(request, await _supervisor(request))


async def cancel_as(request: web.Request, agent: AgentPublic) -> web.Response:
    """Cancel the window the request names, as `agent` (a supervisor); a retry answers as the first."""
    wanted = _window_id(request)
    config = _config(request)
    try:
        done = await service.cancel(
            request.app[SESSION_MAKER], config, window_id=wanted, actor=f"agent:{agent.name}", at=request.app[CLOCK]()
        )
    except store.MaintenanceStoreError as exc:
        async with read_session(request.app[SESSION_MAKER]) as session:
            found = await store.get_window(session, window_id=wanted)
        if found is not None and found.status.value == "cancelled":  # a retry: done already
            return _answer({"window": found.to_json_dict(), "notices_queued": 0, "over_cap": []})
        raise _refused(exc) from exc
    return _answer(_result(done))


def setup_maintenance_api(app: web.Application) -> None:
    """Mount the maintenance routes under /api/maintenance."""
    app.router.add_get(BASE, list_windows)
    app.router.add_post(BASE, add_window)
    app.router.add_get(BASE + "/budget", get_budget)
    app.router.add_put(BASE + "/{window_id}", change_window)
    app.router.add_post(BASE + "/{window_id}/cancel", cancel_window)
