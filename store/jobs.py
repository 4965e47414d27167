"""Run a store job, a plain function of a sync `Connection`, as one transaction off the event loop.

The bot's hot path (a chat or phone turn) reads and writes a handful of rows. Through the async ORM each
statement costs several hand-offs between the event loop and the driver; here a whole transaction is one.

- SQLite file: one dedicated thread with its own connection runs every job in turn. The process queues
  its own writers instead of racing them in SQLite's busy handler, and no transaction ever waits on the
  event loop, so nothing here can deadlock with async sessions (other processes still queue in SQLite's
  busy handler, as before). Write jobs queued together share one transaction (store/sqlite_file.py).
- PostgreSQL (or an in-memory SQLite): the async engine's `run_sync`, the same job code on a pooled
  connection, so concurrent turns run concurrently.

`lookup` is for the few keyed reads of every turn (its state row): on a SQLite file it runs on the caller's
own thread (see there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import Executable, Select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from store.db import sqlite_busy, sqlite_connect
from store.kept import KeptConnections, in_transaction
from store.sqlite_file import HeldConnection, JobThread, lookup_connect

T = TypeVar("T")
Job = Callable[[Connection], T]


class Jobs:
    """Runs jobs on the database behind `engine`: `write` in a write transaction, `read` for lookups only (in a
    read transaction on SQLite, statement by statement on PostgreSQL)."""

    def __init__(self, engine: AsyncEngine, *, own_thread: bool = True, keep_connections: bool = False) -> None:
        self._engine = engine
        self._writer: HeldConnection | None = None  # the jobs thread's
        self._reader: HeldConnection | None = None  # the event loop thread's, for lookup
        self._thread: JobThread | None = None
        url = engine.url
        # PostgreSQL reads committed data statement by statement even inside a transaction (READ COMMITTED),
        # so a read job there needs none, nor does a lone write statement (itself atomic): without one each
        # saves asyncpg a BEGIN and a ROLLBACK or COMMIT round trip.
        self._autocommit = url.get_backend_name() == "postgresql"
        if own_thread and url.get_backend_name() == "sqlite" and not _in_memory(url.database):
            self._writer = HeldConnection(url, sqlite_connect)
            self._reader = HeldConnection(url, lookup_connect)
            self._thread = JobThread("sqlite-jobs", self._writer)
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
            return await self._thread.write(job)
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
            return await self._thread.call(partial(self._read_on_thread, job))
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

    def _read_on_thread(self, job: Job[T]) -> T:
        assert self._writer is not None  # in the jobs thread only
        return self._writer.run(job, "DEFERRED")

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


def _cursor(conn: Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _execute(conn: Connection, sql: str, args: Sequence[Any]) -> Any:
    """Run one statement on a new DBAPI cursor and return the cursor. Through SQLAlchemy's own lightweight
    path, so a failure is what SQLAlchemy would raise (IntegrityError, OperationalError ...), and a lost
    connection is invalidated with the pool's older ones, as the turn's retry expects."""
    cursor = _cursor(conn)
    conn._cursor_execute(cursor, sql, args)
    return cursor
