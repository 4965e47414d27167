"""Run a store job, a plain function of a sync `Connection`, as one transaction off the event loop.

The bot's hot path (a chat or phone turn) reads and writes a handful of rows. Through the async ORM each
statement costs several hand-offs between the event loop and the driver; here a whole transaction is one.

- SQLite file: one dedicated thread with its own connection runs every job in turn. The process queues
  its own writers instead of racing them in SQLite's busy handler, and no transaction ever waits on the
  event loop, so nothing here can deadlock with async sessions (other processes still queue in SQLite's
  busy handler, as before).
- PostgreSQL (or an in-memory SQLite): the async engine's `run_sync`, the same job code on a pooled
  connection, so concurrent turns run concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from store.db import SQLITE_BEGIN_OPTION, SQLITE_BUSY_TIMEOUT_MS, sqlite_begin, sqlite_connect

T = TypeVar("T")
Job = Callable[[Connection], T]


class Jobs:
    """Runs jobs on the database behind `engine`: `write` in a write transaction, `read` in a read-only one."""

    def __init__(self, engine: AsyncEngine, *, own_thread: bool = True) -> None:
        self._engine = engine
        self._sync: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._conn: Connection | None = None
        url = engine.url
        if own_thread and url.get_backend_name() == "sqlite" and not _in_memory(url.database):
            self._sync = create_sync_engine(
                url.set(drivername="sqlite+pysqlite"),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                pool_size=1,
                max_overflow=0,
            )
            event.listen(self._sync, "connect", sqlite_connect)
            event.listen(self._sync, "begin", sqlite_begin)
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-jobs")

    @classmethod
    def over(cls, session_maker: async_sessionmaker[Any]) -> Jobs:
        """Jobs on a session maker's engine, run through the async driver (no thread of their own)."""
        bind = session_maker.kw.get("bind")
        if not isinstance(bind, AsyncEngine):
            raise TypeError("the session maker is not bound to an AsyncEngine")
        return cls(bind, own_thread=False)

    async def write(self, job: Job[T]) -> T:
        """Run `job` in a write transaction (on SQLite it holds the write lock from the start)."""
        if self._thread is not None:
            return await asyncio.get_running_loop().run_in_executor(self._thread, self._run, job, "IMMEDIATE")
        async with self._engine.begin() as conn:
            return await conn.run_sync(job)

    async def read(self, job: Job[T]) -> T:
        """Run `job` for lookups only (on SQLite it does not take the write lock)."""
        if self._thread is not None:
            return await asyncio.get_running_loop().run_in_executor(self._thread, self._run, job, "DEFERRED")
        async with self._engine.connect() as conn:
            return await conn.run_sync(job)

    def _run(self, job: Job[T], mode: str) -> T:
        # In the jobs thread only. The thread keeps its connection: no pool check-out and reset per job.
        assert self._sync is not None
        if self._conn is None:
            self._conn = self._sync.connect()
        conn = self._conn.execution_options(**{SQLITE_BEGIN_OPTION: mode})
        with conn.begin():
            return job(conn)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._sync is not None:
            self._sync.dispose()

    async def aclose(self) -> None:
        """Finish queued jobs, then close the thread's connection."""
        if self._thread is None:
            return
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close)
        self._thread.shutdown(wait=True)
        self._thread = None


def _in_memory(database: str | None) -> bool:
    # An in-memory database exists once per connection: a second engine would see another, empty one.
    return not database or database == ":memory:" or "mode=memory" in database
