"""The attempt throttle: reserve before the check, all keys or none, shared by engines and OS processes."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text

from store.db import create_engine
from store.jobs import Jobs
from store.throttle import Limit, ThrottledError, ThrottleKey, attempts, clear, prune, release, reserve

from .helpers import T0

REPO = Path(__file__).resolve().parents[2]
PAIR = Limit("test-pair", 3, timedelta(minutes=15))
WIDE = Limit("test-wide", 5, timedelta(hours=1))


async def _reserve(jobs: Jobs, *keys: ThrottleKey, at: object = T0) -> bool:
    """True when the attempt was granted, False when throttled."""
    try:
        await jobs.write(partial(reserve, keys=keys, at=at))
    except ThrottledError:
        return False
    return True


async def _count(jobs: Jobs, key: ThrottleKey, at: object = T0) -> int:
    return await jobs.read(partial(attempts, key=key, at=at))


async def test_attempts_are_counted_up_to_the_limit_then_refused_with_the_time_left(jobs: Jobs) -> None:
    key = PAIR.key("alice", "10.0.0.7")
    assert [await _reserve(jobs, key) for _ in range(PAIR.attempts)] == [True] * PAIR.attempts
    with pytest.raises(ThrottledError) as refused:
        await jobs.write(partial(reserve, keys=[key], at=T0 + timedelta(minutes=5)))
    assert refused.value.retry_after == timedelta(minutes=10)
    # A refused attempt is not counted: the window still ends when it did.
    assert await _count(jobs, key) == PAIR.attempts
    assert not await _reserve(jobs, key, at=T0 + PAIR.window - timedelta(seconds=1))
    assert await _reserve(jobs, key, at=T0 + PAIR.window)  # a new window
    assert await _count(jobs, key, at=T0 + PAIR.window) == 1


async def test_a_reservation_counts_on_every_key_or_on_none(jobs: Jobs) -> None:
    pair, wide = PAIR.key("alice", "a"), WIDE.key("a")
    for _ in range(PAIR.attempts):
        assert await _reserve(jobs, pair, wide)
    assert not await _reserve(jobs, pair, wide)
    # The refusal rolled back the wide key's count too.
    assert await _count(jobs, wide) == PAIR.attempts
    assert await _reserve(jobs, PAIR.key("bob", "a"), wide)
    assert await _count(jobs, wide) == PAIR.attempts + 1


async def test_release_gives_an_attempt_back_and_clear_forgets_them_all(jobs: Jobs) -> None:
    key, other = PAIR.key("carol"), PAIR.key("dave")
    for _ in range(PAIR.attempts):
        assert await _reserve(jobs, key)
        assert await _reserve(jobs, other)
    await jobs.write(partial(release, keys=[key], at=T0))
    assert await _count(jobs, key) == PAIR.attempts - 1
    assert await _reserve(jobs, key)
    await jobs.write(partial(clear, keys=[key]))
    assert await _count(jobs, key) == 0
    assert await _count(jobs, other) == PAIR.attempts
    # Releasing never goes below zero, nor touches a window that has passed.
    await jobs.write(partial(release, keys=[key], at=T0))
    assert await _count(jobs, key) == 0


async def test_concurrent_reservations_on_two_engines_grant_exactly_the_limit(db_url: str) -> None:
    engines = [create_engine(db_url), create_engine(db_url)]
    pools = [Jobs(engine) for engine in engines]
    try:
        key = WIDE.key("shared")
        granted = await asyncio.gather(*(_reserve(pools[i % 2], key) for i in range(4 * WIDE.attempts)))
        assert sum(granted) == WIDE.attempts
        assert await _count(pools[0], key) == WIDE.attempts
    finally:
        for pool in pools:
            await pool.aclose()
        for engine in engines:
            await engine.dispose()


# Each process reserves `count` attempts at once, after every process has said "ready".
WORKER = """
import asyncio, sys
from datetime import timedelta
from functools import partial
from store.db import create_engine
from store.jobs import Jobs
from store.throttle import Limit, ThrottledError, reserve
from tests.store.helpers import T0

async def one(jobs, key):
    try:
        await jobs.write(partial(reserve, keys=[key], at=T0))
    except ThrottledError:
        return 0
    return 1

async def main(url, count):
    engine = create_engine(url)
    jobs = Jobs(engine)
    key = Limit("test-procs", 5, timedelta(minutes=15)).key("shared")
    granted = await asyncio.gather(*(one(jobs, key) for _ in range(count)))
    await jobs.aclose()
    await engine.dispose()
    print(sum(granted), flush=True)

print("ready", flush=True)
sys.stdin.readline()
asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


async def test_os_processes_share_the_limit(db_url: str) -> None:
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            db_url,
            "8",
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for process in processes:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), timeout=60) == b"ready\n"
    outputs = await asyncio.gather(*(process.communicate(b"go\n") for process in processes))
    granted = 0
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()
        granted += int(out.decode())
    assert granted == 5


async def test_keys_keep_no_name_address_or_number_in_the_clear(jobs: Jobs, db_url: str) -> None:
    assert await _reserve(jobs, PAIR.key("alice", "203.0.113.9"), WIDE.key("2611-0042"))
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            keys = (await conn.execute(text("SELECT key FROM throttle_counters"))).scalars().all()
    finally:
        await engine.dispose()
    assert len(keys) == 2 and all(len(k) <= 100 for k in keys)
    assert not any(part in k for k in keys for part in ("alice", "203.0.113.9", "2611-0042"))


async def test_prune_deletes_only_passed_windows(jobs: Jobs) -> None:
    short, long = PAIR.key("short"), WIDE.key("long")
    assert await _reserve(jobs, short, long)
    assert await jobs.write(partial(prune, at=T0 + PAIR.window - timedelta(seconds=1))) == 0
    assert await jobs.write(partial(prune, at=T0 + PAIR.window)) == 1
    assert await _count(jobs, long) == 1
    assert await _reserve(jobs, short)  # a pruned key starts afresh


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        Limit("has:colon", 1, timedelta(minutes=1))
    with pytest.raises(ValueError):
        Limit("zero", 0, timedelta(minutes=1))
    assert PAIR.key("a", "b") != PAIR.key("a,b") and PAIR.key("a") == PAIR.key("a")
