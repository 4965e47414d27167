"""A SQLite file's side of store jobs (store/jobs.py): the jobs thread with its writing connection, and the
read-only connection `Jobs.lookup` uses on the event loop's thread.

Write jobs queued while the thread was busy run in one transaction, committed once (a group commit): a
BEGIN IMMEDIATE and a COMMIT into the WAL cost about 60 us of the thread's CPU, as much as a turn's save
itself, and under load several turns' saves wait together. A job sees the writes of those before it, as
it would have run one after another. If any job of a group raises, or the COMMIT fails, the group is
rolled back and every job of it runs again alone, in its own transaction: each then succeeds or fails
exactly as it would have on its own. A job is a plain function of the connection, so running it again is
safe (its effects on the database were rolled back).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from queue import Empty, SimpleQueue
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import ConnectionPoolEntry

from store.db import SQLITE_BUSY_TIMEOUT_MS, opened_read_only

T = TypeVar("T")
Job = Callable[[Connection], T]

# The most write jobs one transaction takes: a group's first job waits for the others before its commit.
MAX_GROUP = 32


class HeldConnection:
    """A SQLite file's sync engine with one connection kept open, running jobs on it one transaction at a time."""

    def __init__(self, url: URL, on_connect: Callable[[Any, ConnectionPoolEntry], None]) -> None:
        self._engine: Engine = create_sync_engine(
            url.set(drivername="sqlite+pysqlite"),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=1,
            max_overflow=0,
        )
        # No "begin" listener: each job's transaction is begun here.
        event.listen(self._engine, "connect", on_connect)
        self._conn: Connection | None = None

    def run(self, job: Job[T], mode: str) -> T:
        """Run `job` in a transaction of its own (BEGIN `mode`)."""
        result: T = self.run_group([job], mode)[0]
        return result

    def run_group(self, jobs: Sequence[Job[Any]], mode: str) -> list[Any]:
        """Run `jobs` one after another in one transaction; the first exception rolls all of them back."""
        # The connection is kept: no pool check-out and reset per job. BEGIN and COMMIT go straight to the
        # driver, as the jobs' own statements do (store/jobs.py fetch); a statement run through SQLAlchemy
        # joins that transaction, and SQLAlchemy then ends it.
        if self._conn is None:
            self._conn = self._engine.connect()
        conn = self._conn
        driver = driver_of(conn)
        try:
            driver.execute(f"BEGIN {mode}")
            results = [job(conn) for job in jobs]
            if conn.in_transaction():
                conn.commit()
            else:
                driver.commit()
        except BaseException as exc:
            if conn.in_transaction():
                conn.rollback()
            else:
                driver.rollback()
            if opened_read_only(exc):  # the next job opens the file afresh (see opened_read_only)
                self._conn = None
                conn.invalidate()
            raise
        return results

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._engine.dispose()


def lookup_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    """The "connect" listener of Jobs.lookup's connection."""
    # Not sqlite_connect: the writer's connections put the file in WAL mode; this one only reads.
    dbapi_connection.isolation_level = None  # run_group begins and commits itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 0")  # busy: the jobs thread waits instead (Jobs.lookup)
    cursor.execute("PRAGMA query_only = ON")  # whatever a job asks, this connection never writes
    cursor.close()


def driver_of(conn: Connection) -> Any:
    """The driver's own connection under `conn`."""
    return conn.connection.driver_connection


class _Call(NamedTuple):
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    fn: Callable[[], Any]
    write: Job[Any] | None  # a write job that may share its transaction with others queued beside it


class JobThread:
    """One thread running calls in the order they come; each result goes back to its caller's event loop.

    A hand-off costs about half of run_in_executor's (no executor work item, no second future chained to
    the first). Write jobs that were queued together run as one group on `writer` (see the module).
    """

    def __init__(self, name: str, writer: HeldConnection) -> None:
        self._name = name
        self._writer = writer
        self._queue: SimpleQueue[_Call | None] = SimpleQueue()
        self._thread: threading.Thread | None = None

    def call(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Run `fn` on the thread, alone."""
        return self._put(fn, None)

    def write(self, job: Job[T]) -> asyncio.Future[T]:
        """Run `job` on the writer in a write transaction, maybe with other write jobs queued beside it."""
        return self._put(lambda: self._writer.run(job, "IMMEDIATE"), job)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _put(self, fn: Callable[[], T], write: Job[T] | None) -> asyncio.Future[T]:
        if self._thread is None:  # started on first use: building the app starts nothing
            self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
            self._thread.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Call(loop, future, fn, write))
        return future

    def _serve(self) -> None:
        while (first := self._queue.get()) is not None:
            batch = [first]
            stopping = self._take_queued(batch)
            done: list[tuple[_Call, Any, BaseException | None]] = []
            while batch:
                group = _leading_group(batch)
                del batch[: len(group)]
                done += self._run(group)
            _deliver(done)
            if stopping:
                return

    def _take_queued(self, batch: list[_Call]) -> bool:
        """Add what else is queued (up to a group's worth); True if the thread was asked to stop."""
        while len(batch) < MAX_GROUP:
            try:
                call = self._queue.get_nowait()
            except Empty:
                return False
            if call is None:
                return True
            batch.append(call)
        return False

    def _run(self, group: list[_Call]) -> list[tuple[_Call, Any, BaseException | None]]:
        if len(group) > 1:
            jobs = [call.write for call in group if call.write is not None]
            try:
                results = self._writer.run_group(jobs, "IMMEDIATE")
            except BaseException:  # each again alone: each then fails or succeeds as it would have
                pass
            else:
                return [(call, result, None) for call, result in zip(group, results, strict=True)]
        return [_alone(call) for call in group]


def _leading_group(batch: list[_Call]) -> list[_Call]:
    # The write jobs at the head of the batch, or the one call there that is not a write job.
    if batch[0].write is None:
        return batch[:1]
    end = 1
    while end < len(batch) and batch[end].write is not None:
        end += 1
    return batch[:end]


def _alone(call: _Call) -> tuple[_Call, Any, BaseException | None]:
    try:
        return call, call.fn(), None
    except BaseException as exc:  # handed to the caller, whatever it is
        return call, None, exc


def _deliver(done: list[tuple[_Call, Any, BaseException | None]]) -> None:
    # One wake-up of each waiting event loop for the whole batch, not one a job.
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, BaseException | None]]] = {}
    for call, result, error in done:
        by_loop.setdefault(call.loop, []).append((call.future, result, error))
    for loop, outcomes in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
            loop.call_soon_threadsafe(_settle, outcomes)


def _settle(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in outcomes:
        if future.done():  # the caller was cancelled; the job ran all the same
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
