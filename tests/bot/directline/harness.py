"""A real gateway and a stock botbuilder echo bot on one loopback server, for the Direct Line tests."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import ChannelAccount

from bot.directline import DirectLineConfig, setup_directline
from bot.directline.connector import PeerCheck, connector_peer_allowed
from store.db import SessionMaker

log = logging.getLogger(__name__)

SECRET = "test-secret-" + "x" * 40
GREETING = "Hello from the echo bot"
# Long enough that a shutdown stuck on an open stream is told apart from a prompt one.
SHUTDOWN_TIMEOUT = 5.0


class EchoBot(ActivityHandler):  # type: ignore[misc]
    """Greets members who join and echoes every message."""

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        """Greet the user (not the bot itself)."""
        for member in members_added:
            if member.id != turn_context.activity.recipient.id:
                await turn_context.send_activity(MessageFactory.text(GREETING))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """Echo the text back."""
        await turn_context.send_activity(MessageFactory.text(f"echo: {turn_context.activity.text}"))

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Run the turn, then close the connector client the stock CloudAdapter built for it.

        botbuilder 4.17.1 builds a new client per turn and never closes it; left to the garbage collector,
        its socket surfaces as a ResourceWarning in whichever later test happens to collect it.
        """
        try:
            await super().on_turn(turn_context)
        finally:
            client = turn_context.turn_state.get(CloudAdapter.BOT_CONNECTOR_CLIENT_KEY)
            if client is not None:
                await client.__aexit__(None, None, None)


class _NoAppId:
    # What ConfigurationBotFrameworkAuthentication reads: no app id means no authentication either way.
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


def add_echo_bot(app: web.Application) -> None:
    """Serve the echo bot at /api/messages behind a stock CloudAdapter with no app id."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_NoAppId()))
    bot = EchoBot()

    async def on_error(context: TurnContext, error: Exception) -> None:
        log.error("echo bot turn failed: %r", error)

    adapter.on_turn_error = on_error

    async def messages(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await adapter.process(request, bot)
        return response

    app.router.add_post("/api/messages", messages)


@dataclass
class FakeClock:
    """A clock tests move by hand."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        """Return the current fake instant."""
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self.now += delta


@dataclass
class Gateway:
    """A running server: its base URL, an HTTP client, and the app."""

    base: str
    http: aiohttp.ClientSession
    app: web.Application
    config: DirectLineConfig

    @property
    def ws_base(self) -> str:
        """Return the ws:// base URL."""
        return "ws" + self.base.removeprefix("http")

    async def token(self) -> dict[str, Any]:
        """Get a token (and its new conversation) from the website's endpoint."""
        async with self.http.post(f"{self.base}/api/webchat/token") as response:
            assert response.status == 200, await response.text()
            data: dict[str, Any] = await response.json()
            return data

    async def start(self, token: str) -> dict[str, Any]:
        """Start the conversation of `token`."""
        async with self.http.post(f"{self.base}/v3/directline/conversations", headers=auth(token)) as response:
            assert response.status in (200, 201), await response.text()
            data: dict[str, Any] = await response.json()
            return data

    async def post(self, token: str, conversation_id: str, activity: dict[str, Any]) -> aiohttp.ClientResponse:
        """Post an activity and return the (read) response."""
        url = f"{self.base}/v3/directline/conversations/{conversation_id}/activities"
        async with self.http.post(url, json=activity, headers=auth(token)) as response:
            await response.read()
            return response

    async def activities(self, token: str, conversation_id: str, watermark: str | None = None) -> dict[str, Any]:
        """GET the activities after `watermark`."""
        url = f"{self.base}/v3/directline/conversations/{conversation_id}/activities"
        params = {} if watermark is None else {"watermark": watermark}
        async with self.http.get(url, params=params, headers=auth(token)) as response:
            assert response.status == 200, await response.text()
            data: dict[str, Any] = await response.json()
            return data

    async def wait_for(
        self, token: str, conversation_id: str, predicate: Callable[[dict[str, Any]], bool], wait_s: float = 10
    ) -> dict[str, Any]:
        """Poll GET activities until one matches `predicate`; return it."""
        deadline = asyncio.get_running_loop().time() + wait_s
        while asyncio.get_running_loop().time() < deadline:
            activities: list[dict[str, Any]] = (await self.activities(token, conversation_id))["activities"]
            for activity in activities:
                if predicate(activity):
                    return activity
            await asyncio.sleep(0.05)
        raise AssertionError("no matching activity arrived")


def auth(token: str) -> dict[str, str]:
    """Return the Authorization header for `token`."""
    return {"Authorization": f"Bearer {token}"}


def is_text(text: str) -> Callable[[dict[str, Any]], bool]:
    """Match a message activity with exactly `text`."""
    return lambda activity: activity.get("type") == "message" and activity.get("text") == text


@asynccontextmanager
async def running_gateway(
    session_maker: SessionMaker,
    *,
    clock: Callable[[], datetime] | None = None,
    peer_allowed: PeerCheck = connector_peer_allowed,
    extra: Callable[[web.Application], None] | None = None,
    bot_path: str = "/api/messages",
    **overrides: Any,
) -> AsyncIterator[Gateway]:
    """Run gateway + echo bot on a real loopback port (the bot's connector client calls back into it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    settings: dict[str, Any] = {
        "secret": SECRET,
        "bot_endpoint": f"{base}{bot_path}",
        "service_url": f"{base}/",
        "bot_name": "Echo",
        "poll_interval": timedelta(milliseconds=100),
    }
    settings.update(overrides)
    config = DirectLineConfig(**settings)
    app = web.Application()
    kwargs: dict[str, Any] = {"config": config, "session_maker": session_maker, "peer_allowed": peer_allowed}
    if clock is not None:
        kwargs["clock"] = clock
    setup_directline(app, **kwargs)
    add_echo_bot(app)
    if extra is not None:
        extra(app)
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Gateway(base=base, http=http, app=app, config=config)
    finally:
        await runner.cleanup()


async def next_frame(ws: aiohttp.ClientWebSocketResponse, wait_s: float = 10) -> dict[str, Any]:
    """Return the next non-empty ActivitySet frame of a stream."""
    while True:
        message = await asyncio.wait_for(ws.receive(), wait_s)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        if message.data:
            frame: dict[str, Any] = json.loads(message.data)
            return frame


async def frames_until(
    ws: aiohttp.ClientWebSocketResponse, predicate: Callable[[dict[str, Any]], bool], wait_s: float = 10
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read frames until an activity matches; return it and every activity seen so far."""
    seen: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        frame = await next_frame(ws, max(0.1, deadline - asyncio.get_running_loop().time()))
        for activity in frame["activities"]:
            seen.append(activity)
            if predicate(activity):
                return activity, seen
