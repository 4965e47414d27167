"""The SQLite jobs thread: write jobs queued together share one transaction, and a failing one fails alone."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.engine import Connection

from store.db import sqlite_connect
from store.sqlite_file import HeldConnection, JobThread, driver_of


class Thread:
    """A jobs thread on a fresh file with one table, tracing the writer's statements; `held()` keeps the
    thread busy while the test queues jobs behind it."""

    def __init__(self, path: Path) -> None:
        self.writer = HeldConnection(make_url(f"sqlite:///{path}"), sqlite_connect)
        self.thread = JobThread("sqlite-jobs-test", self.writer)
        self.trace: list[str] = []

    async def start(self) -> None:
        def setup(conn: Connection) -> None:
            conn.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
            driver_of(conn).set_trace_callback(self.trace.append)

        await self.thread.write(setup)
        self.trace.clear()

    async def held(self, queue: Callable[[], list[asyncio.Future[Any]]]) -> list[asyncio.Future[Any]]:
        """Queue what `queue` queues while the thread is busy with something else, then let it go on."""
        started, release = threading.Event(), threading.Event()

        def busy() -> None:
            started.set()
            release.wait(30)

        blocker = self.thread.call(busy)
        await asyncio.to_thread(started.wait, 30)
        futures = queue()
        release.set()
        await blocker
        return futures

    def transactions(self) -> list[str]:
        return [s.split()[0] for s in self.trace if s.split()[0] in ("BEGIN", "COMMIT", "ROLLBACK")]


@pytest.fixture
async def jobs_thread(tmp_path: Path) -> AsyncIterator[Thread]:
    thread = Thread(tmp_path / "j.db")
    await thread.start()
    try:
        yield thread
    finally:
        await thread.thread.call(thread.writer.close)
        thread.thread.stop()


def _insert(x: int, *, fail: bool = False) -> Callable[[Connection], int]:
    def job(conn: Connection) -> int:
        conn.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": x})
        if fail:
            raise ValueError(f"job {x} fails after its insert")
        return x * 10

    return job


def _rows(conn: Connection) -> list[int]:
    return [x for (x,) in conn.execute(text("SELECT x FROM t ORDER BY x"))]


async def test_write_jobs_queued_together_share_one_transaction(jobs_thread: Thread) -> None:
    futures = await jobs_thread.held(lambda: [jobs_thread.thread.write(_insert(x)) for x in range(1, 6)])
    assert [await f for f in futures] == [10, 20, 30, 40, 50]  # each caller its own result
    assert jobs_thread.transactions() == ["BEGIN", "COMMIT"]
    assert await jobs_thread.thread.write(_rows) == [1, 2, 3, 4, 5]


async def test_a_failing_job_of_a_group_fails_alone_and_the_others_commit(jobs_thread: Thread) -> None:
    queued = [_insert(1), _insert(2, fail=True), _insert(3)]
    futures = await jobs_thread.held(lambda: [jobs_thread.thread.write(job) for job in queued])
    assert await futures[0] == 10
    with pytest.raises(ValueError, match="job 2"):
        await futures[1]
    assert await futures[2] == 30
    # The group rolled back, then each job ran again in a transaction of its own.
    alone = ["BEGIN", "COMMIT", "BEGIN", "ROLLBACK", "BEGIN", "COMMIT"]
    assert jobs_thread.transactions() == ["BEGIN", "ROLLBACK", *alone]
    assert await jobs_thread.thread.write(_rows) == [1, 3]


async def test_a_call_between_writes_runs_alone_in_queue_order(jobs_thread: Thread) -> None:
    def count() -> int:
        return len(jobs_thread.trace)  # on the thread, between the two writes

    thread = jobs_thread.thread
    futures = await jobs_thread.held(lambda: [thread.write(_insert(1)), thread.call(count), thread.write(_insert(2))])
    assert [await f for f in futures] == [10, 3, 20]  # the first write's BEGIN, INSERT, COMMIT came before
    assert jobs_thread.transactions() == ["BEGIN", "COMMIT", "BEGIN", "COMMIT"]
