"""The app's store jobs keep their PostgreSQL connections between jobs, and still survive the server going away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from store import kept
from store.db import _CHECKED_IN_AT as CHECKED
from store.db import create_engine
from store.jobs import Jobs
from tests.conftest import BACKENDS

from .helpers import end_other_connections

pytestmark = pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)


def _backend(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.fixture
async def app_jobs(db_url: str) -> AsyncIterator[Jobs]:
    """Jobs as the app makes them (connections kept)."""
    engine = create_engine(db_url)
    jobs = Jobs(engine, keep_connections=True)
    try:
        yield jobs
    finally:
        await jobs.aclose()
        assert engine.pool.checkedout() == 0  # every kept connection went back  # type: ignore[attr-defined]
        await engine.dispose()


async def test_jobs_one_after_another_run_on_one_kept_connection_of_each_kind(
    app_jobs: Jobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kept, "PING_AFTER_IDLE_SECONDS", 3600.0)  # none counts as idle here
    reads = {await app_jobs.read(_backend) for _ in range(5)}
    writes = {await app_jobs.write(_backend) for _ in range(5)}
    assert len(reads) == 1 and len(writes) == 1
    assert reads != writes  # autocommit and transactional ones are kept apart


async def test_a_connection_no_job_took_for_a_while_goes_back_to_the_pool(
    app_jobs: Jobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    await app_jobs.write(_backend)  # a transactional connection is kept ...
    monkeypatch.setattr(kept, "RELEASE_AFTER_IDLE_SECONDS", 0.0)  # ... and no job takes it for a while
    await app_jobs.read(_backend)
    assert app_jobs.kept_idle == 1  # the read's own is kept; the idle one went back for sessions


async def test_a_connection_given_back_tells_the_pool_how_long_it_sat_unused(db_url: str) -> None:
    # So the pool checks it before lending it (store/db.py _ping_if_idle): to the pool's own clock it was
    # checked in just now, and a server restart meanwhile would go unseen.
    engine = create_engine(db_url)
    checked_in_at: list[float] = []
    event.listen(engine.sync_engine, "checkin", lambda _dbapi, record: checked_in_at.append(record.info[CHECKED]))
    try:
        conn = await engine.connect()
        await kept._release(conn, 123.0)
        assert checked_in_at == [123.0]
    finally:
        await engine.dispose()


async def test_a_kept_connection_that_sat_idle_is_checked_and_replaced_when_the_server_ended_it(
    app_jobs: Jobs, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await app_jobs.read(_backend)
    monkeypatch.setattr(kept, "PING_AFTER_IDLE_SECONDS", 0.0)  # every kept connection has sat idle
    await end_other_connections(db_url)  # as in a server restart between two turns
    second = await app_jobs.read(_backend)  # not an error: the dead connection was found before use
    assert second != first
    assert await app_jobs.write(_backend) != first


async def test_a_lost_connection_gives_every_kept_one_back(
    app_jobs: Jobs, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kept, "PING_AFTER_IDLE_SECONDS", 3600.0)  # in steady use: not checked before use
    await app_jobs.read(_backend)
    await app_jobs.write(_backend)
    await end_other_connections(db_url)
    with pytest.raises(DBAPIError) as raised:
        await app_jobs.read(_backend)
    assert raised.value.connection_invalidated  # the turn's retry expects this (bot/intake_bot.py)
    # The transactional one, dead too, was given back with it: the next job gets a live connection.
    assert await app_jobs.write(_backend) > 0


async def test_a_failing_write_job_on_a_kept_connection_writes_nothing_and_the_next_one_commits(
    app_jobs: Jobs,
) -> None:
    await app_jobs.write(lambda conn: conn.execute(text("CREATE TABLE kept_t (v int)")))

    def half_done(conn: Connection) -> None:
        conn.execute(text("INSERT INTO kept_t VALUES (1)"))
        raise RuntimeError("crash after the first statement")

    with pytest.raises(RuntimeError):
        await app_jobs.write(half_done)
    await app_jobs.write(lambda conn: conn.execute(text("INSERT INTO kept_t VALUES (2)")))
    rows = await app_jobs.read(lambda conn: [r[0] for r in conn.execute(text("SELECT v FROM kept_t"))])
    assert rows == [2]


async def test_a_job_starting_while_idle_connections_go_back_never_gets_one_of_them(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A job that finds the kept connections idle gives the older ones back to the pool, one await each. A job
    # starting meanwhile must not take one of those: it would run on a connection being closed under it
    # (asyncpg's "another operation is in progress", seen as a phone turn told the database was unavailable).
    engine = create_engine(db_url)
    connections = kept.KeptConnections(engine)
    going_back: list[int] = []
    releasing, proceed = asyncio.Event(), asyncio.Event()
    release = kept._release

    async def paused_release(conn: AsyncConnection, idle_since: float) -> None:
        going_back.append(int(await conn.scalar(text("SELECT pg_backend_pid()"))))
        if not releasing.is_set():
            releasing.set()
            await proceed.wait()
        await release(conn, idle_since)

    try:
        kept_now = await asyncio.gather(*(connections.run(_backend, autocommit=False) for _ in range(3)))
        assert len(set(kept_now)) == 3
        monkeypatch.setattr(kept, "PING_AFTER_IDLE_SECONDS", 0.0)  # all three have sat idle
        monkeypatch.setattr(kept, "_release", paused_release)
        first = asyncio.ensure_future(connections.run(_backend, autocommit=False))
        await releasing.wait()  # the first job is giving the older ones back
        meanwhile = await connections.run(_backend, autocommit=False)
        proceed.set()
        ran_on = await first
        assert sorted(going_back) == sorted(set(kept_now) - {ran_on})  # the two older ones, each once
        assert meanwhile not in going_back
    finally:
        proceed.set()
        await connections.close()
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        await engine.dispose()
