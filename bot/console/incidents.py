"""The console's incidents page at /agent/incidents: each incident with its linked cases (each a link to the
case's page), open one by hand, link and detach cases, post updates to every linked customer, resolve.

The operations are the agent API's (bot/agents/api_incidents.py); only who asks differs: the console's
signed-in agent, whose state-changing requests carry the session's CSRF token.
"""

from __future__ import annotations

from aiohttp import web

from bot.agents import api_incidents as incidents
from bot.agents.identity import require_session
from bot.console.assets import in_static, serve_assets
from bot.console.routes import page_handler
from bot.keys import INCIDENTS, SESSION_MAKER
from store import incidents as store
from store.db import read_session
from store.models import AgentPublic, Role

INCIDENTS_API = "/agent/console/incidents"
STATIC = "/agent/static/incidents"


async def _signed(request: web.Request) -> tuple[AgentPublic, str]:
    # A state-changing request: the session's CSRF token is checked; the history names the agent.
    agent, _ = await require_session(request, csrf=True)
    return agent, agent.name


async def _reader(request: web.Request) -> object:
    return await require_session(request, csrf=False)


async def incident_page(request: web.Request) -> web.Response:
    """GET /agent/console/incidents?status=: every incident with its cases and updates, and the components."""
    await require_session(request, csrf=False)
    status, limit = incidents.list_query(request)
    config = request.app[INCIDENTS]
    async with read_session(request.app[SESSION_MAKER]) as session:
        found = await store.list_incidents(session, status=status, limit=limit)
        details = [await incidents.incident_detail(session, incident, config) for incident in found]
    components = [{"key": c.key, "label": c.label} for c in config.components.items]
    return web.json_response({"incidents": details, "components": components}, headers={"Cache-Control": "no-store"})


def setup_incident_console(app: web.Application) -> None:
    """Mount the incidents page, its files and its JSON endpoints."""
    app.router.add_get("/agent/incidents", page_handler("incidents.html", role=Role.AGENT))
    serve_assets(app, STATIC, in_static("incidents.js", "incidents.css"))
    incidents.mount_incidents(app, INCIDENTS_API, _signed, _reader, listing=incident_page)


__all__ = ["INCIDENTS_API", "setup_incident_console"]
