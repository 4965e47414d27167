"""The supervisors' dashboard at /agent/dashboard: the month's figures, live over server-sent events, drawn
with Chart.js served from bot/web's node_modules (no CDN); every figure lists the cases behind it."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.agents.identity import require_role, require_session
from bot.console.assets import in_static, serve_assets
from bot.console.dashboard_report import month_report, rows
from bot.console.events import FEED, KEEPALIVE, _send, _still_signed_in
from bot.console.routes import page_handler
from bot.errors import InvalidFieldsError
from bot.keys import CLOCK, POLICY, SESSION_MAKER
from intake.availability import Month
from store.db import read_session
from store.models import AgentPublic, Role
from store.report_model import report_json

log = logging.getLogger(__name__)

API = "/agent/console/dashboard"
STATIC = "/agent/dashboard/static"
CHART_JS = Path(__file__).resolve().parents[1] / "web" / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
FILES = in_static("dashboard.js", "dashboard.css") | {"chart.js": CHART_JS}
# Without a change the console feed hears of (a handoff), the figures are read again this often.
REFRESH = KEEPALIVE
_MONTH = re.compile(r"\d{4}-\d{2}")


async def _supervisor(request: web.Request) -> AgentPublic:
    agent, _ = await require_session(request, csrf=False)
    require_role(agent, Role.SUPERVISOR, action="see the dashboard")
    return agent


def _month(request: web.Request) -> Month:
    unknown = sorted(set(request.query) - {"month"})
    if unknown:
        raise InvalidFieldsError(f"unknown query parameter(s) {', '.join(unknown)}: use month")
    raw = request.query.get("month", "").strip()
    if not raw:
        return Month.of(request.app[CLOCK](), request.app[POLICY].chat.tz)
    try:
        if not _MONTH.fullmatch(raw):
            raise ValueError(f"{raw[:20]!r} is not a month like 2026-11 (YYYY-MM)")
        return Month.parse(raw)
    except ValueError as exc:
        raise InvalidFieldsError(str(exc)) from exc


async def figures(app: web.Application, month: Month) -> dict[str, Any]:
    """The month's report as the page gets it: the figures, and the rows `intake report` prints."""
    async with read_session(app[SESSION_MAKER]) as session:
        report = await month_report(session, app[POLICY], month, app[CLOCK]())
    return {"report": report_json(report), "rows": [list(row) for row in rows(report)]}


async def data(request: web.Request) -> web.Response:
    """GET /agent/console/dashboard?month=YYYY-MM: the figures once (supervisors)."""
    await _supervisor(request)
    body = await figures(request.app, _month(request))
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def stream(request: web.Request) -> web.StreamResponse:
    """GET /agent/console/dashboard/events?month=: a `figures` event now, and again whenever they change."""
    await _supervisor(request)
    month = _month(request)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
            "X-Content-Type-Options": "nosniff",
        }
    )
    await response.prepare(request)
    last = ""
    with request.app[FEED].subscribe() as subscription:
        subscription.wake()
        while True:
            await subscription.wait(REFRESH.total_seconds())
            if subscription.closed:
                break
            subscription.clear()
            # Every round re-checks the session: a supervisor signed out or disabled stops getting figures.
            if not await _still_signed_in(request):
                await _send(request, response, b"event: signed_out\ndata: {}\n\n")
                break
            payload = json.dumps(await figures(request.app, month), separators=(",", ":"))
            frame = f"event: figures\ndata: {payload}\n\n" if payload != last else ": unchanged\n\n"
            last = payload
            if not await _send(request, response, frame.encode()):
                log.debug("dashboard stream ended: the client went away")
                break
    return response


def setup_dashboard(app: web.Application) -> None:
    """Mount the dashboard (after the console's events, whose feed wakes it)."""
    app.router.add_get("/agent/dashboard", page_handler("dashboard.html", role=Role.SUPERVISOR))
    serve_assets(app, STATIC, FILES)
    app.router.add_get(API, data)
    app.router.add_get(f"{API}/events", stream, allow_head=False)
