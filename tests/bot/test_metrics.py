"""Prometheus metrics: off by default, on their own loopback listener (never the main port), and they move
when the service works (a turn, a request, a background round)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_app
from bot.keys import CLOCK, SESSION_MAKER
from bot.metrics import METRICS
from bot.periodic import ROUNDS
from bot.settings import load_settings
from store.outbox import NewOutboxItem, enqueue, mark_sent
from tests.bot.conftest import FakeClock, free_port

_DONE = web.AppKey("test_rounds_done", asyncio.Event)

# Label values may hold braces (route patterns such as /v3/.../{conversationId}/activities).
_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition `text` (0 when it is absent)."""
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None or match["name"] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match["value"])
    return 0.0


@asynccontextmanager
async def serving(db_url: str, **settings: Any) -> AsyncIterator[tuple[web.Application, str, aiohttp.ClientSession]]:
    port = free_port()
    app = create_app(load_settings(port=port, **settings), clock=FakeClock(), database_url=db_url)
    rounds_done = asyncio.Event()
    app[ROUNDS][0].observers.append(lambda *_: rounds_done.set())  # set before the rounds start
    app[_DONE] = rounds_done
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as http:
            yield app, f"http://127.0.0.1:{port}", http
    finally:
        await runner.cleanup()


async def _scrape(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        return await response.text()


async def _turn(http: aiohttp.ClientSession, base: str, text: str) -> None:
    activity = {
        "type": "message",
        "text": text,
        "conversation": {"id": "metrics-1"},
        "from": {"id": "me"},
        "recipient": {"id": "bot"},
        "channelId": "test",
        "deliveryMode": "expectReplies",
    }
    async with http.post(f"{base}/api/messages", json=activity) as response:
        assert response.status == 200, await response.text()


async def test_off_by_default_and_never_on_the_main_port(db_url: str) -> None:
    assert load_settings().metrics == "off"
    metrics_port = free_port()
    async with serving(db_url, metrics_port=metrics_port) as (app, base, http):
        assert METRICS not in app
        async with http.get(f"{base}/metrics") as response:
            assert response.status == 404
        try:
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                raise AssertionError(f"metrics answered while off: {response.status}")
        except aiohttp.ClientConnectorError:
            pass  # nobody listens there


async def test_scrape_shows_turns_latency_requests_rounds_pool_and_outbox(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    metrics_port = free_port()
    async with serving(db_url, metrics="on", metrics_port=metrics_port, sla_watch_seconds=3600) as (app, base, http):
        url = f"http://127.0.0.1:{metrics_port}/metrics"
        async with http.get(f"{base}/metrics") as response:
            assert response.status == 404  # the main port (the one a proxy forwards to) has no metrics
        before = await _scrape(http, url)
        await _turn(http, base, "K123456 how do I export a study to CD?")
        after = await _scrape(http, url)

        labels = {"channel": "bot_framework", "kind": "message", "outcome": "ok"}
        assert sample(after, "intake_turns_total", **labels) == sample(before, "intake_turns_total", **labels) + 1
        count = "intake_turn_seconds_count"
        assert sample(after, count, channel="bot_framework") == sample(before, count, channel="bot_framework") + 1
        route = {"route": "/api/messages", "method": "POST"}
        assert sample(after, "intake_http_request_seconds_count", **route) == 1
        # The background rounds ran once at start-up (every hour after that in this test).
        await asyncio.wait_for(app[_DONE].wait(), 10)
        rounds = await _scrape(http, url)
        job = app[ROUNDS][0]._what
        assert sample(rounds, "intake_background_rounds_total", job=job, outcome="ok") >= 1
        assert sample(rounds, "intake_background_rounds_total", job="SLA watch", outcome="ok") >= 1
        assert sample(after, "intake_db_pool_connections", state="size") >= 1
        assert "intake_directline_streams 0.0" in after
        # No customer data in any label: the conversation id, K# and words are nowhere in the exposition.
        for secret in ("metrics-1", "123456", "export"):
            assert secret not in after

        # Outbox depth: an item waiting shows under its kind, and moves when it is delivered.
        async with app[SESSION_MAKER]() as session, session.begin():
            item = await enqueue(
                session, item=NewOutboxItem(kind="metrics_test", payload={}), case_id=None, now=app[CLOCK]()
            )
        assert item is not None
        waiting = await _scrape(http, url)
        assert sample(waiting, "intake_outbox_items", kind="metrics_test", status="pending") == 1
        await mark_sent(app[SESSION_MAKER], item_id=item.id, at=app[CLOCK]())
        delivered = await _scrape(http, url)
        assert sample(delivered, "intake_outbox_items", kind="metrics_test", status="pending") == 0
        assert sample(delivered, "intake_outbox_sent", kind="metrics_test") == 1
    assert "metrics:" not in caplog.text  # every scrape had its database figures
