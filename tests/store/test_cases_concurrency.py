"""Case numbers stay unique and creation idempotent when several OS processes create cases at once."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from store.cases import list_cases
from store.db import SessionMaker

from .helpers import new_case

REPO = Path(__file__).resolve().parents[2]

# Each process imports everything, says "ready", and waits for "go" so that both start together;
# then it creates its cases concurrently.
WORKER = """
import asyncio, sys
from tests.store.helpers import new_case
from store.db import create_engine, session_factory

async def main(url, prefix, count):
    engine = create_engine(url)
    sessions = session_factory(engine)
    cases = await asyncio.gather(*(new_case(sessions, f"{prefix}-{i}") for i in range(count)))
    await engine.dispose()
    sys.stdout.write("\\n".join(c.number for c in cases) + "\\n")

print("ready", flush=True)
sys.stdin.readline()
asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def _run_workers(db_url: str, prefixes: list[str], count: int) -> list[str]:
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            db_url,
            prefix,
            str(count),
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for prefix in prefixes
    ]
    for process in processes:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), timeout=60) == b"ready\n"
    numbers: list[str] = []
    outputs = await asyncio.gather(*(process.communicate(b"go\n") for process in processes))
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()
        numbers += out.decode().split()
    return numbers


async def test_two_processes_create_40_cases_with_unique_numbers(session_maker: SessionMaker, db_url: str) -> None:
    numbers = await _run_workers(db_url, ["p1", "p2"], 20)
    assert len(numbers) == 40
    assert len(set(numbers)) == 40
    assert sorted(numbers) == [f"2611-{n:04d}" for n in range(1, 41)]
    async with session_maker() as session:
        assert len(await list_cases(session, limit=100)) == 40


async def test_racing_processes_with_the_same_keys_make_one_case_per_key(
    session_maker: SessionMaker, db_url: str
) -> None:
    numbers = await _run_workers(db_url, ["same", "same"], 10)
    assert len(numbers) == 20
    # Both processes got the same ten cases back.
    assert len(set(numbers)) == 10
    async with session_maker() as session:
        assert len(await list_cases(session, limit=100)) == 10
    again = await new_case(session_maker, "same-3")
    assert again.number in numbers
