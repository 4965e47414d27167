"""Outage storm: website customers over Web Chat's Direct Line 3.0 and callers over signed Twilio webhooks all
report the same outage within a window, against real `intake serve` processes behind nginx (issue #13)."""

# .venv/bin/python bench/storm.py                            1,000 chats + 200 calls in 60 s; PostgreSQL with
#                                                            1, 2 and 4 processes, then SQLite with one
# .venv/bin/python bench/storm.py --conversations 100 --calls 20 --window 10 --runs postgres:1
#
# Every customer does a whole intake: the chat customer gets a token, starts a conversation, reads the
# greeting on the WebSocket, sends a K# with the outage, confirms, and reads the case number announced; the
# caller keys a K#, says the outage, presses 1. Pages go to Twilio's REST API faked on loopback. PostgreSQL
# is a private server this harness starts (so its CPU is measured alone); SQLite a fresh file. Load goes to
# loopback only. The exit status is non-zero on any error, lost or duplicated case.

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import col, select

from store.db import create_engine, session_factory
from store.models import Case, DirectLineActivity, Incident, Outbox, TranscriptEntry
from tests.bot.cluster.customers import PhoneSettings, WebChatCustomer, report_by_chat, report_by_phone
from tests.bot.cluster.harness import running_cluster
from tests.bot.cluster.postgres import private_postgres
from tests.bot.voice.harness import ACCOUNT_SID, FakeTwilio, fake_twilio_api
from tests.bot.voice.harness import TOKEN as TWILIO_TOKEN

ONCALL = "+14155550101,+14155550102"
FROM_NUMBER = "+18005550199"
DRAIN_WAIT_S = 120.0  # how long the outbox may take to deliver the pages after the storm
EXPLAIN_AT_MOST = 12  # conversations --explain prints


def out(line: str = "") -> None:
    """Write one line of the report to stdout."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass
class Figures:
    """One run's results."""

    backend: str
    processes: int
    conversations: int
    calls: int
    window_s: float
    wall_s: float = 0.0
    measured_service: bool = True  # False against a --target: its processes and store are not this harness's
    chat_ok: int = 0
    calls_ok: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    client_retries: int = 0
    cases: int = 0
    chat_cases: int = 0
    phone_cases: int = 0
    lost: int = 0
    duplicated: int = 0
    unannounced: int = 0
    incidents: int = 0
    pages_sent: int = 0
    pages_twice: int = 0
    pages_pending: int = 0
    suspects: list[str] = field(default_factory=list)  # conversations or calls lost or doubled
    service_cpu_s: float = 0.0
    database_cpu_s: float = 0.0

    @property
    def turns(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data["latencies"] = {path: _percentiles(values) for path, values in sorted(self.latencies.items())}
        data["chat_message"] = _percentiles(self.latencies.get("message", []))
        webhooks = [s for path, values in self.latencies.items() if path.startswith("/twilio") for s in values]
        data["phone_webhook"] = _percentiles(webhooks)
        data["turns"] = self.turns
        data["turns_per_s"] = self.turns / self.wall_s if self.wall_s else 0.0
        data["cpu_ms_per_turn"] = 1000 * (self.service_cpu_s + self.database_cpu_s) / max(1, self.turns)
        data["errors"] = sorted(Counter(self.errors).items())
        return data


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}

    def rank(pct: float) -> float:  # nearest rank
        return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(len(ordered) * pct / 100) - 1))]

    return {"n": len(ordered), "p50": rank(50), "p95": rank(95), "p99": rank(99), "max": 1000 * ordered[-1]}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def arrivals(conversations: int, calls: int, window: float, seed: int) -> list[tuple[float, str, int]]:
    """(start second, "chat" or "call", customer number), spread evenly over the window in a seeded order."""
    kinds = ["chat"] * conversations + ["call"] * calls
    random.Random(seed).shuffle(kinds)
    total = len(kinds)
    return [(window * i / total, kind, i) for i, kind in enumerate(kinds)]


async def storm(
    base: str, figures: Figures, args: argparse.Namespace, twilio_token: str = TWILIO_TOKEN
) -> tuple[dict[str, str], set[str]]:
    """Play every customer against `base`; returns the chat cases announced (conversation -> case) and the
    calls completed."""
    announced: dict[str, str] = {}
    calls_done: set[str] = set()
    phone = PhoneSettings(auth_token=twilio_token, public_base_url=base)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    connector = aiohttp.TCPConnector(limit=0)

    def record(path: str, seconds: float) -> None:
        figures.latencies.setdefault(path, []).append(seconds)

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        loop = asyncio.get_running_loop()
        began = loop.time()

        async def one(start: float, kind: str, n: int) -> None:
            await asyncio.sleep(max(0.0, began + start - loop.time()))
            try:
                if kind == "chat":
                    customer = WebChatCustomer(http=http, base=base, record=record)
                    try:
                        number = await report_by_chat(customer, n)
                    finally:
                        figures.client_retries += customer.retries
                        await customer.close()
                    announced[customer.conversation] = number
                    figures.chat_ok += 1
                else:
                    calls_done.add(await report_by_phone(http, base, phone, n, record))
                    figures.calls_ok += 1
            except Exception as exc:  # every failure is counted and named in the report
                figures.errors.append(f"{kind}: {type(exc).__name__}: {str(exc)[:120]}")

        schedule = arrivals(args.conversations, args.calls, args.window, args.seed)
        await asyncio.gather(*(one(*arrival) for arrival in schedule))
        figures.wall_s = loop.time() - began
    return announced, calls_done


async def check_store(
    db_url: str, figures: Figures, announced: dict[str, str], calls: set[str], twilio: FakeTwilio
) -> None:
    """Cases written against conversations completed (none lost, none twice), and the pages delivered."""
    engine = create_engine(db_url)
    try:
        sessions = session_factory(engine)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_WAIT_S
        while True:  # the outbox delivers the pages in the background: wait for it to empty
            async with sessions() as session:
                pending = (await session.exec(select(Outbox).where(col(Outbox.status) == "pending"))).all()
            pages = [p for p in pending if p.kind == "sms_page"]
            if not pages or loop.time() > deadline:
                figures.pages_pending = len(pages)
                break
            await asyncio.sleep(0.5)
        async with sessions() as session:
            cases = list((await session.exec(select(Case))).all())
            figures.incidents = len((await session.exec(select(Incident))).all())
    finally:
        await engine.dispose()
    figures.cases = len(cases)
    by_conversation = Counter(c.conversation_id for c in cases)
    figures.duplicated = sum(n - 1 for n in by_conversation.values() if n > 1)
    figures.duplicated += len(cases) - len({c.idempotency_key for c in cases})
    figures.chat_cases = sum(c.channel == "chat" for c in cases)
    figures.phone_cases = sum(c.channel == "phone" for c in cases)
    stored: dict[str | None, set[str]] = {}
    for c in cases:
        stored.setdefault(c.conversation_id, set()).add(c.number)
    # Lost: the number announced is not among its conversation's cases (a doubled one is not lost too).
    figures.lost = sum(number not in stored.get(conversation, ()) for conversation, number in announced.items())
    figures.lost += sum(1 for sid in calls if sid not in stored)
    figures.unannounced = len(cases) - len(announced) - len(calls)
    figures.pages_sent = len(twilio.messages)
    figures.pages_twice = len(twilio.messages) - len({(m["to"], m["body"]) for m in twilio.messages})
    figures.suspects = sorted(
        {c for c, n in by_conversation.items() if c is not None and n > 1}
        | {c for c, number in announced.items() if number not in stored.get(c, ())}
        | {sid for sid in calls if sid not in stored}
    )


async def explain(db_url: str, conversations: list[str]) -> None:
    """Print what the store kept of each conversation lost or doubled: its cases, its Direct Line
    activities and its transcript, in order (the conversation's own words are the benchmark's)."""
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            for conversation in conversations[:EXPLAIN_AT_MOST]:
                out(f"   -- conversation {conversation}")
                cases = select(Case).where(col(Case.conversation_id) == conversation).order_by(col(Case.id))
                for c in (await session.exec(cases)).all():
                    out(f"      case {c.number} key {c.idempotency_key} at {c.created_at:%H:%M:%S.%f}")
                activities = (
                    select(DirectLineActivity)
                    .where(col(DirectLineActivity.conversation_id) == conversation)
                    .order_by(col(DirectLineActivity.seq))
                )
                for a in (await session.exec(activities)).all():
                    who = a.body.get("from", {}).get("role", "?")
                    text = str(a.body.get("text") or a.body.get("type"))[:60]
                    out(
                        f"      activity {a.seq:>3} {who:<4} {a.created_at:%H:%M:%S.%f} pending={a.pending}"
                        f" key={a.client_key} {text!r}"
                    )
                lines = (
                    select(TranscriptEntry)
                    .where(col(TranscriptEntry.conversation_id) == conversation)
                    .order_by(col(TranscriptEntry.id))
                )
                for line in (await session.exec(lines)).all():
                    out(f"      transcript {line.id:>6} {line.at:%H:%M:%S.%f} {line.role:<8} {line.text[:60]!r}")
    finally:
        await engine.dispose()


async def one_run(backend: str, processes: int, args: argparse.Namespace) -> Figures:
    figures = Figures(backend, processes, args.conversations, args.calls, args.window)
    async with AsyncExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="storm-")))
        database_cpu: Callable[[], float]
        if backend == "postgres":
            server = await stack.enter_async_context(private_postgres())
            db_url, database_cpu = server.url, server.cpu_seconds
        else:
            db_url = f"sqlite+aiosqlite:///{workdir / 'intake.db'}"
            database_cpu = lambda: 0.0  # noqa: E731 (SQLite runs inside the service's processes)
        twilio, twilio_url = await stack.enter_async_context(fake_twilio_api())
        env = {
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE": twilio_url,
            "ONCALL_NUMBERS": ONCALL,
            "SMTP_HOST": "",
            "METRICS": "off",
            "DIRECTLINE_RECOVERY_SECONDS": str(args.recovery_seconds),
        }
        cluster = await stack.enter_async_context(
            running_cluster(db_url, workdir, processes=processes, env=env, connections=8192)
        )
        pids = [p.popen.pid for p in cluster.processes]
        cpu_before = sum(map(_cpu_seconds, pids)), database_cpu()
        announced, calls = await storm(cluster.base, figures, args)
        figures.service_cpu_s = sum(map(_cpu_seconds, pids)) - cpu_before[0]
        figures.database_cpu_s = database_cpu() - cpu_before[1]
        await check_store(db_url, figures, announced, calls, twilio)
        if args.explain and figures.suspects:
            await explain(db_url, figures.suspects)
    return figures


def report(figures: Figures) -> None:
    data = figures.summary()
    out(
        f"== {figures.backend}, {figures.processes} process(es): {figures.conversations} chats + {figures.calls}"
        f" calls arriving over {figures.window_s:.0f} s, done in {figures.wall_s:.1f} s"
    )
    out(f"   completed: {figures.chat_ok} chats, {figures.calls_ok} calls; errors {len(figures.errors)}")
    for what in ("chat_message", "phone_webhook"):
        p = data[what]
        if p["n"]:
            out(
                f"   {what:<14} n={p['n']:<5} p50 {p['p50']:.1f}  p95 {p['p95']:.1f}  p99 {p['p99']:.1f}"
                f"  max {p['max']:.1f} ms"
            )
    for path, p in data["latencies"].items():
        out(f"     {path:<22} n={p['n']:<5} p50 {p['p50']:.1f}  p99 {p['p99']:.1f}  max {p['max']:.1f} ms")
    out(f"   turns {data['turns']} ({data['turns_per_s']:.1f}/s); client resends {figures.client_retries}")
    if not figures.measured_service:
        for error, count in data["errors"][:8]:
            out(f"   error x{count}: {error}")
        return
    out(
        f"   CPU: service {figures.service_cpu_s:.1f} s, database {figures.database_cpu_s:.1f} s,"
        f" {data['cpu_ms_per_turn']:.2f} ms a turn"
    )
    out(
        f"   store: {figures.cases} cases ({figures.chat_cases} chat, {figures.phone_cases} phone);"
        f" lost {figures.lost}, duplicated {figures.duplicated}, not announced {figures.unannounced};"
        f" incidents {figures.incidents};"
        f" pages sent {figures.pages_sent} (twice: {figures.pages_twice}), pending {figures.pages_pending}"
    )
    for error, count in data["errors"][:8]:
        out(f"   error x{count}: {error}")


def failed(figures: Figures) -> bool:
    return bool(
        figures.errors
        or figures.lost
        or figures.duplicated
        or figures.unannounced
        or figures.pages_pending
        or figures.pages_twice
    )


async def against(args: argparse.Namespace) -> Figures:
    """The storm against a service already running (--target): what its customers saw, nothing of its store.

    Its calls are signed with --twilio-token, which must be the service's TWILIO_AUTH_TOKEN, and the service's
    PUBLIC_BASE_URL must be the target (Twilio signs the URL it calls)."""
    figures = Figures(args.target, 1, args.conversations, args.calls, args.window, measured_service=False)
    announced, calls = await storm(args.target.rstrip("/"), figures, args, twilio_token=args.twilio_token)
    out(
        f"cases announced in chat: {len(announced)} ({len(set(announced.values()))} different);"
        f" calls done: {len(calls)}"
    )
    return figures


async def main_async(args: argparse.Namespace) -> list[Figures]:
    if args.target:
        figures = await against(args)
        report(figures)
        return [figures]
    results: list[Figures] = []
    for run in args.runs.split(","):
        backend, _, count = run.partition(":")
        results.append(await one_run(backend, int(count or 1), args))
        report(results[-1])
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--conversations", type=int, default=1000, help="website conversations (default 1000)")
    parser.add_argument("--calls", type=int, default=200, help="phone calls (default 200)")
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which they arrive (default 60)")
    parser.add_argument(
        "--runs",
        default="postgres:1,postgres:2,postgres:4,sqlite:1",
        help="backend:processes, comma separated (default postgres:1,postgres:2,postgres:4,sqlite:1)",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds any one request may take")
    parser.add_argument("--seed", type=int, default=13, help="the arrival order's seed")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--recovery-seconds",
        type=int,
        default=2,
        help="DIRECTLINE_RECOVERY_SECONDS of the processes: how long an activity stays pending before another"
        " process takes it, and how often each looks (default 2, as the cluster tests)",
    )
    parser.add_argument(
        "--target",
        help="storm a service already running at this URL instead (e.g. http://localhost:3978, to watch it on its"
        " /agent/dashboard); its store is not checked",
    )
    parser.add_argument(
        "--twilio-token",
        default="",
        help="with --target and --calls: the service's TWILIO_AUTH_TOKEN, to sign the calls' webhooks",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the stored cases, activities and transcript of each conversation lost or doubled",
    )
    args = parser.parse_args()
    if args.target and args.calls and not args.twilio_token:
        parser.error("--calls against --target need --twilio-token (the service's TWILIO_AUTH_TOKEN)")
    for run in args.runs.split(","):
        backend, _, count = run.partition(":")
        if backend not in ("postgres", "sqlite") or not (count or "1").isdigit() or not 1 <= int(count or 1) <= 8:
            parser.error(f"--runs: {run!r} is not postgres:N or sqlite:N (N from 1 to 8)")
    if not (0 <= args.conversations <= 5000 and 0 <= args.calls <= 2000 and args.window >= 0):
        parser.error("at most 5000 conversations and 2000 calls, over a window of 0 s or more")
    results = asyncio.run(main_async(args))
    if args.json:
        Path(args.json).write_text(json.dumps([r.summary() for r in results], indent=2))
    return 1 if any(map(failed, results)) else 0


if __name__ == "__main__":
    sys.exit(main())
