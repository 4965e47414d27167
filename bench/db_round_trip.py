"""What a store job and a statement cost the service's process in CPU, on SQLite or PostgreSQL.

    .venv/bin/python bench/db_round_trip.py                                     # a fresh SQLite file
    .venv/bin/python bench/db_round_trip.py --database-url postgresql://u@host:port/db

The turn's reads and writes are store jobs (store/jobs.py). Each row below runs one job (or one driver call)
many times against a one-row table of its own, and prints the process's CPU time (time.process_time: the
event loop, the driver, the job thread; not the database server's) per call. On PostgreSQL the driver's own
prepared statement and transaction are timed too, the floor under a job of the same statements.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from sqlalchemy import Column, MetaData, String, Table, bindparam, select, update  # noqa: E402
from sqlalchemy.engine import Connection, make_url  # noqa: E402

from store.db import create_engine  # noqa: E402
from store.jobs import Jobs, fetch, run  # noqa: E402

_TABLE = Table("bench_round_trip", MetaData(), Column("k", String(32), primary_key=True), Column("v", String(32)))
_READ = select(_TABLE.c.v).where(_TABLE.c.k == bindparam("key"))
_WRITE = update(_TABLE).where(_TABLE.c.k == bindparam("key")).values(v=bindparam("value"))


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _timed(what: str, call: Callable[[], Awaitable[object]], n: int) -> None:
    for _ in range(min(200, n)):  # warm: prepared statements, the pool, the job thread
        await call()
    started = time.process_time()
    for _ in range(n):
        await call()
    _say(f"| {what} | {(time.process_time() - started) / n * 1e6:.0f} |")


def _two_reads(conn: Connection) -> None:
    fetch(conn, _READ, {"key": "a"})
    fetch(conn, _READ, {"key": "a"})


def _read_and_write(conn: Connection) -> None:
    fetch(conn, _READ, {"key": "a"})
    run(conn, _WRITE, {"key": "a", "value": "w"})


async def measure(url: str, n: int) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_TABLE.drop, checkfirst=True)
            await conn.run_sync(_TABLE.create)
            await conn.execute(_TABLE.insert().values(k="a", v="v"))
        _say(f"{engine.dialect.name}, {n} calls each; CPU of this process per call\n")
        _say("| call | CPU us |")
        _say("|---|---|")
        postgres = engine.dialect.name == "postgresql"
        # On PostgreSQL the app's jobs keep their connections (store/kept.py): both ways are timed.
        for keep in (False, True) if postgres else (False,):
            jobs = Jobs(engine, keep_connections=keep)
            try:
                await _jobs(jobs, " (connections kept)" if keep else " (pooled)" if postgres else "", n)
            finally:
                await jobs.aclose()
        if postgres:
            await _driver_floor(url, n)
        async with engine.begin() as conn:
            await conn.run_sync(_TABLE.drop)
    finally:
        await engine.dispose()


async def _jobs(jobs: Jobs, how: str, n: int) -> None:
    read_one = partial(fetch, statement=_READ, params={"key": "a"})
    await _timed(f"read job, one statement{how}", partial(jobs.read, read_one), n)
    await _timed(f"read job, two statements{how}", partial(jobs.read, _two_reads), n)
    await _timed(f"write_one (a lone UPDATE){how}", partial(jobs.write_one, _WRITE, {"key": "a", "value": "o"}), n)
    await _timed(f"write job, one statement{how}", partial(jobs.write, read_one), n)
    await _timed(f"write job, a read and an UPDATE{how}", partial(jobs.write, _read_and_write), n)


async def _driver_floor(url: str, n: int) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        statement = await conn.prepare("SELECT v FROM bench_round_trip WHERE k = $1")

        async def in_transaction() -> None:
            async with conn.transaction():
                await statement.fetch("a")

        await _timed("asyncpg alone: prepared SELECT", partial(statement.fetch, "a"), n)
        await _timed("asyncpg alone: BEGIN, prepared SELECT, COMMIT", in_transaction, n)
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("-n", type=int, default=3000, help="calls a row (default 3000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite+aiosqlite:///{scratch}/bench.db"
        asyncio.run(measure(url, args.n))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
