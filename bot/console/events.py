"""Server-sent events for the console: one reader per process wakes every open stream on a change, told of
changes by this process at once and by others through their notices (PostgreSQL) or a poll (SQLite)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.agents.identity import COOKIE_NAME, TOUCH_EVERY, require_session
from bot.agents.passwords import secret_digest
from bot.bus import app_bus
from bot.console.views import JsonObject, queue_snapshot
from bot.handoff import HANDOFF, HandoffService
from bot.keys import CLOCK, SESSION_MAKER
from bot.signal import Subscription
from store import agents as agent_store
from store import handoffs as handoff_store
from store.db import SessionMaker

log = logging.getLogger(__name__)

# Without a notice bus (SQLite), changes made by other processes show up within this; changes made here, and
# with the bus anywhere, wake the feed at once.
POLL_INTERVAL = timedelta(milliseconds=500)
# The notice channel; its payload is empty (every change means: read the queue again).
CHANNEL = "intake_console"
# A comment line this often keeps proxies from closing an idle stream.
KEEPALIVE = timedelta(seconds=15)


class ConsoleFeed:
    """Watches the open handoffs (polling the table, woken early by this process) and fans changes out."""

    def __init__(self, service: HandoffService, session_maker: SessionMaker, *, interval: timedelta | None) -> None:
        self._service = service
        self._sessions = session_maker
        self._interval = None if interval is None else interval.total_seconds()
        self._subscriptions: set[Subscription] = set()
        self._versions: dict[int, int] | None = None
        self._snapshot: JsonObject | None = None
        self._generation = 0  # bumped by every change the poll sees
        self._lock = asyncio.Lock()
        self._stopping = False

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[Subscription]:
        """Register a stream for the duration of the block."""
        subscription = Subscription()
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)
            if not self._subscriptions:
                self._forget()

    def _forget(self) -> None:
        """With no stream open nothing is watched, so what was last read may go stale: drop it."""
        self._versions = None
        self._snapshot = None
        self._generation += 1  # a read still in flight is not kept either

    def close_all(self) -> None:
        """End every stream (shutdown: open streams would hold it up)."""
        for subscription in list(self._subscriptions):
            subscription.close()

    async def snapshot(self) -> JsonObject:
        """The current queue, built once per change however many streams ask."""
        async with self._lock:
            if self._snapshot is not None:
                return self._snapshot
            generation = self._generation
            async with self._sessions() as session:
                snapshot = await queue_snapshot(session)
            # Kept only if no change arrived while it was read: otherwise it may predate that change, and
            # the woken streams must read again rather than be served this one.
            if generation == self._generation:
                self._snapshot = snapshot
            return snapshot

    async def poll_once(self) -> bool:
        """Compare the open handoffs' versions with the last round; on a change wake every stream."""
        async with self._sessions() as session:
            versions = await handoff_store.open_versions(session)
        if versions == self._versions:
            return False
        self._versions = versions
        self._generation += 1
        self._snapshot = None
        for subscription in list(self._subscriptions):
            subscription.wake()
        return True

    async def poll_if_watched(self) -> bool:
        """poll_once() while a stream is open; with none, nobody is told, so nothing is read (on SQLite,
        this poll twice a second was most of an idle process's work)."""
        return bool(self._subscriptions) and await self.poll_once()

    def stop(self) -> None:
        """End the poll after its current round (cancelling a query midway strands its connection)."""
        self._stopping = True
        self._service.changed.set()

    async def run(self) -> None:
        """Read until stop(): at once when a process changed a handoff, and every interval if there is one."""
        changed = self._service.changed
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), self._interval)
            if self._stopping:
                break
            # Cleared before reading, so a change made during the read wakes the next round.
            changed.clear()
            try:
                await self.poll_if_watched()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("console feed poll failed: %s", type(exc).__name__)


FEED = web.AppKey("console_feed", ConsoleFeed)


def _frame(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _still_signed_in(request: web.Request) -> bool:
    """Re-check the stream's session (signed out, expired or disabled ends it) and keep the agent online."""
    secret = request.cookies.get(COOKIE_NAME, "")
    now = request.app[CLOCK]()
    async with request.app[SESSION_MAKER]() as session, session.begin():
        found = await agent_store.find_console_session(session, session_id=secret_digest(secret), now=now)
        if found is None:
            return False
        # The open console is the agent's heartbeat: count_available counts agents seen recently.
        await agent_store.touch_seen(session, session_id=found[0].id, at=now)
    return True


async def _send(request: web.Request, response: web.StreamResponse, data: bytes) -> bool:
    """Write to the stream; False once the client has gone (a closed tab: the stream's normal end)."""
    transport = request.transport
    if transport is None or transport.is_closing():
        return False
    try:
        await response.write(data)
    except ConnectionResetError:  # aiohttp's ClientConnectionResetError: it closed while this was written
        return False
    return True


async def stream(request: web.Request) -> web.StreamResponse:
    """GET /agent/console/events: `queue` events with the whole queue whenever it changes, until the agent
    signs out, the tab closes or the service shuts down."""
    await require_session(request, csrf=False)
    feed = request.app[FEED]
    clock = request.app[CLOCK]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx: pass events through as they come
            "X-Content-Type-Options": "nosniff",
        }
    )
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    checked = loop.time()
    with feed.subscribe() as subscription:
        subscription.wake()  # the current queue first
        while True:
            woken = await subscription.wait(KEEPALIVE.total_seconds())
            if subscription.closed:
                break
            subscription.clear()  # before reading the snapshot: a change during the read wakes again
            if loop.time() - checked >= TOUCH_EVERY.total_seconds():
                checked = loop.time()
                if not await _still_signed_in(request):
                    await _send(request, response, _frame("signed_out", {}))
                    break
            if not woken:
                sent = await _send(request, response, b": keepalive\n\n")
            else:
                snapshot = await feed.snapshot()
                # "now" lets the page count down to each response target on the server's clock.
                sent = await _send(request, response, _frame("queue", {**snapshot, "now": clock().isoformat()}))
            if not sent:
                log.debug("console stream ended: the client went away")
                break
    return response


def setup_events(app: web.Application) -> None:
    """Mount the stream and run the feed's poll for this process."""
    app.router.add_get("/agent/console/events", stream, allow_head=False)

    service = app[HANDOFF]
    bus = app_bus(app, app[SESSION_MAKER])
    feed = ConsoleFeed(service, app[SESSION_MAKER], interval=None if bus.distributed else POLL_INTERVAL)
    app[FEED] = feed
    # A change here is told to the other processes; theirs, and a (re)start of listening (a notice may have
    # been missed), wake this feed without being told on.
    service.on_change.append(lambda: bus.publish(CHANNEL, ""))
    bus.subscribe(CHANNEL, lambda _payload: service.changed.set())
    bus.on_connect(service.changed.set)

    async def feed_task(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(feed.run(), name="console feed")
        yield
        feed.stop()
        await task

    async def close_streams(app: web.Application) -> None:
        # Open streams are requests, not background work: aiohttp waits for requests after on_shutdown and
        # before cleanup_ctx, so this hook (and only this) ends them, or shutdown would wait out its timeout.
        feed.close_all()

    app.cleanup_ctx.append(feed_task)
    app.on_shutdown.append(close_streams)
