"""Change notices between processes: PostgreSQL LISTEN/NOTIFY on one connection per process.

A process that wrote something another process may be waiting for (a Direct Line activity, a handoff's
change) publishes a short notice after its transaction commits; every other process sharing the database
hears it at once and wakes its own waiters, who read the change from the database. Notices carry ids and
positions only, never what was written. On SQLite (one process, or a few on one file) there is nobody to
tell: `LocalBus` says so and the callers keep their own poll.

A notice can be lost only while the listening connection is down; every subscriber is told when it is
(re)established (`on_connect`) so that it catches up by reading the database once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

log = logging.getLogger(__name__)

Handler = Callable[[str], None]
Hook = Callable[[], None]

# PostgreSQL refuses payloads over 8000 bytes; ours are ids and numbers, far below.
MAX_PAYLOAD = 1000
# Notices queued while the connection is down beyond this are dropped: subscribers catch up on connect.
MAX_QUEUED = 10_000
# Waits between reconnection attempts: short first (a failover), then at most this.
RECONNECT_DELAYS = (0.1, 0.5, 1.0, 2.0)


class LocalBus:
    """No other process to tell (SQLite): publishing does nothing and subscribers keep polling."""

    distributed = False

    def subscribe(self, channel: str, handler: Handler) -> None:
        """Nothing ever arrives."""

    def on_connect(self, hook: Hook) -> None:
        """Never connects."""

    def publish(self, channel: str, payload: str) -> None:
        """Nobody listens."""

    async def start(self) -> None:
        """Nothing to open."""

    async def stop(self) -> None:
        """Nothing to close."""


class PgBus:
    """LISTEN/NOTIFY on one dedicated asyncpg connection: notices in, batches of notices out."""

    distributed = True

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._handlers: dict[str, list[Handler]] = {}
        self._hooks: list[Hook] = []
        self._outgoing: list[tuple[str, str]] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self._conn: Any = None  # asyncpg.Connection while connected
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.disconnected = asyncio.Event()
        self.disconnected.set()
        self.connections = 0  # how many times it has (re)connected: for tests and metrics

    def subscribe(self, channel: str, handler: Handler) -> None:
        """Call `handler(payload)` for each notice on `channel` from another process (set up before start)."""
        self._handlers.setdefault(channel, []).append(handler)

    def on_connect(self, hook: Hook) -> None:
        """Call `hook()` each time listening (re)starts: notices sent meanwhile were missed, catch up."""
        self._hooks.append(hook)

    def publish(self, channel: str, payload: str) -> None:
        """Queue a notice; it is sent with the others queued meanwhile in one round trip."""
        if len(payload) > MAX_PAYLOAD:
            raise ValueError("a notice's payload is an id or a position, not a document")
        if len(self._outgoing) >= MAX_QUEUED:
            return  # the connection is down; everyone catches up when it is back
        self._outgoing.append((channel, payload))
        self._wake.set()

    async def start(self) -> None:
        """Begin listening (in the running loop); returns at once, connecting in the background."""
        self._task = asyncio.create_task(self._run(), name="notice bus")

    async def stop(self) -> None:
        """Send what is queued, stop listening and close the connection."""
        self._stopping = True
        self._wake.set()
        self._lost.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            try:
                await self._connect()
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                attempt += 1
                log.warning("notice bus cannot connect (%s); retrying in %.1fs", type(exc).__name__, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._lost.wait(), delay)
                continue
            attempt = 0
            try:
                await self._send_until_lost()
            finally:
                await self._close()
        await self._close()

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self._dsn, timeout=10)
        try:
            for channel in self._handlers:
                await conn.add_listener(channel, self._received)
        except BaseException:
            await conn.close()
            raise
        self._lost.clear()
        conn.add_termination_listener(lambda _conn: self._lost.set())
        self._conn = conn
        self.connections += 1
        self.disconnected.clear()
        self.connected.set()
        log.info("notice bus listening")
        for hook in self._hooks:
            hook()

    def _received(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        if pid == conn.get_server_pid():
            return  # our own notice: this process woke its waiters when it wrote
        for handler in self._handlers.get(channel, ()):
            try:
                handler(payload)
            except Exception as exc:  # one subscriber's bug must not stop the others hearing
                log.warning("notice handler on %s failed: %s", channel, type(exc).__name__)

    async def _send_until_lost(self) -> None:
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            while True:
                if self._outgoing:
                    batch, self._outgoing = self._outgoing, []
                    try:
                        await self._conn.execute(
                            "SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS n(c, p)",
                            [c for c, _ in batch],
                            [p for _, p in batch],
                        )
                    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                        # Not put back: the others catch up when they reconnect, or their streams read anyway.
                        log.warning("notice bus send failed: %s", type(exc).__name__)
                        return
                    continue
                if self._stopping or lost.done():
                    return
                self._wake.clear()
                wake = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({wake, lost}, return_when=asyncio.FIRST_COMPLETED)
                wake.cancel()
        finally:
            lost.cancel()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        self.connected.clear()
        self.disconnected.set()
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await conn.close(timeout=5)

    @property
    def server_pid(self) -> int | None:
        """The listening connection's backend pid, while connected (tests end it to prove reconnection)."""
        return None if self._conn is None else int(self._conn.get_server_pid())


Bus = LocalBus | PgBus


def bus_for(url: URL) -> Bus:
    """The bus for a database: LISTEN/NOTIFY on PostgreSQL, none on SQLite."""
    if url.get_backend_name() != "postgresql":
        return LocalBus()
    return PgBus(url.set(drivername="postgresql").render_as_string(hide_password=False))
