"""Run a store job, a plain function of a sync `Connection`, as one transaction off the event loop.

The bot's hot path (a chat or phone turn) reads and writes a handful of rows. Through the async ORM each
statement costs several hand-offs between the event loop and the driver; here a whole transaction is one.

- SQLite file: one dedicated thread with its own connection runs every job in turn. The process queues
  its own writers instead of racing them in SQLite's busy handler, and no transaction ever waits on the
  event loop, so nothing here can deadlock with async sessions (other processes still queue in SQLite's
  busy handler, as before).
- PostgreSQL (or an in-memory SQLite): the async engine's `run_sync`, the same job code on a pooled
  connection, so concurrent turns run concurrently.

`lookup` is for the few keyed reads of every turn (its state row): on a SQLite file it runs on the caller's
own thread (see there).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from queue import SimpleQueue
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import Engine, Executable, Select, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from store.db import SQLITE_BUSY_TIMEOUT_MS, opened_read_only, sqlite_busy, sqlite_connect
from store.kept import KeptConnections, in_transaction

T = TypeVar("T")
Job = Callable[[Connection], T]


class Jobs:
    """Runs jobs on the database behind `engine`: `write` in a write transaction, `read` for lookups only (in a
    read transaction on SQLite, statement by statement on PostgreSQL)."""

    def __init__(self, engine: AsyncEngine, *, own_thread: bool = True, keep_connections: bool = False) -> None:
        self._engine = engine
        self._writer: _Held | None = None  # the jobs thread's
        self._reader: _Held | None = None  # the event loop thread's, for lookup
        self._thread: _JobThread | None = None
        url = engine.url
        # PostgreSQL reads committed data statement by statement even inside a transaction (READ COMMITTED),
        # so a read job there needs none, nor does a lone write statement (itself atomic): without one each
        # saves asyncpg a BEGIN and a ROLLBACK or COMMIT round trip.
        self._autocommit = url.get_backend_name() == "postgresql"
        if own_thread and url.get_backend_name() == "sqlite" and not _in_memory(url.database):
            self._writer = _Held(url, sqlite_connect)
            self._reader = _Held(url, _lookup_connect)
            self._thread = _JobThread("sqlite-jobs")
        # PostgreSQL: the process's own jobs (the app's) keep their connections between jobs (store/kept.py).
        self._kept = KeptConnections(engine) if keep_connections and self._autocommit else None

    @property
    def kept_idle(self) -> int:
        """PostgreSQL connections kept between jobs, unused right now (store/kept.py)."""
        return 0 if self._kept is None else self._kept.idle

    @property
    def dialect(self) -> str:
        """The backend: "sqlite" or "postgresql" (for statements built per backend, store/db.py insert_for)."""
        return self._engine.dialect.name

    @classmethod
    def over(cls, session_maker: async_sessionmaker[Any]) -> Jobs:
        """Jobs on a session maker's engine, run through the async driver (no thread of their own)."""
        bind = session_maker.kw.get("bind")
        if not isinstance(bind, AsyncEngine):
            raise TypeError("the session maker is not bound to an AsyncEngine")
        return cls(bind, own_thread=False)

    @classmethod
    def of(cls, db: Jobs | async_sessionmaker[Any]) -> Jobs:
        """`db` itself, or jobs on a session maker's engine: for store functions that take either."""
        return db if isinstance(db, Jobs) else cls.over(db)

    async def write(self, job: Job[T]) -> T:
        """Run `job` in a write transaction (on SQLite it holds the write lock from the start)."""
        if self._thread is not None:
            return await self._thread.call(partial(self._run, job, "IMMEDIATE"))
        if self._kept is not None:
            return await self._kept.run(job, autocommit=False)
        async with self._engine.connect() as conn:
            return await conn.run_sync(partial(in_transaction, job))

    async def write_one(self, statement: Executable, params: Mapping[str, Any]) -> int:
        """Run one INSERT, UPDATE or DELETE as a write job of its own; return the number of rows it matched."""
        job = partial(run, statement=statement, params=params)
        if self._autocommit:
            return await self._autocommitted(job)
        return await self.write(job)

    async def read(self, job: Job[T]) -> T:
        """Run `job` for lookups only (on SQLite it does not take the write lock)."""
        if self._thread is not None:
            return await self._thread.call(partial(self._run, job, "DEFERRED"))
        if self._autocommit:
            return await self._autocommitted(job)
        async with self._engine.connect() as conn:
            return await conn.run_sync(job)

    async def lookup(self, job: Job[T]) -> T:
        """Run `job` as `read` does: a few reads by key whose work does not grow with the data (a turn's state).

        On a SQLite file it runs right here, on the event loop's thread, in a read-only connection of its own:
        the hand-off to the jobs thread and back costs about 45 us of CPU, more than such a read. A WAL reader
        does not wait for the writer; if the file is busy all the same (being recovered after a crash), there
        is no busy wait here: the job goes to the jobs thread, which waits its turn as `read` does.
        """
        if self._reader is None:
            return await self.read(job)
        try:
            return self._reader.run(job, "DEFERRED")
        except Exception as exc:  # the driver's own error, or SQLAlchemy's around it
            if not sqlite_busy(exc):
                raise
        return await self.read(job)

    async def _autocommitted(self, job: Job[T]) -> T:
        if self._kept is not None:
            return await self._kept.run(job, autocommit=True)
        async with self._engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            return await conn.run_sync(job)

    def _run(self, job: Job[T], mode: str) -> T:
        assert self._writer is not None  # in the jobs thread only
        return self._writer.run(job, mode)

    def _close(self) -> None:
        for held in (self._writer, self._reader):
            if held is not None:
                held.close()

    async def aclose(self) -> None:
        """Finish queued jobs, then close the thread's connection (give kept ones back to the pool)."""
        if self._kept is not None:
            await self._kept.close()
        if self._thread is None:
            return
        await self._thread.call(self._close)
        self._thread.stop()
        self._thread = None


class _Held:
    """A SQLite file's sync engine with one connection kept open, running jobs one at a time on it."""

    def __init__(self, url: URL, on_connect: Callable[[Any, ConnectionPoolEntry], None]) -> None:
        self._engine: Engine = create_sync_engine(
            url.set(drivername="sqlite+pysqlite"),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=1,
            max_overflow=0,
        )
        # No "begin" listener: run begins each job's transaction itself.
        event.listen(self._engine, "connect", on_connect)
        self._conn: Connection | None = None

    def run(self, job: Job[T], mode: str) -> T:
        # The connection is kept: no pool check-out and reset per job. BEGIN and COMMIT go straight to the
        # driver, as the job's own statements do (see fetch below); a statement run through SQLAlchemy joins
        # that transaction, and SQLAlchemy then ends it.
        if self._conn is None:
            self._conn = self._engine.connect()
        conn = self._conn
        driver = _driver(conn)
        try:
            driver.execute(f"BEGIN {mode}")
            result = job(conn)
        except BaseException as exc:
            if conn.in_transaction():
                conn.rollback()
            else:
                driver.rollback()
            if opened_read_only(exc):  # the next job opens the file afresh (see opened_read_only)
                self._conn = None
                conn.invalidate()
            raise
        if conn.in_transaction():
            conn.commit()
        else:
            driver.commit()
        return result

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._engine.dispose()


def _lookup_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Not sqlite_connect: the writer's connections put the file in WAL mode; this one only reads.
    dbapi_connection.isolation_level = None  # run begins and commits itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 0")  # busy: the jobs thread waits instead (Jobs.lookup)
    cursor.execute("PRAGMA query_only = ON")  # whatever a job asks, this connection never writes
    cursor.close()


class _JobThread:
    """One thread running calls in the order they come; each result goes back to its caller's event loop.

    A hand-off costs about half of run_in_executor's (no executor work item, no second future chained
    to the first), and a turn makes two or three.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._queue: SimpleQueue[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], Callable[[], Any]] | None]
        self._queue = SimpleQueue()
        self._thread: threading.Thread | None = None

    def call(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        if self._thread is None:  # started on first use: building the app starts nothing
            self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
            self._thread.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((loop, future, fn))
        return future

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _serve(self) -> None:
        while (item := self._queue.get()) is not None:
            loop, future, fn = item
            try:
                outcome: tuple[Any, BaseException | None] = (fn(), None)
            except BaseException as exc:  # handed to the caller, whatever it is
                outcome = (None, exc)
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, future, *outcome)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled; the job ran all the same
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _in_memory(database: str | None) -> bool:
    # An in-memory database exists once per connection: a second engine would see another, empty one.
    return not database or database == ":memory:" or "mode=memory" in database


# -- statements straight on the driver ---------------------------------------------------------------
#
# SQLAlchemy's execution machinery costs about 40 us a statement, more than SQLite takes to run these, and
# on PostgreSQL about as much as asyncpg's own work. The turn's own statements (module-level constants built
# with bindparam()) are compiled once per dialect and run on the DBAPI connection (the jobs thread's pysqlite
# one, or SQLAlchemy's asyncpg adapter inside run_sync) within the job's transaction, with the column types'
# own bind and result processors, so values are stored and read exactly as SQLAlchemy would. Elsewhere
# (aiosqlite through run_sync, as in tests on an in-memory database) they run through SQLAlchemy.


class _Direct(NamedTuple):
    sql: str
    names: tuple[str, ...]
    binds: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, processor) of the parameters that have one
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, processor) of the columns that have one
    literals: dict[str, Any]  # values written into the statement itself, e.g. .values(seq=1)


_DIRECT: dict[tuple[Executable, str], _Direct] = {}
# Drivers whose DBAPI connection runs a statement synchronously in the job (asyncpg's through SQLAlchemy's
# adapter, in the greenlet run_sync gives the job).
_DIRECT_DRIVERS = frozenset({"pysqlite", "asyncpg"})


def fetch(conn: Connection, statement: Executable, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Run a SELECT or a statement with RETURNING; return its rows as tuples."""
    direct = _direct(conn, statement)
    if direct is None:
        return [tuple(row) for row in conn.execute(statement, params)]
    rows: list[tuple[Any, ...]] = _execute(conn, direct.sql, _args(direct, params)).fetchall()
    if not direct.results:
        return rows
    read = []
    for row in rows:
        values = list(row)
        for i, process in direct.results:
            values[i] = process(values[i])
        read.append(tuple(values))
    return read


def run(conn: Connection, statement: Executable, params: Mapping[str, Any]) -> int:
    """Run an INSERT, UPDATE or DELETE; return the number of rows it matched."""
    direct = _direct(conn, statement)
    if direct is None:
        return int(conn.execute(statement, params).rowcount)  # type: ignore[attr-defined]
    return int(_execute(conn, direct.sql, _args(direct, params)).rowcount)


def run_many(conn: Connection, statement: Executable, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run an INSERT once per parameter set (executemany)."""
    if not rows:
        return
    direct = _direct(conn, statement)
    if direct is None:
        conn.execute(statement, list(rows))
        return
    args = [_args(direct, params) for params in rows]
    cursor = _cursor(conn)
    try:
        cursor.executemany(direct.sql, args)
    except Exception as error:
        conn._handle_dbapi_exception(error, direct.sql, args, cursor, None)


def _direct(conn: Connection, statement: Executable) -> _Direct | None:
    driver = conn.dialect.driver
    if driver not in _DIRECT_DRIVERS:
        return None
    direct = _DIRECT.get((statement, driver))
    if direct is None:
        dialect = conn.dialect
        compiled = cast(SQLCompiler, cast(ClauseElement, statement).compile(dialect=dialect))
        names = tuple(compiled.positiontup or ())
        processors = (compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
        binds = tuple((i, process) for i, process in enumerate(processors) if process is not None)
        columns = statement.selected_columns if isinstance(statement, Select) else ()
        readers = (c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        results = tuple((i, process) for i, process in enumerate(readers) if process is not None)
        literals = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        direct = _Direct(compiled.string, names, binds, results, literals)
        _DIRECT[(statement, driver)] = direct
    return direct


def _args(direct: _Direct, params: Mapping[str, Any]) -> list[Any]:
    # A dozen parameters a statement and several statements a turn: one pass, no call per parameter.
    literals = direct.literals
    args = [params[name] if name in params else literals[name] for name in direct.names]
    for i, process in direct.binds:
        args[i] = process(args[i])
    return args


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection


def _cursor(conn: Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _execute(conn: Connection, sql: str, args: Sequence[Any]) -> Any:
    """Run one statement on a new DBAPI cursor and return the cursor. Through SQLAlchemy's own lightweight
    path, so a failure is what SQLAlchemy would raise (IntegrityError, OperationalError ...), and a lost
    connection is invalidated with the pool's older ones, as the turn's retry expects."""
    cursor = _cursor(conn)
    conn._cursor_execute(cursor, sql, args)
    return cursor
