"""Phone load benchmark: N concurrent simulated calls through the whole Sev1 flow; webhook latency and calls/s."""

# .venv/bin/python bench/phone_load.py                          100 calls at once, server started in-process
# .venv/bin/python bench/phone_load.py --think 3 --ramp 20      paced like people: answers take ~3 s, calls
#                                                               start over 20 s
# .venv/bin/python bench/phone_load.py --database-url postgresql://...   in-process server on PostgreSQL
# .venv/bin/python bench/phone_load.py --url http://127.0.0.1:3978 --auth-token TOKEN \
#     --public-base-url https://support.example.com             a running `intake serve`
#
# Each call keys in a K#, describes an outage, confirms severity 1, lets every on-call engineer ring out
# and leaves a voicemail: answer, gathers, a whisper and a dial-status per engineer, voicemail and the
# status callback, every webhook signed as Twilio signs it. Load goes to loopback (or --url) only.

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.voice.simulator import SimulatorError, run_call

TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC = "https://phone-bench.example.test"
CALLER = "+14155552671"
ONCALL = "+14155550101,+14155550102"
MAX_INPUTS = 40  # a call that asks more than this is stuck in a loop: hang up
PROBLEM = "Our whole system is down, nobody at any site can log in"


def out(line: str = "") -> None:
    """Write one line of the report to stdout."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def caller_script(think: float) -> Callable[[str], Awaitable[str]]:
    """Answers for one call, chosen from the prompt the simulator shows, after `think` seconds."""
    asked = 0

    async def answer(prompt: str) -> str:
        nonlocal asked
        asked += 1
        if asked > MAX_INPUTS:
            raise EOFError
        if think:
            # A person listens to the prompt and answers: real calls space their webhooks by seconds.
            await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))
        if prompt.startswith("Does the engineer"):
            return "n"
        if prompt.startswith("MESSAGE"):
            return "Everything is down, please call me back."
        if "then #" in prompt:
            return "123456#"
        if "1 key" in prompt:
            return "1"
        return PROBLEM

    return answer


@contextlib.asynccontextmanager
async def in_process_server(database_url: str | None = None) -> AsyncIterator[str]:
    """The real service (`create_app`) with the phone line, at a free loopback port, on `database_url`
    (migrated first) or a fresh SQLite file."""
    from bot.app import create_app
    from bot.settings import load_settings
    from store.migrate import upgrade_async

    with tempfile.TemporaryDirectory(prefix="phone-bench-") as tmp:
        db_url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'intake.db'}"
        await upgrade_async(db_url)
        settings = load_settings(
            database_url=db_url,
            twilio_auth_token=TOKEN,
            public_base_url=PUBLIC,
            oncall_numbers=ONCALL,
            log_level="WARNING",
        )
        app = create_app(settings, database_url=db_url)  # the factory wires the phone line
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        host, port = runner.addresses[0][:2]
        try:
            yield f"http://{host}:{port}"
        finally:
            await runner.cleanup()


async def run(args: argparse.Namespace) -> int:
    """Play the calls and print the figures."""
    latencies: dict[str, list[float]] = defaultdict(list)
    failures: list[str] = []
    webhooks_per_call: list[int] = []

    def record(path: str, seconds: float) -> None:
        latencies[re.sub(r"\?.*", "", path)].append(seconds)

    async def one_call(url: str, session: aiohttp.ClientSession, start_after: float) -> None:
        await asyncio.sleep(start_after)
        try:
            result = await run_call(
                url,
                args.caller,
                args.auth_token,
                args.public_base_url or url,
                caller_script(args.think),
                lambda _line: None,
                on_webhook=record,
                session=session,
            )
            webhooks_per_call.append(result.webhooks)
        except (SimulatorError, aiohttp.ClientError, TimeoutError) as exc:
            failures.append(f"{type(exc).__name__}: {str(exc)[:160]}")

    async def play(url: str) -> float:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=args.timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            started = time.perf_counter()
            await asyncio.gather(*(one_call(url, session, i * args.ramp / args.calls) for i in range(args.calls)))
            return time.perf_counter() - started

    if args.url:
        elapsed = await play(args.url)
    else:
        async with in_process_server(args.database_url) as url:
            elapsed = await play(url)

    report(args.calls, elapsed, latencies, webhooks_per_call, failures)
    return 1 if failures else 0


def report(
    calls: int,
    elapsed: float,
    latencies: dict[str, list[float]],
    webhooks_per_call: list[int],
    failures: list[str],
) -> None:
    """Print calls/s and webhook latency percentiles (overall and per webhook)."""
    every = sorted(s for values in latencies.values() for s in values)
    out(f"calls: {calls} concurrent, {len(webhooks_per_call)} completed, {len(failures)} failed, in {elapsed:.2f} s")
    out(f"throughput: {len(webhooks_per_call) / elapsed:.1f} calls/s, {len(every) / elapsed:.1f} webhooks/s")
    if webhooks_per_call:
        out(f"webhooks per call: median {statistics.median(webhooks_per_call):.0f}, max {max(webhooks_per_call)}")
    if every:
        out(f"webhook latency: p50 {_ms(every, 50)}, p99 {_ms(every, 99)}, max {every[-1] * 1000:.1f} ms")
    for path in sorted(latencies):
        values = sorted(latencies[path])
        out(f"  {path:<22} n={len(values):<5} p50 {_ms(values, 50)}  p99 {_ms(values, 99)}")
    for failure in sorted(set(failures))[:5]:
        out(f"  failure: {failure}")


def _ms(sorted_values: list[float], pct: int) -> str:
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return f"{sorted_values[index] * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=100, help="concurrent calls (default 100, at most 2000)")
    parser.add_argument("--url", help="a running service (default: start one in-process on loopback)")
    parser.add_argument("--auth-token", default=TOKEN, help="TWILIO_AUTH_TOKEN of the service at --url")
    parser.add_argument("--public-base-url", default=None, help="PUBLIC_BASE_URL of the service at --url")
    parser.add_argument("--caller", default=CALLER, help="the callers' number (E.164)")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean seconds a caller takes to answer (default 0: flat out)"
    )
    parser.add_argument(
        "--ramp", type=float, default=0.0, help="seconds over which the calls start (default 0: all at once)"
    )
    parser.add_argument(
        "--database-url", default=None, help="in-process server's database, e.g. an empty PostgreSQL (default: SQLite)"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a call may take before failing")
    args = parser.parse_args()
    if not 1 <= args.calls <= 2000:
        parser.error("--calls must be between 1 and 2000")
    if args.url is None:
        args.public_base_url = PUBLIC
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
