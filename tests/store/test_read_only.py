"""A SQLite file the service could not write when it opened it (wrong owner or mode, an immutable file):
SQLite opens it read-only and keeps it so. Once the file is writable again, the store writes again without
a restart (issue #13 item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from store.db import create_engine, opened_read_only
from store.jobs import Jobs
from tests.store.files import immutable

INSERT = text("INSERT INTO t (x) VALUES (1)")


def _insert(conn: Connection) -> None:
    conn.execute(INSERT)


async def _insert_through_engine(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(INSERT)


async def test_writes_resume_once_the_file_is_writable_again(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    await engine.dispose()  # no connection left open: the next ones open the file as it is then
    jobs = Jobs(engine)
    try:
        with immutable(path):
            assert await jobs.read(lambda conn: conn.execute(text("SELECT count(*) FROM t")).scalar_one()) == 0
            with pytest.raises(Exception) as by_job:
                await jobs.write(_insert)
            assert opened_read_only(by_job.value), by_job.value
            with pytest.raises(Exception) as by_session:
                await _insert_through_engine(engine)
            assert opened_read_only(by_session.value), by_session.value

        # Writable again: both the jobs thread and the engine's pool open the file afresh.
        await jobs.write(_insert)
        await _insert_through_engine(engine)
        assert await jobs.read(lambda conn: conn.execute(text("SELECT count(*) FROM t")).scalar_one()) == 2
    finally:
        await jobs.aclose()
        await engine.dispose()


async def test_other_errors_are_not_taken_for_a_read_only_file(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'rw.db'}")
    jobs = Jobs(engine)
    try:
        with pytest.raises(Exception) as missing:
            await jobs.write(_insert)  # no such table
        assert not opened_read_only(missing.value)
    finally:
        await jobs.aclose()
        await engine.dispose()
