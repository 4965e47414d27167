"""The live queue stream: the current queue first, then every change, from this process or another."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from bot.console import events
from bot.signal import Subscription
from store.db import create_engine, session_factory
from store.handoffs import create_handoff
from store.notify import bus_for
from tests.bot.logcheck import tracebacks

from .harness import Agent, hand_off, running_site


async def _next_event(response: aiohttp.ClientResponse, wait_s: float = 5.0) -> tuple[str, dict[str, Any]]:
    """Read one server-sent event (skipping keepalive comments)."""
    name, data = "", ""
    while True:
        raw = await asyncio.wait_for(response.content.readline(), wait_s)
        if not raw:
            raise AssertionError("the stream ended")
        line = raw.decode().rstrip("\n")
        if line.startswith(":"):
            continue
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif line == "" and name:
            return name, json.loads(data)


async def _open(agent: Agent) -> aiohttp.ClientResponse:
    response = await agent.http.get(f"{agent.base_url}/agent/console/events")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    return response


async def test_the_stream_sends_the_queue_then_each_change(db_url: str) -> None:
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        stream = await _open(alice)
        try:
            name, first = await _next_event(stream)
            assert name == "queue" and first["items"] == [] and first["now"].startswith("2026-11-24T10:00")
            customer = await site.customer()
            await hand_off(customer, with_case=True)
            name, data = await _next_event(stream)
            while not data["items"]:
                name, data = await _next_event(stream)
            item = data["items"][0]
            assert item["status"] == "queued" and item["severity"] == 4 and item["response_due"]
            await alice.ok("POST", f"/handoffs/{item['id']}/claim")
            while data["items"][0]["status"] != "active":
                _, data = await _next_event(stream)
            assert data["items"][0]["agent"]["name"] == "alice"
            # A customer's message bumps the version, so the agent's open conversation reloads.
            version = data["items"][0]["version"]
            await customer.say("still there?")
            while data["items"][0]["version"] == version:
                _, data = await _next_event(stream)
        finally:
            stream.close()


async def test_changes_made_by_another_process_arrive_through_its_notice_or_the_poll(db_url: str) -> None:
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        stream = await _open(alice)
        other = create_engine(db_url)  # another process's connection: no in-process wake-up reaches us
        # Its notice bus: on PostgreSQL the feed no longer polls, so without the notice nothing would arrive.
        bus = bus_for(other.url)
        await bus.start()
        try:
            await _next_event(stream)
            async with session_factory(other)() as session, session.begin():
                await create_handoff(
                    session,
                    conversation_id="elsewhere",
                    channel="directline",
                    reason="question",
                    reference={},
                    at=site.clock(),
                )
            bus.publish(events.CHANNEL, "")  # as the other process's HandoffService.notify does
            # The feed may send the unchanged queue once more (its first poll round); the change follows.
            _, data = await _next_event(stream)
            while not data["items"]:
                _, data = await _next_event(stream)
            assert [i["reason"] for i in data["items"]] == ["question"]
        finally:
            stream.close()
            await bus.stop()
            await other.dispose()


async def test_a_disabled_agents_stream_ends(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Check the session on every round instead of every 30 seconds.
    monkeypatch.setattr(events, "TOUCH_EVERY", timedelta(0))
    monkeypatch.setattr(events, "KEEPALIVE", timedelta(milliseconds=100))
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        stream = await _open(alice)
        try:
            await _next_event(stream)
            await site.disable("alice")
            name, _ = await _next_event(stream)
            assert name == "signed_out"
            assert await asyncio.wait_for(stream.content.read(), 5) == b""
        finally:
            stream.close()


async def test_shutdown_is_not_held_up_by_open_streams(db_url: str) -> None:
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        stream = await _open(alice)
        await _next_event(stream)
        # The app's shutdown hooks alone (no cleanup yet, nothing timing out) end the open stream.
        await site.app.shutdown()
        assert await asyncio.wait_for(stream.content.read(), 5) == b""
    stream.close()


async def test_a_closed_tab_ends_its_stream_quietly(
    db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Keepalives every few milliseconds: the stream writes to the closed connection soon after the close.
    monkeypatch.setattr(events, "KEEPALIVE", timedelta(milliseconds=10))
    caplog.set_level(logging.DEBUG)
    async with running_site(db_url) as site:
        feed = site.app[events.FEED]
        ended = asyncio.Event()
        subscribe = feed.subscribe

        @contextlib.contextmanager
        def watched() -> Iterator[Subscription]:
            try:
                with subscribe() as subscription:
                    yield subscription
            finally:
                ended.set()  # the stream's handler has left its loop, however it left it

        monkeypatch.setattr(feed, "subscribe", watched)
        alice = await site.sign_in("alice")
        stream = await _open(alice)
        await _next_event(stream)
        stream.close()  # the agent closes the tab: the connection goes away mid-stream
        await asyncio.wait_for(ended.wait(), 10)  # before shutdown, which would end it too
    # After shutdown (which waits for the handler to finish its response), nothing was logged as a failure.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    failed = [r for r in caplog.records if r.levelno >= logging.WARNING and "/agent/console/events" in r.getMessage()]
    assert failed == []
    assert tracebacks(caplog) == []


def _feed_reading(
    monkeypatch: pytest.MonkeyPatch,
    open_versions: Callable[[object], Awaitable[dict[int, int]]],
    queue_snapshot: Callable[[object], Awaitable[dict[str, Any]]],
) -> events.ConsoleFeed:
    """A feed whose store reads are these two functions (no database)."""

    @contextlib.asynccontextmanager
    async def sessions() -> AsyncIterator[None]:
        yield None

    monkeypatch.setattr(events.handoff_store, "open_versions", open_versions)
    monkeypatch.setattr(events, "queue_snapshot", queue_snapshot)
    return events.ConsoleFeed(SimpleNamespace(changed=asyncio.Event()), sessions, interval=timedelta(seconds=1))  # type: ignore[arg-type]


async def test_a_change_seen_while_the_queue_is_read_is_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stream reads the queue; meanwhile the poll sees a change and wakes it. The read may predate the
    # change, so the woken stream must get a fresh read, not that one again from the cache.
    reads: list[int] = []
    versions = iter([{1: 1}, {1: 2}])

    async def open_versions(session: object) -> dict[int, int]:
        return next(versions)

    async def queue_snapshot(session: object) -> dict[str, Any]:
        reads.append(len(reads) + 1)
        if len(reads) == 1:
            assert await feed.poll_once()  # the change lands while this read is in flight
        return {"items": [], "read": len(reads)}

    feed = _feed_reading(monkeypatch, open_versions, queue_snapshot)
    assert await feed.poll_once()
    assert (await feed.snapshot())["read"] == 1
    assert (await feed.snapshot())["read"] == 2  # read again: the first read may have missed the change
    assert (await feed.snapshot())["read"] == 2  # and now cached


async def test_with_no_stream_open_the_poll_reads_nothing_and_the_next_stream_reads_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    version_reads: list[int] = []
    queue_reads: list[int] = []

    async def open_versions(session: object) -> dict[int, int]:
        version_reads.append(1)
        return {1: len(version_reads)}

    async def queue_snapshot(session: object) -> dict[str, Any]:
        queue_reads.append(1)
        return {"items": [], "read": len(queue_reads)}

    feed = _feed_reading(monkeypatch, open_versions, queue_snapshot)

    assert not await feed.poll_if_watched()
    assert version_reads == []  # nobody watching: the store is not asked

    with feed.subscribe():
        assert await feed.poll_if_watched()  # a stream is open: the poll reads, and the first read is news
        assert (await feed.snapshot())["read"] == 1
        assert (await feed.snapshot())["read"] == 1  # cached while watched
    assert len(version_reads) == 1

    # The last stream closed; the queue may change unseen meanwhile. The next stream reads it again.
    with feed.subscribe():
        assert (await feed.snapshot())["read"] == 2
