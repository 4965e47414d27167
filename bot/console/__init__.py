"""The agent console: the live queue, live chat with customers, case actions, and the supervisor view."""

from __future__ import annotations

from aiohttp import web

from bot.console.dashboard import setup_dashboard
from bot.console.events import setup_events
from bot.console.incidents import setup_incident_console
from bot.console.maintenance import setup_maintenance_console
from bot.console.routes import setup_routes


def setup_console(app: web.Application) -> None:
    """Mount the console on `app` (after setup_handoff, whose service it drives)."""
    setup_routes(app)
    setup_events(app)
    setup_dashboard(app)
    setup_incident_console(app)
    setup_maintenance_console(app)


__all__ = ["setup_console"]
