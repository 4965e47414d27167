"""Engine URLs, SQLite connection settings and the UTC datetime column type."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, StatementError
from sqlmodel import select

from intake.domain import NaiveDatetimeError
from store import db as store_db
from store.db import (
    SQLITE_BEGIN_OPTION,
    SQLITE_BUSY_TIMEOUT_MS,
    SessionMaker,
    create_engine,
    default_sqlite_url,
    normalise_url,
    read_session,
    session_factory,
)
from store.errors import DatabaseUrlError
from store.migrate import upgrade_async
from store.models import Agent
from tests.conftest import BACKENDS

from .helpers import T0, end_other_connections

POSTGRES = BACKENDS[1]  # skipped without a test server


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg"),
        ("postgres://u:p@h/db", "postgresql+asyncpg"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_urls_are_normalised_to_async_drivers(url: str, driver: str) -> None:
    assert normalise_url(url).drivername == driver


def test_unsupported_url_is_rejected() -> None:
    with pytest.raises(DatabaseUrlError):
        normalise_url("mysql://u@h/db")


def test_default_url_is_intake_db_in_working_directory(tmp_path: Path) -> None:
    url = default_sqlite_url(tmp_path)
    assert url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'intake.db'}"
    assert normalise_url(url).database == str(tmp_path.resolve() / "intake.db")


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
    finally:
        await engine.dispose()


async def test_instants_come_back_aware_utc(session_maker: SessionMaker) -> None:
    local = T0.astimezone(ZoneInfo("America/New_York"))
    async with session_maker() as session, session.begin():
        session.add(Agent(name="ada", created_at=local))
    async with session_maker() as session:
        agent = (await session.exec(select(Agent))).one()
    assert agent.created_at == T0
    assert agent.created_at.utcoffset() == timedelta(0)


async def test_naive_instants_are_refused(session_maker: SessionMaker) -> None:
    with pytest.raises(StatementError) as caught:
        async with session_maker() as session, session.begin():
            session.add(Agent(name="bob", created_at=T0.replace(tzinfo=None)))
    assert isinstance(caught.value.orig, NaiveDatetimeError)


async def test_sqlite_readers_can_opt_out_of_the_write_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    await upgrade_async(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with sessions() as writer, writer.begin():
            writer.add(Agent(name="writer", created_at=T0))
            await writer.flush()  # BEGIN IMMEDIATE: this session holds the write lock now
            async with sessions() as reader:
                await reader.connection(execution_options={SQLITE_BEGIN_OPTION: "DEFERRED"})
                # A default (IMMEDIATE) session would wait out the 30 s busy timeout here.
                agents = await asyncio.wait_for(reader.exec(select(Agent)), timeout=5)
                assert agents.all() == []
    finally:
        await engine.dispose()


@pytest.mark.parametrize("blank_db_url", [POSTGRES], indirect=True)
@pytest.mark.parametrize("idle_enough", [True, False], ids=["idle", "busy"])
async def test_a_postgres_connection_that_sat_idle_is_checked_before_use(
    blank_db_url: str, idle_enough: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The threshold stands in for the wait: 0 makes any pooled connection "idle", a day none.
    monkeypatch.setattr(store_db, "PING_AFTER_IDLE_SECONDS", 0.0 if idle_enough else 86_400.0)
    engine = create_engine(blank_db_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        await end_other_connections(blank_db_url)  # the pooled connection is now dead
        if idle_enough:
            async with engine.connect() as conn:  # checked, found dead, replaced: the caller never sees it
                assert (await conn.execute(text("SELECT 2"))).scalar() == 2
        else:
            with pytest.raises(DBAPIError) as raised:  # in steady use it goes out unchecked ...
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 2"))
            assert raised.value.connection_invalidated  # ... and the error says so, for the turn's retry
            async with engine.connect() as conn:  # then the pool reconnects
                assert (await conn.execute(text("SELECT 3"))).scalar() == 3
    finally:
        await engine.dispose()


@pytest.mark.parametrize("blank_db_url", [POSTGRES], indirect=True)
async def test_a_postgres_read_session_runs_outside_a_transaction(blank_db_url: str) -> None:
    # At READ COMMITTED a transaction gives reads nothing, and costs a BEGIN and a ROLLBACK round trip.
    engine = create_engine(blank_db_url)
    try:
        async with read_session(session_factory(engine)) as session:
            conn = await session.connection()
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None and not driver.is_in_transaction()
    finally:
        await engine.dispose()
