"""A running intake service on loopback, with an adjustable clock, for HTTP-level tests."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import ClientSession, web

from bot.app import create_app
from bot.settings import load_settings
from store.cases import list_cases
from store.db import create_engine, session_factory
from store.models import CasePublic

ET = ZoneInfo("America/New_York")
TUESDAY_10AM = datetime(2026, 11, 24, 10, 0, tzinfo=ET)
SATURDAY_3AM = datetime(2026, 11, 28, 3, 0, tzinfo=ET)


@dataclass
class FakeClock:
    """The service's clock, set by the test."""

    now: datetime = TUESDAY_10AM

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Service:
    """A started app and an HTTP client to it."""

    base_url: str
    http: ClientSession
    app: web.Application
    clock: FakeClock
    db_url: str
    conversation: str = "conv-1"
    counter: int = field(default=0)

    async def post_activity(self, activity: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
        async with self.http.post(f"{self.base_url}/api/messages", json=activity, **kwargs) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else None)

    async def say(
        self, text: str | None = None, *, conversation: str | None = None, **extra: Any
    ) -> list[dict[str, Any]]:
        """One customer turn with expectReplies; returns the bot's activities."""
        self.counter += 1
        activity: dict[str, Any] = {
            "type": "message",
            "id": f"act-{self.counter}",
            "channelId": "webchat",
            "conversation": {"id": conversation or self.conversation},
            "from": {"id": "user-1", "role": "user"},
            "recipient": {"id": "bot"},
            "deliveryMode": "expectReplies",
            **extra,
        }
        if text is not None:
            activity["text"] = text
        status, body = await self.post_activity(activity)
        assert status == 200, body
        return list(body["activities"])

    async def join(self, *, conversation: str | None = None) -> list[dict[str, Any]]:
        return await self.say(
            None, conversation=conversation, type="conversationUpdate", membersAdded=[{"id": "user-1"}]
        )


def texts(activities: list[dict[str, Any]]) -> str:
    """All message text of a turn, one string, for fragment assertions."""
    return "\n".join(a.get("text") or "" for a in activities if a.get("type") == "message")


def buttons(activities: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for activity in activities:
        found += [a["title"] for a in (activity.get("suggestedActions") or {}).get("actions", [])]
    return found


def _ephemeral_ports() -> range:
    try:
        low, high = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    return range(low, high + 1)


_EPHEMERAL = _ephemeral_ports()
_LISTEN_PORTS = [p for p in range(10_000, 32_768) if p not in _EPHEMERAL]


def free_port() -> int:
    """A loopback port free to listen on, outside the kernel's range for outgoing connections.

    The gateway (and a process started by a test) must know its own URL before it listens, so the port is
    picked first. A port from the ephemeral range could meanwhile become the local end of one of the many
    connections a test opens (to PostgreSQL, to the service), and the listener would fail to bind.
    """
    for port in random.sample(_LISTEN_PORTS, 200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port outside the ephemeral range")


async def start_service(db_url: str, clock: FakeClock, **settings: Any) -> tuple[web.AppRunner, str]:
    port = free_port()
    app = create_app(load_settings(port=port, **settings), clock=clock, database_url=db_url)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def service(db_url: str) -> AsyncIterator[Service]:
    clock = FakeClock()
    runner, base_url = await start_service(db_url, clock)
    async with ClientSession() as http:
        yield Service(base_url=base_url, http=http, app=runner.app, clock=clock, db_url=db_url)
    await runner.cleanup()


async def stored_cases(db_url: str) -> list[CasePublic]:
    """The cases in the service's database, newest first."""
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return await list_cases(session)
    finally:
        await engine.dispose()
