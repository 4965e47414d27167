"""Async engine and session factory for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import Integer, String, bindparam, event, exc, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Dialect, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from store.errors import DatabaseUrlError, causes

# Several processes share one SQLite file: wait for the write lock rather than failing at once.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option naming the BEGIN flavour on SQLite; see _sqlite_begin.
SQLITE_BEGIN_OPTION = "sqlite_begin"


def default_sqlite_url(cwd: Path) -> str:
    """Return the URL of the embedded database file `intake.db` under `cwd`."""
    return f"sqlite+aiosqlite:///{(cwd / 'intake.db').resolve()}"


def normalise_url(url: str) -> URL:
    """Map sync or shorthand URLs onto the async drivers the store runs on."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise DatabaseUrlError(f"unsupported database URL scheme {parsed.drivername!r}: use sqlite or postgresql")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine for `url` (sqlite, sqlite+aiosqlite, postgresql, postgresql+asyncpg)."""
    parsed = normalise_url(url)
    # Statement parameters are customers' words, K#s and phone numbers: an error's text (which a log line
    # or a traceback may carry) shows the SQL without them.
    kwargs["hide_parameters"] = True
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(parsed, **kwargs)
        # A PostgreSQL restart must not poison the pool with dead connections (see _ping_if_idle).
        event.listen(engine.sync_engine, "checkin", _checked_in)
        event.listen(engine.sync_engine, "checkout", partial(_ping_if_idle, engine.dialect))
        return engine
    engine = create_async_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
    event.listen(engine.sync_engine, "connect", sqlite_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    event.listen(engine.sync_engine, "handle_error", _drop_read_only_connection)
    return engine


# A pooled PostgreSQL connection unused this long is checked with a round trip before it is handed out.
PING_AFTER_IDLE_SECONDS = 0.25
_CHECKED_IN_AT = "intake_checked_in_at"
# Set on a connection given back after sitting unused outside the pool (store/kept.py): since when, by
# time.monotonic(), so the idle check counts that time too.
IDLE_SINCE = "intake_idle_since"


def _checked_in(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    idle_since = record.info.pop(IDLE_SINCE, None)
    record.info[_CHECKED_IN_AT] = time.monotonic() if idle_since is None else idle_since


def _ping_if_idle(dialect: Dialect, dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
    """The pool's pre-ping, for connections that sat idle only.

    SQLAlchemy's own pre-ping costs asyncpg three round trips (BEGIN, a statement, ROLLBACK) on every
    checkout, about a store job's worth. A connection in steady use is handed out as it is: if the server
    went away under it, the pool reconnects every older connection after the first error, and a turn that
    met it runs once more (bot/intake_bot.py). One that sat idle, as across a restart between two turns, is
    checked first; a dead one is replaced before anyone uses it.
    """
    last = record.info.get(_CHECKED_IN_AT)
    if last is None or time.monotonic() - last < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as error:
        raise exc.DisconnectionError("the pooled connection is gone") from error


def opened_read_only(error: BaseException) -> bool:
    """Whether `error` is SQLite refusing a write because its connection has the file read-only.

    SQLite opens a file it may not write (wrong owner or mode, an immutable file) read-only and keeps it
    so: once the file is writable again, only a new connection can write.
    """
    return _sqlite_error(error, sqlite3.SQLITE_READONLY)


def sqlite_busy(error: BaseException) -> bool:
    """Whether `error` is SQLite finding the file locked (SQLITE_BUSY or SQLITE_LOCKED) when it gave up waiting."""
    return _sqlite_error(error, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _sqlite_error(error: BaseException, *codes: int) -> bool:
    # Whether `error` or one of its causes is a SQLite error of one of these primary result codes.
    return any(isinstance(link, sqlite3.Error) and (link.sqlite_errorcode & 0xFF) in codes for link in causes(error))


def _drop_read_only_connection(context: ExceptionContext) -> None:
    # Treated as a lost connection: the pool discards it and the next checkout opens the file afresh.
    if opened_read_only(context.original_exception):
        context.is_disconnect = True


def sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Take BEGIN away from the driver (it would defer it and COMMIT before DDL); _sqlite_begin emits it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    # WAL lets readers run beside the one writer; it persists in the file, so this is cheap after once.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes fails
    # with SQLITE_BUSY (no waiting) once another process has committed in between. Pure readers may
    # opt out with session.connection(execution_options={"sqlite_begin": "DEFERRED"}).
    mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
    if mode not in ("IMMEDIATE", "DEFERRED", "EXCLUSIVE"):
        raise DatabaseUrlError(f"unknown SQLite BEGIN mode {mode!r}")
    conn.exec_driver_sql(f"BEGIN {mode}")


SessionMaker: TypeAlias = async_sessionmaker[AsyncSession]


def session_factory(engine: AsyncEngine) -> SessionMaker:
    """Return the session factory every store function takes (objects stay usable after commit)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def read_session(session_maker: SessionMaker) -> AsyncIterator[AsyncSession]:
    """A session for lookups only: on SQLite it does not queue for the write lock (BEGIN DEFERRED); on
    PostgreSQL it runs without a transaction, which at READ COMMITTED gives reads nothing (each statement
    sees what is committed when it starts) and costs asyncpg a BEGIN and a ROLLBACK round trip."""
    async with session_maker() as session:
        if dialect_name(session) == "postgresql":
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        else:
            await session.connection(execution_options={SQLITE_BEGIN_OPTION: "DEFERRED"})
        yield session


def dialect_name(session: AsyncSession) -> str:
    """Return the backend of the session's engine: "sqlite" or "postgresql"."""
    return session.get_bind().dialect.name


def upsert(session: AsyncSession, model: type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
    """Return an INSERT for `model` with the backend's ON CONFLICT clauses (both backends support them)."""
    return insert_for(dialect_name(session), model)


def insert_for(dialect: str, model: type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
    """Return an INSERT with ON CONFLICT clauses for the backend named `dialect` (for Core jobs)."""
    if dialect == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


# Spaces of the two-key advisory locks (pg_advisory_xact_lock(int, int)); the migrations' one-key lock is apart.
LOCK_INCIDENT_REPORTS = 1  # per component: the reports counted toward opening its incident
_XACT_LOCK = select(
    func.pg_advisory_xact_lock(bindparam("space", type_=Integer), func.hashtext(bindparam("name", type_=String)))
)


def lock_until_commit(conn: Connection, space: int, names: Iterable[str]) -> None:
    """On PostgreSQL, wait for and hold until the transaction ends a lock per name in `space`, in sorted order
    (two transactions taking several never deadlock). On SQLite the transaction's writer lock already is one."""
    if conn.dialect.name != "postgresql":
        return
    for name in sorted(set(names)):
        conn.execute(_XACT_LOCK, {"space": space, "name": name})
