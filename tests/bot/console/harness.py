"""A running service with signed-in agents (cookie + CSRF) and Direct Line customers, for the console tests."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, CookieJar, web
from playwright.async_api import Page, expect

from bot.agents.passwords import hash_password
from bot.keys import SESSION_MAKER
from store.agents import create_agent, disable_agent
from store.db import SessionMaker
from store.models import AgentPublic
from tests.bot.conftest import FakeClock, start_service

PASSWORD = "correct horse battery staple"
WAIT_S = 10.0


@dataclass
class Agent:
    """A signed-in console user: their own cookie jar and CSRF token."""

    base_url: str
    http: ClientSession
    agent: AgentPublic
    csrf: str = ""

    async def call(
        self, method: str, path: str, body: Any = None, *, csrf: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """One console API call; state-changing ones carry the CSRF token (or the one given)."""
        headers = {"Accept": "application/json"}
        if method != "GET":
            headers["X-CSRF-Token"] = self.csrf if csrf is None else csrf
        kwargs: dict[str, Any] = {"headers": headers, "allow_redirects": False}
        if body is not None:
            kwargs["json"] = body
        async with self.http.request(method, f"{self.base_url}/agent/console{path}", **kwargs) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else {})

    async def ok(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        status, data = await self.call(method, path, body)
        assert status == 200, (status, data)
        return data


@dataclass
class Customer:
    """A website visitor talking through the Direct Line gateway, as Web Chat does."""

    base_url: str
    http: ClientSession
    token: str
    conversation_id: str
    seen: int = 0

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def say(self, text: str) -> None:
        url = f"{self.base_url}/v3/directline/conversations/{self.conversation_id}/activities"
        body = {"type": "message", "from": {"id": "visitor"}, "text": text}
        async with self.http.post(url, json=body, headers=self._auth) as response:
            assert response.status == 200, await response.text()

    async def activities(self) -> list[dict[str, Any]]:
        url = f"{self.base_url}/v3/directline/conversations/{self.conversation_id}/activities"
        async with self.http.get(url, headers=self._auth) as response:
            assert response.status == 200, await response.text()
            return list((await response.json())["activities"])

    async def bot_texts(self) -> list[str]:
        """Every message the customer has been shown (bot and agent alike: both speak as the bot)."""
        return [
            a.get("text") or ""
            for a in await self.activities()
            if a.get("type") == "message" and (a.get("from") or {}).get("role") == "bot"
        ]

    async def new_texts(self) -> list[str]:
        """Messages shown since the last call."""
        texts = await self.bot_texts()
        fresh, self.seen = texts[self.seen :], len(texts)
        return fresh

    async def wait_for(self, fragment: str, wait_s: float = WAIT_S) -> str:
        """Wait until a message containing `fragment` is shown; return it."""
        found: str = await eventually(lambda: self._find(fragment), wait_s)
        return found

    async def _find(self, fragment: str) -> str | None:
        return next((t for t in await self.bot_texts() if fragment in t), None)


async def eventually(probe: Callable[[], Any], wait_s: float = WAIT_S) -> Any:
    """Poll an async probe until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition never held")
        await asyncio.sleep(0.05)


@dataclass
class Site:
    """The service, its clock and database, and the clients the test opened."""

    base_url: str
    app: web.Application
    clock: FakeClock
    db_url: str
    clients: list[ClientSession] = field(default_factory=list)

    @property
    def sessions(self) -> SessionMaker:
        return self.app[SESSION_MAKER]

    def _client(self) -> ClientSession:
        # unsafe: keep cookies for an IP-address host (127.0.0.1).
        client = ClientSession(cookie_jar=CookieJar(unsafe=True))
        self.clients.append(client)
        return client

    async def add_agent(self, name: str, *, role: str = "agent") -> AgentPublic:
        async with self.sessions() as session, session.begin():
            return await create_agent(
                session, name=name, email="", role=role, password_hash=hash_password(PASSWORD), at=self.clock()
            )

    async def disable(self, name: str) -> None:
        async with self.sessions() as session, session.begin():
            await disable_agent(session, name=name, at=self.clock())

    async def sign_in(self, name: str, *, role: str = "agent", available: bool = True) -> Agent:
        """Create the agent, sign in through the JSON form of /agent/sign-in, and set presence."""
        created = await self.add_agent(name, role=role)
        http = self._client()
        async with http.post(f"{self.base_url}/agent/sign-in", json={"name": name, "password": PASSWORD}) as response:
            assert response.status == 200, await response.text()
            csrf = (await response.json())["csrf_token"]
        agent = Agent(self.base_url, http, created, csrf)
        if available:
            await agent.ok("POST", "/presence", {"presence": "available"})
        return agent

    async def customer(self) -> Customer:
        """Open a website chat (token, then start: the bot greets)."""
        http = self._client()
        async with http.post(f"{self.base_url}/api/webchat/token") as response:
            assert response.status == 200, await response.text()
            data = await response.json()
        customer = Customer(self.base_url, http, data["token"], data["conversationId"])
        url = f"{self.base_url}/v3/directline/conversations"
        async with http.post(url, headers={"Authorization": f"Bearer {customer.token}"}) as response:
            assert response.status in (200, 201), await response.text()
        await customer.wait_for("K#")
        return customer


@asynccontextmanager
async def running_site(db_url: str, clock: FakeClock | None = None, **settings: Any) -> AsyncIterator[Site]:
    """Start the whole service on loopback."""
    clock = clock or FakeClock()
    runner, base_url = await start_service(db_url, clock, **settings)
    site = Site(base_url, runner.app, clock, db_url)
    try:
        yield site
    finally:
        # The service first, with the clients' streams still open: shutdown must end them itself.
        await runner.cleanup()
        for client in site.clients:
            await client.close()


async def hand_off(customer: Customer, *, with_case: bool) -> None:
    """Take the customer through the dialogue to the live-agent queue."""
    if with_case:
        await customer.say("K123456 how do I export a report to PDF?")
    await customer.say("talk to an agent")
    await customer.wait_for("in the queue for a live agent")


async def sign_in_in_browser(page: Page, base_url: str, name: str, *, opening: str = "/agent") -> None:
    """Open a console page signed out, sign in as `name` on the page it sends to, land on the console."""
    await page.goto(f"{base_url}{opening}")
    await expect(page).to_have_url(re.compile(r"/agent/sign-in$"))
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/agent$"))
