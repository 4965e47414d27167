"""Store jobs: one transaction per job, on SQLite's own thread or through the async engine."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from store import db as store_db
from store.botstate import get_item, swap_item
from store.db import create_engine, session_factory
from store.directline import create_conversation
from store.errors import StorageConflictError
from store.jobs import Jobs
from store.migrate import upgrade_async
from store.models import BotState
from store.transcripts import add_lines, get_transcript
from tests.conftest import BACKENDS

from .helpers import end_other_connections

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

POSTGRES = BACKENDS[1]  # skipped without a test server


def _put(conn: Connection, key: str, value: int, expected: str | None = None) -> str:
    return swap_item(conn, key, {"v": value}, expected=expected, now=NOW)


async def test_a_write_commits_and_a_read_sees_it(jobs: Jobs) -> None:
    etag = await jobs.write(partial(_put, key="k", value=1))
    item = await jobs.read(partial(get_item, key="k"))
    assert item is not None and item.data == {"v": 1} and item.etag == etag
    assert await jobs.read(partial(get_item, key="missing")) is None


async def test_a_failing_job_writes_nothing(jobs: Jobs) -> None:
    def half_done(conn: Connection) -> None:
        _put(conn, "k", 1)
        raise RuntimeError("crash after the first statement")

    with pytest.raises(RuntimeError):
        await jobs.write(half_done)
    assert await jobs.read(partial(get_item, key="k")) is None


async def test_compare_and_set(jobs: Jobs) -> None:
    first = await jobs.write(partial(_put, key="k", value=1))
    second = await jobs.write(partial(_put, key="k", value=2, expected=first))
    with pytest.raises(StorageConflictError):
        await jobs.write(partial(_put, key="k", value=3, expected=first))  # stale
    with pytest.raises(StorageConflictError):
        await jobs.write(partial(_put, key="k", value=4))  # "must not exist yet"
    item = await jobs.read(partial(get_item, key="k"))
    assert item is not None and item.data == {"v": 2} and item.etag == second


async def test_concurrent_read_modify_writes_lose_no_update(jobs: Jobs, db_url: str) -> None:
    def bump(conn: Connection, key: str) -> None:
        item = get_item(conn, key)
        value = 0 if item is None else item.data["v"]
        _put(conn, key, value + 1, None if item is None else item.etag)

    results = await asyncio.gather(
        *(jobs.write(partial(bump, key="counter")) for _ in range(20)), return_exceptions=True
    )
    landed = [r for r in results if not isinstance(r, BaseException)]
    assert all(isinstance(r, StorageConflictError) for r in results if isinstance(r, BaseException))
    item = await jobs.read(partial(get_item, key="counter"))
    # Every bump that reported success is counted, none twice; on SQLite the jobs queue and all land.
    assert item is not None and item.data == {"v": len(landed)} and landed
    if db_url.startswith("sqlite"):
        assert len(landed) == 20


async def test_sqlite_file_jobs_run_on_their_own_thread(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'j.db'}")
    jobs = Jobs(engine)
    try:
        name = await jobs.read(lambda conn: threading.current_thread().name)
        assert name.startswith("sqlite-jobs")
        mode = await jobs.read(lambda conn: conn.execute(text("PRAGMA journal_mode")).scalar_one())
        assert mode == "wal"  # the connection got the store's pragmas
    finally:
        await jobs.aclose()
        await engine.dispose()


async def _migrated_file(path: Path) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_async(url)
    return url


async def test_a_lookup_on_a_sqlite_file_runs_here_and_sees_the_last_write(tmp_path: Path) -> None:
    engine = create_engine(await _migrated_file(tmp_path / "j.db"))
    jobs = Jobs(engine)
    try:
        etag: str | None = None
        for value in (1, 2):
            etag = await jobs.write(partial(_put, key="k", value=value, expected=etag))
            item, thread = await jobs.lookup(lambda conn: (get_item(conn, "k"), threading.current_thread()))
            assert item is not None and item.data == {"v": value} and item.etag == etag
            assert thread is threading.current_thread()  # no hand-off to the jobs thread
    finally:
        await jobs.aclose()
        await engine.dispose()


async def test_a_lookup_never_writes(tmp_path: Path) -> None:
    engine = create_engine(await _migrated_file(tmp_path / "j.db"))
    jobs = Jobs(engine)
    try:
        with pytest.raises(DBAPIError, match="readonly"):
            await jobs.lookup(partial(_put, key="k", value=1))
        assert await jobs.read(partial(get_item, key="k")) is None
        await jobs.write(partial(_put, key="k", value=2))  # the store itself still writes
        assert await jobs.lookup(lambda conn: get_item(conn, "k").data) == {"v": 2}  # type: ignore[union-attr]
    finally:
        await jobs.aclose()
        await engine.dispose()


async def test_a_lookup_on_a_busy_file_waits_on_the_jobs_thread_not_here(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    engine = create_engine(await _migrated_file(path))
    jobs = Jobs(engine)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        # Another process writes the file in rollback-journal mode: while it commits, readers get SQLITE_BUSY.
        other.execute("PRAGMA journal_mode = DELETE")
        other.execute("BEGIN EXCLUSIVE")
        other.execute("""INSERT INTO bot_state (key, data, etag, updated_at) VALUES ('k', '{"v": 2}', 'e', '2026')""")
        lookup = asyncio.create_task(jobs.lookup(lambda conn: (get_item(conn, "k"), threading.current_thread().name)))
        await asyncio.sleep(0)  # one step: the lookup met the lock and handed its job over
        assert not lookup.done()
        other.execute("COMMIT")
        item, thread = await lookup
        assert item is not None and item.data == {"v": 2}
        assert thread.startswith("sqlite-jobs")
    finally:
        other.close()
        await jobs.aclose()
        await engine.dispose()


async def test_in_memory_sqlite_uses_the_engine_itself(tmp_path: Path) -> None:
    # A second connection would open another, empty in-memory database.
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    jobs = Jobs(engine)
    try:
        name = await jobs.read(lambda conn: threading.current_thread().name)
        assert not name.startswith("sqlite-jobs")
        assert await jobs.read(lambda conn: conn.execute(text("SELECT 7")).scalar_one()) == 7
    finally:
        await jobs.aclose()
        await engine.dispose()


async def test_direct_statements_store_what_sqlalchemy_reads_back(jobs: Jobs, db_url: str) -> None:
    # On the SQLite jobs thread fetch/run/run_many bypass SQLAlchemy's execution; the rows they write
    # must read back through the ORM exactly (aware UTC instants, JSON), and the other way round.
    at = datetime(2026, 3, 8, 6, 59, 59, 123456, tzinfo=timezone(timedelta(hours=-5)))
    data = {"nested": {"list": [1, 2.5, None, "é"]}, "flag": True}
    direct = await jobs.read(lambda conn: conn.dialect.driver == "pysqlite")
    assert direct == db_url.startswith("sqlite")

    def write(conn: Connection) -> str:
        etag = swap_item(conn, "k", data, expected=None, now=at)
        add_lines(conn, conversation_id="c", channel="webchat", at=at, lines=[("customer", "hi"), ("bot", "hello")])
        return etag

    etag = await jobs.write(write)
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            lines = await get_transcript(session, conversation_id="c")
            row = await session.get(BotState, "k")
        assert [(line.role, line.text, line.at) for line in lines] == [("customer", "hi", at), ("bot", "hello", at)]
        assert lines[0].at.tzinfo is not None
        assert row is not None and row.data == data and row.etag == etag and row.updated_at == at
        async with session_factory(engine)() as session, session.begin():
            session.add(BotState(key="k2", data={"v": [1, {"w": 2}]}, etag="e2", updated_at=at))
    finally:
        await engine.dispose()
    item = await jobs.read(partial(get_item, key="k2"))
    assert item is not None and item.data == {"v": [1, {"w": 2}]} and item.etag == "e2"


async def test_statements_through_sqlalchemy_share_the_jobs_transaction(jobs: Jobs) -> None:
    # Jobs may mix driver-level statements (fetch/run) with SQLAlchemy ones; both commit or roll back
    # together, and the next job starts clean.
    insert = text("INSERT INTO case_counters (month, seq) VALUES (:month, 1)")

    def both_then_fail(conn: Connection) -> None:
        _put(conn, "mixed", 1)
        conn.execute(insert, {"month": "9901"})
        raise RuntimeError("after both")

    with pytest.raises(RuntimeError):
        await jobs.write(both_then_fail)

    def both(conn: Connection) -> None:
        conn.execute(insert, {"month": "9902"})
        _put(conn, "mixed", 2)

    await jobs.write(both)
    months = await jobs.read(lambda conn: conn.execute(text("SELECT month FROM case_counters")).scalars().all())
    assert months == ["9902"]
    item = await jobs.read(partial(get_item, key="mixed"))
    assert item is not None and item.data == {"v": 2}
    assert await jobs.write(partial(_put, key="after", value=3))  # nothing left open


async def test_a_cancelled_caller_does_not_stop_its_job_or_the_next(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'j.db'}")
    jobs = Jobs(engine)
    started, release = threading.Event(), threading.Event()

    def slow(conn: Connection) -> int:
        started.set()
        release.wait(10)
        return 1

    try:
        waiting = asyncio.create_task(jobs.read(slow))
        assert await asyncio.to_thread(started.wait, 10)
        waiting.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await jobs.read(lambda conn: 2) == 2
    finally:
        await jobs.aclose()
        await engine.dispose()


async def test_a_direct_statement_fails_as_sqlalchemy_would(jobs: Jobs) -> None:
    # The same primary key twice: SQLAlchemy's IntegrityError, which callers catch, not the driver's own.
    await create_conversation(jobs, conversation_id="dl-1", user_id="u", now=NOW)
    with pytest.raises(IntegrityError):
        await create_conversation(jobs, conversation_id="dl-1", user_id="u", now=NOW)


@pytest.mark.parametrize("db_url", [POSTGRES], indirect=True)
async def test_a_direct_statement_on_a_lost_postgres_connection_is_marked_for_the_retry(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "PING_AFTER_IDLE_SECONDS", 86_400.0)  # in steady use: no ping
    engine = create_engine(db_url, pool_size=2, max_overflow=0)
    jobs = Jobs(engine)
    try:
        await jobs.write(partial(_put, key="k", value=1))
        await end_other_connections(db_url)
        with pytest.raises(DBAPIError) as raised:
            await jobs.read(partial(get_item, key="k"))
        assert raised.value.connection_invalidated  # what the turn's retry looks for
        item = await jobs.read(partial(get_item, key="k"))  # the pool has reconnected
        assert item is not None and item.data == {"v": 1}
    finally:
        await jobs.aclose()
        await engine.dispose()
