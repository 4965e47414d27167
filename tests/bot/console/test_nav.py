"""The console's links: the same on every page, only what the agent's role may open."""

from __future__ import annotations

import re

from bot.console.routes import nav_links
from store.models import Role


def _targets(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_an_agent_sees_no_supervisor_pages() -> None:
    assert _targets(nav_links(Role.AGENT, "/agent/cases")) == [
        "/agent",
        "/agent/cases",
        "/agent/incidents",
        "/agent/password",
    ]


def test_a_supervisor_sees_every_page_and_the_open_one_is_marked() -> None:
    links = nav_links(Role.SUPERVISOR, "/agent/dashboard")
    assert _targets(links) == [
        "/agent",
        "/agent/cases",
        "/agent/incidents",
        "/agent/supervisor",
        "/agent/dashboard",
        "/agent/maintenance",
        "/agent/surveys",
        "/agent/password",
    ]
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', links) == ["/agent/dashboard"]
