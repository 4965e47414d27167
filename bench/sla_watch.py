"""Time of one SLA watch round with 100,000 open cases, of which a few are due a look.

The watch must find due cases through the `cases.sla_next_at` index, not by scanning every open case:

    .venv/bin/python bench/sla_watch.py                        # a SQLite file in a temporary folder
    .venv/bin/python bench/sla_watch.py --database-url postgresql+asyncpg://...   # an empty database

It fills the cases table (core inserts, one account), runs one round to settle every case's next look
(not timed), then times rounds at an instant where `--due` cases (default 100) are due a warning, and
prints the figures with the machine and the date.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sla_watch import SlaWatch  # noqa: E402
from intake.policy import Policy  # noqa: E402
from store.accounts import ensure_account_in  # noqa: E402
from store.db import create_engine  # noqa: E402
from store.jobs import Jobs  # noqa: E402
from store.migrate import upgrade_async  # noqa: E402
from store.models import Case, CaseEvent  # noqa: E402

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _fill(conn: object, *, cases: int, due: int) -> None:
    # Sev2 cases created 90-120 minutes before the round and answered after 20: their next look is their
    # update interval's warning, 80-110 minutes after the round. The `due` newest were created 50 minutes before
    # the round and not answered: their response warning (45 minutes) is due.
    account = ensure_account_in(conn, k_number="K100000", at=T0)  # type: ignore[arg-type]
    rows = []
    events = []
    for n in range(cases):
        created = T0 - timedelta(minutes=50) if n >= cases - due else T0 - timedelta(minutes=90, seconds=n % 1800)
        rows.append(
            {
                "number": f"2611-{n:06d}",
                "account_id": account,
                "k_number": "K100000",
                "severity": 2,
                "channel": "chat",
                "outcome": "web_request",
                "status": "new",
                "summary": "",
                "description": "",
                "created_at": created,
                "response_due": created + timedelta(hours=1),
                "fix_due": created + timedelta(hours=24),
                "updated_at": created,
                "sla_next_at": created,
            }
        )
    conn.execute(Case.__table__.insert(), rows)  # type: ignore[attr-defined]
    ids = [row[0] for row in conn.execute(Case.__table__.select().with_only_columns(Case.__table__.c.id))]  # type: ignore[attr-defined]
    for case_id, row in zip(ids, rows, strict=True):
        created = {"case_id": case_id, "at": row["created_at"], "actor": "bot", "kind": "created"}
        events.append({**created, "detail": {"severity": 2}})
        if row["created_at"] < T0 - timedelta(minutes=60):
            at = row["created_at"] + timedelta(minutes=20)
            events.append({"case_id": case_id, "at": at, "actor": "alice", "kind": "first_response", "detail": {}})
    conn.execute(CaseEvent.__table__.insert(), events)  # type: ignore[attr-defined]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await upgrade_async(url)
        engine = create_engine(url)
        jobs = Jobs(engine)
        try:
            started = time.perf_counter()
            await jobs.write(lambda conn: _fill(conn, cases=args.cases, due=args.due))
            filled = time.perf_counter() - started
            policy = Policy()
            settle = SlaWatch(jobs=jobs, policy=policy, clock=lambda: T0 - timedelta(minutes=49))
            started = time.perf_counter()
            await settle.run_once()  # every case gets its next look (not the figure: a one-off after the fill)
            settled = time.perf_counter() - started
            times, fired = [], []
            for k in range(args.rounds):
                at = T0 + timedelta(seconds=k)
                watch = SlaWatch(jobs=jobs, policy=policy, clock=lambda at=at: at)
                started = time.perf_counter()
                fired.append(await watch.run_once())
                times.append(time.perf_counter() - started)
        finally:
            await jobs.aclose()
            await engine.dispose()
    backend = url.split(":", 1)[0]
    machine = f"{platform.machine()} {platform.processor()}".strip()
    _say(f"{datetime.now(UTC):%Y-%m-%d} {machine} CPython {platform.python_version()}")
    _say(
        f"{backend}: {args.cases} open cases, {args.due} due a warning; "
        f"fill {filled:.1f} s, first settling round {settled:.1f} s"
    )
    rest = times[1:]
    _say(
        f"rounds: first {times[0] * 1000:.0f} ms ({fired[0]} alerts), "
        f"then median {statistics.median(rest) * 1000:.1f} ms (max {max(rest) * 1000:.1f} ms, {sum(fired[1:])} alerts)"
    )


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


if __name__ == "__main__":
    asyncio.run(main())
