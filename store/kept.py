"""PostgreSQL connections the process's store jobs keep from one job to the next, instead of the pool's
check-out and check-in around every job.

Measured with bench/db_round_trip.py (docs/BENCHMARKS.md): a read job of one statement cost the service
about 220 us of CPU through the pool and 105 us on a kept connection, a write job 380 and 260 us; a turn
runs four to six jobs. The SQLite jobs thread keeps its one connection for the same reason (store/jobs.py).

What the pool did for a connection, a kept one still gets:
- one that sat idle (PING_AFTER_IDLE_SECONDS, the pool's own idle check, store/db.py _ping_if_idle) is checked
  with a round trip before it is used again; the others that sat idle longer go back to the pool, told since
  when they sat unused (store/db.py IDLE_SINCE), so the pool checks them before lending them;
- a job that fails gives its connection back to the pool (invalidated by SQLAlchemy when it was lost), and
  when a connection was lost every kept one goes back too, so the pool replaces those older than the loss,
  as it does with its own after a restart of the server.
At most KEEP connections a kind are kept idle (the rest go back at once), and one no job took for a second
goes back when a job ends, so sessions still find the pool's.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.db import IDLE_SINCE, PING_AFTER_IDLE_SECONDS

T = TypeVar("T")

# Idle connections kept a kind (autocommit, transactional); busy ones are not counted.
KEEP = 4
# A kept connection no job has taken for this long is surplus (a burst is over): back to the pool, for the
# sessions that share it.
RELEASE_AFTER_IDLE_SECONDS = 1.0


class KeptConnections:
    """Connections of `engine` kept between jobs, the most recently used first."""

    def __init__(self, engine: AsyncEngine, *, keep: int = KEEP) -> None:
        self._engine = engine
        self._keep = keep
        # By kind (True: autocommit), oldest first: (when it was last given back, the connection).
        self._idle: dict[bool, list[tuple[float, AsyncConnection]]] = {True: [], False: []}

    @property
    def idle(self) -> int:
        """How many connections are kept, unused, right now."""
        return sum(len(stack) for stack in self._idle.values())

    async def run(self, job: Callable[[Connection], T], *, autocommit: bool) -> T:
        """Run `job` on a kept connection: as it is (`autocommit`), or in a transaction it commits."""
        conn = await self._take(autocommit)
        try:
            result = await conn.run_sync(job if autocommit else partial(in_transaction, job))
        except BaseException as error:
            await _close(conn)
            if isinstance(error, DBAPIError) and error.connection_invalidated:
                await self.close()  # the server went away: the others are likely dead too
            raise
        await self._give_back(conn, autocommit)
        return result

    async def close(self) -> None:
        """Give every kept connection back to the pool."""
        for stack in self._idle.values():
            while stack:
                await _close(stack.pop()[1])

    async def _take(self, autocommit: bool) -> AsyncConnection:
        stack = self._idle[autocommit]
        if stack:
            used_at, conn = stack.pop()
            if time.monotonic() - used_at < PING_AFTER_IDLE_SECONDS:
                return conn
            # It sat idle, and the others longer: the server may have gone away meanwhile (a restart). The
            # most recent is checked with a round trip, the others go back to the pool, which checks them. They
            # leave the stack before the first await: a job starting meanwhile must not take one of them.
            older = stack[:]
            stack.clear()
            for since, surplus in older:
                await _release(surplus, since)
            if await _alive(conn):
                return conn
            await _drop(conn)
        conn = await self._engine.connect()
        if autocommit:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return conn

    async def _give_back(self, conn: AsyncConnection, autocommit: bool) -> None:
        now = time.monotonic()
        for kind in self._idle.values():  # the least recently used first
            while kind and now - kind[0][0] >= RELEASE_AFTER_IDLE_SECONDS:
                since, surplus = kind.pop(0)
                await _release(surplus, since)
        stack = self._idle[autocommit]
        if len(stack) >= self._keep:
            await _close(conn)
            return
        stack.append((time.monotonic(), conn))


async def _close(conn: AsyncConnection) -> None:
    # Back to the pool (which discards an invalidated one); a connection already lost cannot fail this.
    with contextlib.suppress(Exception):
        await conn.close()


async def _release(conn: AsyncConnection, idle_since: float) -> None:
    # Back to the pool with the time it has sat unused, or the pool would lend it unchecked (to its clock it
    # was checked in just now).
    with contextlib.suppress(Exception):
        (await conn.get_raw_connection()).info[IDLE_SINCE] = idle_since
    await _close(conn)


async def _drop(conn: AsyncConnection) -> None:
    # Found dead: the pool discards it.
    with contextlib.suppress(Exception):
        await conn.invalidate()
    await _close(conn)


async def _alive(conn: AsyncConnection) -> bool:
    try:
        await conn.run_sync(_ping)
    except Exception:
        return False
    return True


def in_transaction(job: Callable[[Connection], T], conn: Connection) -> T:
    """Run `job` in a transaction on `conn`, committed when it returns, rolled back when it raises."""
    # Begun, run and committed (or rolled back) in the one greenlet run_sync gives the job, where begin() and
    # commit() each through the async API would take a greenlet of their own.
    with conn.begin():
        return job(conn)


def _ping(conn: Connection) -> None:
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is None or not conn.dialect.do_ping(dbapi_connection):
        raise ConnectionError("the kept connection did not answer")
