"""Engine URLs, SQLite connection settings and the UTC datetime column type."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import StatementError
from sqlmodel import select

from intake.domain import NaiveDatetimeError
from store.db import (
    SQLITE_BEGIN_OPTION,
    SQLITE_BUSY_TIMEOUT_MS,
    SessionMaker,
    create_engine,
    default_sqlite_url,
    normalise_url,
    session_factory,
)
from store.errors import DatabaseUrlError
from store.migrate import upgrade_async
from store.models import Agent

from .helpers import T0


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
