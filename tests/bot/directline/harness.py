"""A real gateway and a botbuilder echo bot it runs in process, on a loopback server, for the Direct Line tests."""

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
from botbuilder.schema import ChannelAccount

from bot.directline import DirectLineConfig, setup_directline
from bot.errors import error_middleware
from store.db import SessionMaker

log = logging.getLogger(__name__)

SECRET = "test-secret-" + "x" * 40
GREETING = "Hello from the echo bot"
# Long enough that a shutdown stuck on an open stream is told apart from a prompt one.
SHUTDOWN_TIMEOUT = 5.0


class EchoBot(ActivityHandler):  # type: ignore[misc]
    """Greets members who join and echoes every message; a few words make it edit, delete or fail."""

    def __init__(self) -> None:
        super().__init__()
        self.turns: list[str] = []  # the ids of the activities it took, in order

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Count the turn, then run it."""
        self.turns.append(turn_context.activity.id or "")
        await super().on_turn(turn_context)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        """Greet the user (not the bot itself)."""
        for member in members_added:
            if member.id != turn_context.activity.recipient.id:
                await turn_context.send_activity(MessageFactory.text(GREETING))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """Echo the text back; "edit" sends a draft and replaces it, "delete" sends one and takes it back."""
        text = turn_context.activity.text
        if text == "crash":
            raise RuntimeError("the echo bot was asked to fail")
        if text == "where am I?":
            data = turn_context.activity.channel_data or {}
            await turn_context.send_activity(MessageFactory.text(f"from {data.get('intake_client')}"))
            return
        if text == "edit":
            sent = await turn_context.send_activity(MessageFactory.text("draft"))
            final = MessageFactory.text("final")
            final.id = sent.id
            await turn_context.update_activity(final)
            return
        if text == "delete":
            sent = await turn_context.send_activity(MessageFactory.text("gone soon"))
            await turn_context.delete_activity(sent.id)
            return
        await turn_context.send_activity(MessageFactory.text(f"echo: {text}"))


FAILED = "the echo bot failed"


async def on_echo_error(context: TurnContext, error: Exception) -> None:
    """Say so in the conversation, as the service's own turn error handler does."""
    log.error("echo bot turn failed: %s", type(error).__name__)
    await context.send_activity(MessageFactory.text(FAILED))


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
    bot: EchoBot

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
    bot: EchoBot | None = None,
    extra: Callable[[web.Application], None] | None = None,
    **overrides: Any,
) -> AsyncIterator[Gateway]:
    """Run the gateway with an echo bot (in process, as the service runs its bot) on a real loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    settings: dict[str, Any] = {
        "secret": SECRET,
        "service_url": f"{base}/",
        "bot_name": "Echo",
        "poll_interval": timedelta(milliseconds=100),
    }
    settings.update(overrides)
    config = DirectLineConfig(**settings)
    echo = bot or EchoBot()
    app = web.Application(middlewares=[error_middleware])  # as create_app mounts it
    kwargs: dict[str, Any] = {"clock": clock} if clock is not None else {}
    setup_directline(
        app, config=config, session_maker=session_maker, bot=echo.on_turn, on_turn_error=on_echo_error, **kwargs
    )
    if extra is not None:
        extra(app)
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Gateway(base=base, http=http, app=app, config=config, bot=echo)
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
