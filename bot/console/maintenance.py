"""The console's planned maintenance page at /agent/maintenance, for supervisors: the windows (overrides shown
with their reasons), schedule, change and cancel one, and each account's scheduled downtime this year against
the yearly cap.

The operations are the agent API's (bot/agents/api_maintenance.py); only who asks differs: the signed-in
supervisor, whose state-changing requests carry the session's CSRF token.
"""

from __future__ import annotations

from aiohttp import web

from bot.agents import api_maintenance as api
from bot.agents.identity import require_role, require_session
from bot.console.assets import in_static, serve_assets
from bot.console.routes import page_handler
from bot.keys import INCIDENTS
from store.models import AgentPublic, Role

MAINTENANCE_API = "/agent/console/maintenance"
STATIC = "/agent/static/maintenance"
_NO_STORE = {"Cache-Control": "no-store"}


async def _supervisor(request: web.Request, *, csrf: bool) -> AgentPublic:
    agent, _ = await require_session(request, csrf=csrf)
    require_role(agent, Role.SUPERVISOR, action="plan maintenance")
    return agent


async def listing(request: web.Request) -> web.Response:
    """GET /agent/console/maintenance[?all=1]: the windows, this year's budgets and the component keys."""
    await _supervisor(request, csrf=False)
    windows = await api.windows_of(request)
    # The budgets take no parameter of the page's: this year's, every account with scheduled downtime.
    budgets = await api.budgets_of(request.clone(rel_url=request.rel_url.with_query({})))
    components = [{"key": c.key, "label": c.label} for c in request.app[INCIDENTS].components.items]
    return web.json_response({**windows, **budgets, "components": components}, headers=_NO_STORE)


async def schedule(request: web.Request) -> web.Response:
    return await api.schedule_as(request, await _supervisor(request, csrf=True))


async def change(request: web.Request) -> web.Response:
    return await api.change_as(request, await _supervisor(request, csrf=True))


async def cancel(request: web.Request) -> web.Response:
    return await api.cancel_as(request, await _supervisor(request, csrf=True))


def setup_maintenance_console(app: web.Application) -> None:
    """Mount the maintenance page, its files and its JSON endpoints."""
    app.router.add_get("/agent/maintenance", page_handler("maintenance.html", role=Role.SUPERVISOR))
    serve_assets(app, STATIC, in_static("maintenance.js", "maintenance.css"))
    app.router.add_get(MAINTENANCE_API, listing)
    app.router.add_post(MAINTENANCE_API, schedule)
    app.router.add_put(MAINTENANCE_API + "/{window_id}", change)
    app.router.add_post(MAINTENANCE_API + "/{window_id}/cancel", cancel)


__all__ = ["MAINTENANCE_API", "setup_maintenance_console"]
