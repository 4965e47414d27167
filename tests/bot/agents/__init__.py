"""Agent accounts and the agent API, tested through a running service; shared harness below."""

from __future__ import annotations

import argparse
import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse, ClientSession, CookieJar, web

from bot.agents import add_agent_commands, run_agent_command, setup_agent_api, setup_auth
from bot.agents.identity import current_agent, require_agent, require_session
from bot.app import create_app
from bot.keys import SESSION_MAKER
from bot.settings import load_settings
from store.agents import set_presence
from store.db import SessionMaker, create_engine, session_factory
from tests.bot.conftest import FakeClock, free_port

WRONG = "name or password is wrong"


def _paths(app: web.Application) -> set[str]:
    return {route.resource.canonical for route in app.router.routes() if route.resource is not None}


async def _whoami(request: web.Request) -> web.Response:
    agent = await current_agent(request)
    return web.json_response({"agent": None if agent is None else agent.to_json_dict()})


async def _page(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    return web.Response(text=f"console of {agent.name}")


async def _read(request: web.Request) -> web.Response:
    agent, csrf = await require_session(request, csrf=False)
    return web.json_response({"agent": agent.name, "csrf_token": csrf})


async def _away(request: web.Request) -> web.Response:
    # A state-changing console request, as the console engineer writes them.
    agent, _ = await require_session(request, csrf=True)
    sessions: SessionMaker = request.app[_SESSIONS]
    async with sessions() as session, session.begin():
        changed = await set_presence(session, agent_id=agent.id, presence="away")
    return web.json_response({"presence": changed.presence.value})


_SESSIONS = web.AppKey("test_sessions", SessionMaker)


def wire(app: web.Application) -> None:
    """Mount auth and the API unless the app factory already does, plus probe routes using the helpers."""
    paths = _paths(app)
    if "/agent/sign-in" not in paths:
        setup_auth(app)
    if "/api/me" not in paths:
        setup_agent_api(app)
    app[_SESSIONS] = app[SESSION_MAKER]
    app.router.add_get("/test/whoami", _whoami)
    app.router.add_get("/test/page", _page)
    app.router.add_get("/test/read", _read)
    app.router.add_post("/test/away", _away)


@dataclass
class AgentService:
    """A running service with auth and the agent API, a cookie-keeping client and CLI access."""

    base_url: str
    http: ClientSession
    app: web.Application
    clock: FakeClock
    db_url: str

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def cli(self, *argv: str) -> list[str]:
        """Run `intake agents ...` on the service's database; return the output lines."""
        return await run_cli(self.db_url, *argv)

    async def add_agent(self, name: str, role: str = "agent") -> str:
        """Add an agent through the CLI and return its one-time password."""
        return (await self.cli("add", name, "--email", f"{name}@example.com", "--role", role))[-1]

    async def token(self, name: str) -> str:
        return (await self.cli("token", name))[-1]

    async def sign_in(
        self, name: str, password: str, *, http: ClientSession | None = None, form: bool = False, **kwargs: Any
    ) -> tuple[int, Any, ClientResponse]:
        """POST /agent/sign-in as JSON (or a form); returns status, body (JSON or text) and the response."""
        client = http or self.http
        data = {"name": name, "password": password}
        payload: dict[str, Any] = {"data": data} if form else {"json": data}
        async with client.post(self.url("/agent/sign-in"), allow_redirects=False, **payload, **kwargs) as response:
            body = await (response.json() if response.content_type == "application/json" else response.text())
            return response.status, body, response

    async def signed_in(self, name: str, role: str = "agent", password: str = "a long new password 1") -> str:
        """Add an agent, sign in with the one-time password, choose `password`; return the CSRF token."""
        once = await self.add_agent(name, role)
        status, body, _ = await self.sign_in(name, once)
        assert status == 200 and body["password_change_required"] is True, body
        async with self.http.post(
            self.url("/agent/password"), json={"new_password": password}, headers={"X-CSRF-Token": body["csrf_token"]}
        ) as response:
            assert response.status == 200, await response.text()
            return str((await response.json())["csrf_token"])

    @asynccontextmanager
    async def store(self) -> AsyncIterator[SessionMaker]:
        """A session factory of its own on the service's database."""
        engine = create_engine(self.db_url)
        try:
            yield session_factory(engine)
        finally:
            await engine.dispose()


def agents_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intake")
    add_agent_commands(parser.add_subparsers(dest="command", required=True))
    return parser


async def run_cli(db_url: str, *argv: str) -> list[str]:
    args = agents_parser().parse_args(["agents", *argv])
    out = io.StringIO()
    settings = load_settings(database_url=db_url)
    # The command runs its own event loop, as from a shell: give it a thread.
    code = await asyncio.to_thread(run_agent_command, args, settings, out)
    assert code == 0
    return out.getvalue().splitlines()


@asynccontextmanager
async def running(db_url: str, clock: FakeClock | None = None, **settings: Any) -> AsyncIterator[AgentService]:
    """Start the service on loopback with auth and the API wired."""
    clock = clock or FakeClock()
    port = free_port()
    app = create_app(load_settings(port=port, **settings), clock=clock, database_url=db_url)
    wire(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        # unsafe: keep cookies for an IP-address host (127.0.0.1).
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
            yield AgentService(f"http://127.0.0.1:{port}", http, app, clock, db_url)
    finally:
        await runner.cleanup()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
