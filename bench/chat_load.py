"""Chat load benchmark: simulated customers hold whole intake conversations over expectReplies, per server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import logging
import math
import os
import pstats
import random
import re
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

TARGETS = ("intake", "echo", "bare")
MODES = ("closed", "open")
HOST = "127.0.0.1"  # load goes to loopback only
BACKLOG = 1024  # every customer connects at once in the closed loop; the default 128 would drop SYNs
SERVER_START_TIMEOUT = 60.0
SERVER_STOP_TIMEOUT = 60.0
SERVER_MAX_LIFETIME = 3600.0  # a server whose parent vanished stops by itself within this
MAX_CUSTOMERS = 5000
MAX_TURNS = 50
SELF = Path(__file__).resolve()

# Saturday 3 AM Eastern: chat is closed, so a minor problem is filed as a Sev3 web request (a case).
EASTERN = ZoneInfo("America/New_York")
NIGHT = datetime(2026, 11, 28, 3, 0, tzinfo=EASTERN)

# Minor problems that the triage rates Severity 3 (checked on every conversation).
PROBLEMS = (
    "the logo on the printed report is blurry, only cosmetic, just one user",
    "one user sees the wrong font in the worklist, cosmetic",
    "one radiologist's hanging protocol is wrong, cosmetic, others fine",
)
SCRIPT = ("join", "problem", "confirm", "status", "bye")
CASE_NUMBER = re.compile(r"\b(\d{4}-\d{4,})\b")  # "YYMM-NNNN"
SEV3 = re.compile(r"severity 3", re.IGNORECASE)


def out(line: str = "") -> None:
    """Write one line of the report to stdout."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------------------------------------- servers


class NightClock:
    """The intake service's clock: Saturday 3 AM Eastern at start-up, then moving with real time."""

    def __init__(self, start: datetime = NIGHT) -> None:
        self._start = start
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


def intake_app(db_url: str) -> web.Application:
    """The real service, as `intake serve` builds it (logging as configured by the service's settings)."""
    from bot.app import create_app
    from bot.server import settle_before_serving
    from bot.settings import load_settings

    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings, clock=NightClock(), database_url=db_url)
    settle_before_serving()
    return app


def echo_app() -> web.Application:
    """botbuilder's stock echo sample: ActivityHandler behind CloudAdapter(ConfigurationBotFrameworkAuthentication)."""
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext, serializer_helper
    from botbuilder.core.integration import aiohttp_error_middleware
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
    from botbuilder.schema import Activity, ChannelAccount

    class DefaultConfig:
        """The sample's config.py: no app id, so no auth (like the Emulator)."""

        PORT = 3978
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    class EchoBot(ActivityHandler):  # type: ignore[misc]
        """The sample's bot: greet members who join, echo every message."""

        async def on_members_added_activity(
            self, members_added: list[ChannelAccount], turn_context: TurnContext
        ) -> None:
            for member in members_added:
                if member.id != turn_context.activity.recipient.id:
                    await turn_context.send_activity("Hello and welcome!")

        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(DefaultConfig()))

    async def on_error(context: TurnContext, error: Exception) -> None:
        logging.getLogger("echo").error("turn failed: %s", error)
        await context.send_activity("The bot encountered an error or bug.")

    adapter.on_turn_error = on_error
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        # As the sample's `adapter.process(req, BOT)`, except for the response: botbuilder 4.17.1 already
        # serialises ExpectedReplies to a dict and its aiohttp integration serialises it again (a 500).
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415)
        activity = Activity().deserialize(await request.json())
        auth_header = request.headers.get("Authorization", "")
        invoke_response = await adapter.process_activity(auth_header, activity, bot.on_turn)
        if invoke_response is None:
            return web.Response(status=201)
        body = invoke_response.body
        if not (body is None or isinstance(body, dict | list)):
            body = serializer_helper(body)
        return web.json_response(body, status=invoke_response.status)

    app = web.Application(middlewares=[aiohttp_error_middleware])
    app.router.add_post("/api/messages", messages)
    return app


def bare_app() -> web.Application:
    """The floor: aiohttp parses the activity JSON and answers one reply, with no bot framework at all."""

    async def messages(request: web.Request) -> web.StreamResponse:
        activity = json.loads(await request.read())
        text = activity.get("text")
        reply = {
            "type": "message",
            "text": f"Echo: {text}" if text else "Hello and welcome!",
            "replyToId": activity.get("id"),
            "conversation": activity.get("conversation"),
            "from": activity.get("recipient"),
            "recipient": activity.get("from"),
        }
        return web.json_response({"activities": [reply]})

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


async def serve(target: str, db_url: str, profile_out: str | None) -> None:
    """Serve one target on loopback until SIGTERM; print its port; SIGUSR1 starts the profiler."""
    if target == "intake":
        app = intake_app(db_url)
    elif target == "echo":
        app = echo_app()
    else:
        app = bare_app()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0, backlog=BACKLOG)
    await site.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    profiler = cProfile.Profile() if profile_out else None
    if profiler is not None:
        loop.add_signal_handler(signal.SIGUSR1, profiler.enable)
    parent = os.getppid()
    out(f"LISTENING {runner.addresses[0][1]}")
    started = time.monotonic()
    while not stop.is_set():
        # Stop by ourselves if the load generator died or the run outlived any sane length.
        if os.getppid() != parent or time.monotonic() - started > SERVER_MAX_LIFETIME:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
    if profiler is not None and profile_out:
        profiler.disable()
        profiler.dump_stats(profile_out)
    await runner.cleanup()


@dataclass
class Server:
    """A target server running in its own process."""

    target: str
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/api/messages"


async def start_server(target: str, db_url: str, workdir: Path, tag: str, profile_out: Path | None = None) -> Server:
    """Start `target` in a child process (cwd = a scratch dir, so no stray .env) and wait for its port."""
    log = workdir / f"server-{target}-{tag}.log"
    command = [sys.executable, str(SELF), "--serve", target, "--db", db_url]
    if profile_out is not None:
        command += ["--profile-out", str(profile_out)]
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=stderr, cwd=workdir
        )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), SERVER_START_TIMEOUT)
    except TimeoutError:
        line = b""
    match = re.fullmatch(rb"LISTENING (\d+)\s*", line)
    if match is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise RuntimeError(f"{target} server did not start; its log:\n{log.read_text()[-4000:]}")
    return Server(target=target, process=process, port=int(match.group(1)), log=log)


async def stop_server(server: Server) -> None:
    """SIGTERM the server and wait for it (kill it if it hangs)."""
    if server.process.returncode is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(server.process.wait(), SERVER_STOP_TIMEOUT)
        except TimeoutError:
            server.process.kill()
            await server.process.wait()


_TICK = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds every core of the machine has spent busy since boot (from /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return math.nan
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICK


def process_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of a process: all threads, and its main thread alone."""
    total = main = 0.0
    tasks = Path(f"/proc/{pid}/task")
    for task in tasks.iterdir() if tasks.exists() else ():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
        total += seconds
        if task.name == str(pid):
            main = seconds
    return total, main


# ---------------------------------------------------------------------------------------------- customers


def plan(turns: int) -> list[str]:
    """The steps of one conversation: join, K# + problem, confirm, status questions, goodbye."""
    if turns <= len(SCRIPT):
        return list(SCRIPT[:turns])
    return ["join", "problem", "confirm", *(["status"] * (turns - 4)), "bye"]


@dataclass
class Customer:
    """One simulated customer and what the bot has told them so far."""

    index: int
    conversation: str
    k_number: str
    problem: str
    case_number: str | None = None
    sent: int = 0

    @property
    def user(self) -> str:
        return f"user-{self.index}"

    def activity(self, step: str) -> dict[str, Any]:
        self.sent += 1
        activity: dict[str, Any] = {
            "type": "message",
            "id": f"{self.conversation}-{self.sent}",
            "channelId": "webchat",
            "serviceUrl": "http://localhost/expect-replies",
            "conversation": {"id": self.conversation},
            "from": {"id": self.user, "role": "user"},
            "recipient": {"id": "bot"},
            "deliveryMode": "expectReplies",
        }
        if step == "join":
            activity["type"] = "conversationUpdate"
            activity["membersAdded"] = [{"id": self.user}]
        elif step == "problem":
            activity["text"] = f"{self.k_number} {self.problem}"
        elif step == "confirm":
            activity["text"] = "Yes, that's right"
        elif step == "status":
            number = self.case_number
            activity["text"] = f"What's the status of case {number}?" if number else "What's the status of my case?"
        else:
            activity["text"] = "That's all"
        return activity

    def check(self, target: str, step: str, activities: list[dict[str, Any]]) -> str | None:
        """None when the reply is what the customer should get; else what was wrong."""
        said = "\n".join(str(a.get("text") or "") for a in activities if a.get("type") == "message")
        if not said:
            return f"{step}: no message in the reply"
        if target != "intake":
            return None
        if step == "problem" and SEV3.search(said) is None:
            return "problem: not triaged as Severity 3"
        if step == "confirm":
            filed = CASE_NUMBER.search(said)
            if filed is None:
                return "confirm: no case number in the reply"
            self.case_number = filed.group(1)
        if step == "status" and (self.case_number is None or self.case_number not in said):
            return "status: the case was not reported"
        return None


@dataclass
class Tally:
    """What the customers of one phase saw."""

    latencies: list[float] = field(default_factory=list)  # seconds, answered turns that passed the checks
    errors: Counter[str] = field(default_factory=Counter)
    not_run: int = 0
    spans: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each conversation

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


async def converse(
    http: ClientSession,
    url: str,
    target: str,
    customer: Customer,
    steps: Sequence[str],
    think: Callable[[], float],
    deadline: float,
    tally: Tally,
) -> None:
    """Hold one conversation: each turn is a POST answered with the bot's replies (expectReplies)."""
    began = time.perf_counter()
    for position, step in enumerate(steps):
        if position:
            pause = think()
            if pause > 0:
                await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        if time.monotonic() >= deadline:
            tally.not_run += len(steps) - position
            break
        body = json.dumps(customer.activity(step)).encode()
        started = time.perf_counter()
        try:
            async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
                raw = await response.read()
                status = response.status
        except (ClientError, TimeoutError) as exc:
            tally.errors[f"{step}: {type(exc).__name__}"] += 1
            tally.not_run += len(steps) - position - 1
            break
        elapsed = time.perf_counter() - started
        if status != 200:
            tally.errors[f"{step}: HTTP {status}"] += 1
            tally.not_run += len(steps) - position - 1
            break
        try:
            activities = json.loads(raw)["activities"]
            if not isinstance(activities, list) or not activities:
                raise ValueError("no activities")
        except (ValueError, KeyError, TypeError):
            tally.errors[f"{step}: 200 without activities"] += 1
            continue
        problem = customer.check(target, step, activities)
        if problem is not None:
            tally.errors[problem] += 1
            continue
        tally.latencies.append(elapsed)
    tally.spans.append((began, time.perf_counter()))


def customers(run_id: str, count: int, first: int = 0) -> list[Customer]:
    """`count` customers with their own conversation, account and (Sev3) problem."""
    return [
        Customer(
            index=i,
            conversation=f"{run_id}-{i}",
            k_number=f"K{200000 + i}",
            problem=PROBLEMS[i % len(PROBLEMS)],
        )
        for i in range(first, first + count)
    ]


def client(timeout: float) -> ClientSession:
    """One HTTP client for the whole crowd: a keep-alive connection per concurrent customer."""
    return ClientSession(connector=TCPConnector(limit=0), timeout=ClientTimeout(total=timeout))


# ---------------------------------------------------------------------------------------------- phases


@dataclass
class Phase:
    """The measured outcome of one mode against one target."""

    target: str
    mode: str
    customers: int
    turns_planned: int
    ok: int
    errors: dict[str, int]
    not_run: int
    wall: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    peak_customers: int
    server_cpu: float
    server_main_cpu: float
    generator_cpu: float
    other_cpu: float  # CPU seconds the rest of the machine (other people's work) used during the phase
    cases: int | None = None
    spread: str = ""  # the same metric over every repetition, when repeated

    @property
    def turns_per_s(self) -> float:
        return self.ok / self.wall if self.wall > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def median_run(group: Sequence[Phase]) -> Phase:
    """The middle run of a group: by throughput for the closed loop, by p99 latency for the open loop."""
    if group[0].mode == "closed":
        ordered = sorted(group, key=lambda p: p.turns_per_s)
        spread = f"turns/s {', '.join(fmt(p.turns_per_s) for p in ordered)}"
    else:
        ordered = sorted(group, key=lambda p: p.p99_ms)
        spread = f"p99 ms {', '.join(fmt(p.p99_ms) for p in ordered)}"
    middle = ordered[(len(ordered) - 1) // 2]
    middle.spread = spread
    return middle


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of `values`; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def peak(spans: Sequence[tuple[float, float]]) -> int:
    """Most conversations in progress at the same moment."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    best = now = 0
    for _, delta in edges:
        now += delta
        best = max(best, now)
    return best


async def run_phase(
    server: Server, mode: str, args: argparse.Namespace, run_id: str, before: Callable[[], None] | None = None
) -> Phase:
    """Warm the server up, then drive one mode against it and measure."""
    steps = plan(args.turns)
    deadline = time.monotonic() + args.max_seconds
    async with client(args.timeout) as http:
        warm = Tally()
        crowd = customers(f"warm-{run_id}", args.warmup)
        await asyncio.gather(
            *(converse(http, server.url, server.target, c, steps, lambda: 0.0, deadline, warm) for c in crowd)
        )
        if warm.error_count or warm.not_run:
            raise RuntimeError(f"{server.target} failed its warm-up: {dict(warm.errors)}; log {server.log}")
        if before is not None:
            before()
        tally = Tally()
        crowd = customers(run_id, args.customers)
        deadline = time.monotonic() + args.max_seconds
        cpu0, main0 = process_cpu(server.process.pid)
        gen0 = time.process_time()
        busy0 = machine_busy()
        started = time.perf_counter()
        if mode == "closed":
            await asyncio.gather(
                *(converse(http, server.url, server.target, c, steps, lambda: 0.0, deadline, tally) for c in crowd)
            )
        else:
            await open_loop(http, server, crowd, steps, args, deadline, tally)
        wall = time.perf_counter() - started
        gen = time.process_time() - gen0
        cpu1, main1 = process_cpu(server.process.pid)
        busy = machine_busy() - busy0
    ms = [x * 1000 for x in tally.latencies]
    return Phase(
        target=server.target,
        mode=mode,
        customers=args.customers,
        turns_planned=args.customers * len(steps),
        ok=tally.ok,
        errors=dict(tally.errors),
        not_run=tally.not_run,
        wall=wall,
        p50_ms=percentile(ms, 50),
        p95_ms=percentile(ms, 95),
        p99_ms=percentile(ms, 99),
        max_ms=max(ms, default=math.nan),
        peak_customers=peak(tally.spans),
        server_cpu=cpu1 - cpu0,
        server_main_cpu=main1 - main0,
        other_cpu=max(0.0, busy - (cpu1 - cpu0) - gen),
        generator_cpu=gen,
    )


async def open_loop(
    http: ClientSession,
    server: Server,
    crowd: Sequence[Customer],
    steps: Sequence[str],
    args: argparse.Namespace,
    deadline: float,
    tally: Tally,
) -> None:
    """Customers arrive at a fixed rate and pause like people (think time +-50%, seeded) between messages."""
    interval = 1.0 / args.rate
    mean_think = float(args.think)
    t0 = time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    for n, customer in enumerate(crowd):
        wait = t0 + n * interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if time.monotonic() >= deadline:
            tally.not_run += len(steps) * (len(crowd) - n)
            break
        rng = random.Random(args.seed * 1_000_003 + customer.index)

        def think(rng: random.Random = rng) -> float:
            return mean_think * rng.uniform(0.5, 1.5)

        tasks.append(
            asyncio.create_task(converse(http, server.url, server.target, customer, steps, think, deadline, tally))
        )
    await asyncio.gather(*tasks)


# ---------------------------------------------------------------------------------------------- database


async def fresh_database(args: argparse.Namespace, workdir: Path, tag: str) -> str:
    """A migrated database for one intake server: a new SQLite file, or the given URL."""
    from store.migrate import upgrade_async

    url = f"sqlite+aiosqlite:///{workdir / f'intake-{tag}.db'}" if args.db == "sqlite" else args.db
    await upgrade_async(url)
    return url


async def count_cases(url: str, run_id: str) -> int:
    """Cases recorded by the measured conversations of one run."""
    from sqlalchemy import text

    from store.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(
                text("SELECT count(*) FROM cases WHERE conversation_id LIKE :prefix"), {"prefix": f"{run_id}-%"}
            )
            return int(result.scalar_one())
    finally:
        await engine.dispose()


# ---------------------------------------------------------------------------------------------- report


def machine() -> list[str]:
    """Where the figures come from."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    system = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system = line.split("=", 1)[1].strip('"')
    return [
        f"cores: {os.cpu_count()}, CPU: {model}, RAM: {ram}",
        f"Python {sys.version.split()[0]}, {system}, kernel {os.uname().release}",
    ]


def fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def table(phases: Sequence[Phase]) -> list[str]:
    """The results as a Markdown table (CPU: ms per answered turn, or % of one core over the phase)."""
    head = (
        "| target | mode | peak customers | turns ok | errors | not run | wall s | turns/s | p50 ms | p95 ms "
        "| p99 ms | max ms | server CPU ms/turn (main thread) | load-gen CPU % | others' CPU % |"
    )
    rows = [head, "|" + "---|" * (head.count(" | ") + 1)]
    for p in phases:
        per_turn = p.server_cpu / p.ok * 1000 if p.ok else math.nan
        per_turn_main = p.server_main_cpu / p.ok * 1000 if p.ok else math.nan
        share = 100 / p.wall if p.wall else math.nan
        rows.append(
            f"| {p.target} | {p.mode} | {p.peak_customers} | {p.ok} | {p.error_count} | {p.not_run} "
            f"| {p.wall:.2f} | {fmt(p.turns_per_s)} | {fmt(p.p50_ms)} | {fmt(p.p95_ms)} | {fmt(p.p99_ms)} "
            f"| {fmt(p.max_ms)} | {fmt(per_turn, 2)} ({fmt(per_turn_main, 2)}) | {fmt(p.generator_cpu * share, 0)} "
            f"| {fmt(p.other_cpu * share, 0)} |"
        )
    return rows


def verdicts(phases: Sequence[Phase], args: argparse.Namespace) -> list[str]:
    """Ratios and the issue's two goals, stated as met or not."""
    found = {(p.target, p.mode): p for p in phases}
    lines: list[str] = []
    for mode in MODES:
        intake = found.get(("intake", mode))
        if intake is None:
            continue
        for other in ("echo", "bare"):
            them = found.get((other, mode))
            if them is None or not them.turns_per_s:
                continue
            cpu_ratio = (them.server_cpu / them.ok) / (intake.server_cpu / intake.ok) if intake.server_cpu else math.nan
            lines.append(
                f"{mode} loop: intake / {other} = {intake.turns_per_s / them.turns_per_s:.2f}x turns/s, "
                f"p99 {fmt(intake.p99_ms)} ms vs {fmt(them.p99_ms)} ms; by server CPU per turn "
                f"(less sensitive to other load on the machine) {fmt(cpu_ratio, 2)}x"
            )
    closed_intake, closed_echo = found.get(("intake", "closed")), found.get(("echo", "closed"))
    if closed_intake and closed_echo and closed_echo.turns_per_s:
        ratio = closed_intake.turns_per_s / closed_echo.turns_per_s
        clean = closed_intake.error_count == 0 and closed_intake.not_run == 0
        verdict = "MET" if ratio >= 4 and clean else "NOT MET"
        lines.append(
            f"goal 1 (closed loop, intake >= 4x stock echo turns/s): {verdict} "
            f"({fmt(closed_intake.turns_per_s)} vs {fmt(closed_echo.turns_per_s)} turns/s = {ratio:.2f}x"
            f"{'' if clean else ', with errors'})"
        )
    else:
        lines.append("goal 1 (closed loop, intake >= 4x stock echo turns/s): not measured in this run")
    open_intake = found.get(("intake", "open"))
    if open_intake:
        clean = open_intake.error_count == 0 and open_intake.not_run == 0
        verdict = "MET" if open_intake.p99_ms < 50 and clean else "NOT MET"
        note = "" if args.customers == 200 else f"; NB measured at {args.customers} customers, the goal is at 200"
        lines.append(
            f"goal 2 (open loop, 200 customers, intake p99 < 50 ms): {verdict} "
            f"(p99 {fmt(open_intake.p99_ms)} ms, peak {open_intake.peak_customers} customers in conversation"
            f"{'' if clean else ', with errors'}{note})"
        )
    else:
        lines.append("goal 2 (open loop, 200 customers, intake p99 < 50 ms): not measured in this run")
    return lines


def _source(filename: str) -> str:
    """A profiled function's file, relative to site-packages or the project; stdlib files by name."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    here = str(SELF.parents[1]) + "/"
    if filename.startswith(here):
        return filename[len(here) :]
    if filename == "~":
        return "(built-ins: sockets, epoll, queues, ...)"
    return "(stdlib) " + Path(filename).name


def _package(filename: str) -> str:
    """Where a profiled function lives: a site-packages distribution, a project module, or the stdlib."""
    source = _source(filename)
    return source.split("/", 1)[0] if "site-packages/" in filename else source


def profile_report(path: Path, top: int) -> list[str]:
    """The intake server's hot spots: functions by own time, then own time summed per package or module.

    Cumulative times are left out: cProfile counts every resumption of a coroutine as a call and loses
    the caller across SQLAlchemy's greenlet switches, so its cumulative column means little here.
    """
    stats = pstats.Stats(str(path))
    entries: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for _, _, tt, _, _ in entries.values()) or 1.0
    lines = [f"own time profiled: {total:.2f} s", "--- functions by own time ---", "  own s     %    calls  function"]
    ranked = sorted(entries.items(), key=lambda item: -item[1][2])[:top]
    for (filename, line, name), (_, calls, own, _, _) in ranked:
        where = f"{_source(filename)}:{line}" if filename != "~" else "built-in"
        lines.append(f"{own:7.2f} {100 * own / total:5.1f} {calls:8d}  {name}  [{where}]")
    packages: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in entries.items():
        packages[_package(filename)] = packages.get(_package(filename), 0.0) + own
    lines += ["--- own time by package or module ---"]
    for name, own in sorted(packages.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"{own:7.2f} {100 * own / total:5.1f}  {name}")
    return lines


# ---------------------------------------------------------------------------------------------- main


async def bench(args: argparse.Namespace) -> int:
    """Every target in its own process, each mode against a freshly started server, then the report."""
    modes = list(MODES) if args.mode == "both" else [args.mode]
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    for line in machine():
        out(line)
    out(
        f"customers {args.customers}, turns {args.turns} ({', '.join(plan(args.turns))}), modes {modes}, "
        f"open-loop arrival {args.rate}/s, think {args.think} s +-50%, warm-up {args.warmup} conversations, "
        f"db {args.db if args.db == 'sqlite' else 'URL'}"
    )
    runs: dict[tuple[str, str], list[Phase]] = {}
    with tempfile.TemporaryDirectory(prefix="chat-load-") as scratch:
        workdir = Path(scratch)
        # Repetitions interleave the targets, so a burst of someone else's load does not hit one target only.
        for repetition in range(1, args.repeat + 1):
            for target in targets:
                for mode in modes:
                    tag = f"{mode}-{repetition}"
                    run_id = f"bench-{uuid.uuid4().hex[:8]}-{tag}"
                    db_url = await fresh_database(args, workdir, tag) if target == "intake" else ""
                    server = await start_server(target, db_url, workdir, tag)
                    try:
                        phase = await run_phase(server, mode, args, run_id)
                    finally:
                        await stop_server(server)
                    if target == "intake":
                        phase.cases = await count_cases(db_url, run_id)
                    runs.setdefault((target, mode), []).append(phase)
                    out(
                        f"[{repetition}/{args.repeat}] {target:6} {mode:6}: {fmt(phase.turns_per_s)} turns/s, "
                        f"p50 {fmt(phase.p50_ms)} ms, p95 {fmt(phase.p95_ms)} ms, p99 {fmt(phase.p99_ms)} ms, "
                        f"{phase.error_count} errors, others' CPU {fmt(phase.other_cpu / phase.wall * 100, 0)}%"
                        + (f", {phase.cases} cases recorded" if phase.cases is not None else "")
                    )
                    for reason, count in sorted(phase.errors.items()):
                        out(f"    error x{count}: {reason}")
                    if phase.error_count:
                        tail = server.log.read_text(errors="replace").splitlines()[-20:]
                        out(f"    last lines of the {target} server's log:")
                        for line in tail:
                            out(f"      {line}")
        phases = [median_run(runs[(target, mode)]) for target in targets for mode in modes]
        profile_lines: list[str] = []
        profiled: Phase | None = None
        if args.profile:
            stats_path = Path(args.profile_file) if args.profile_file else workdir / "intake.prof"
            run_id = f"bench-{uuid.uuid4().hex[:8]}-profile"
            db_url = await fresh_database(args, workdir, "profile")
            server = await start_server("intake", db_url, workdir, "profile", profile_out=stats_path)
            pid = server.process.pid
            try:
                profiled = await run_phase(server, "closed", args, run_id, before=lambda: os.kill(pid, signal.SIGUSR1))
            finally:
                await stop_server(server)
            profile_lines = profile_report(stats_path, args.profile_top)
    out()
    out("## results")
    for line in table(phases):
        out(line)
    if args.repeat > 1:
        out()
        out(f"each row is the median of {args.repeat} runs (closed: by turns/s, open: by p99); the spread:")
        for p in phases:
            out(f"  {p.target} {p.mode}: {p.spread}")
    out()
    for line in verdicts(phases, args):
        out(line)
    if profiled is not None:
        out()
        out(
            f"## intake server profile (cProfile, main thread only; closed loop under the profiler: "
            f"{fmt(profiled.turns_per_s)} turns/s, {profiled.error_count} errors)"
        )
        for line in profile_lines:
            out(line)
    if args.json:
        records = [{**vars(p), "turns_per_s": p.turns_per_s} for p in phases]
        document = json.dumps({"args": vars(args), "phases": records}, indent=2, default=str)
        await asyncio.to_thread(Path(args.json).write_text, document)
    failed = any(p.error_count or p.not_run for group in runs.values() for p in group)
    return 1 if failed else 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200, help="simulated customers per phase")
    parser.add_argument("--turns", type=int, default=5, help="turns per conversation (5: the whole intake)")
    parser.add_argument("--mode", choices=("closed", "open", "both"), default="both")
    parser.add_argument("--rate", type=float, default=20.0, help="open loop: customers arriving per second")
    parser.add_argument("--think", type=float, default=3.0, help="open loop: mean pause between messages, s")
    parser.add_argument("--db", default="sqlite", help="'sqlite' (a fresh migrated file per phase) or a URL")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated: intake,echo,bare")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured conversations before each phase")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds allowed for one turn")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="a phase stops sending after this")
    parser.add_argument("--repeat", type=int, default=1, help="runs per target and mode; the median is reported")
    parser.add_argument("--seed", type=int, default=1, help="seed of the think times")
    parser.add_argument("--profile", action="store_true", help="also profile the intake server under closed load")
    parser.add_argument("--profile-file", help="keep the cProfile stats here (default: a scratch file)")
    parser.add_argument("--profile-top", type=int, default=25, help="functions to list per profile ordering")
    parser.add_argument("--json", help="also write the results as JSON here")
    parser.add_argument("--serve", choices=TARGETS, help=argparse.SUPPRESS)  # internal: run one server
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)  # internal: where the server dumps stats
    args = parser.parse_args(argv)
    if not 1 <= args.customers <= MAX_CUSTOMERS:
        parser.error(f"--customers must be 1..{MAX_CUSTOMERS}")
    if not 1 <= args.turns <= MAX_TURNS:
        parser.error(f"--turns must be 1..{MAX_TURNS}")
    if not 1 <= args.repeat <= 20:
        parser.error("--repeat must be 1..20")
    if args.rate <= 0 or args.think < 0 or args.timeout <= 0 or args.max_seconds <= 0 or args.warmup < 0:
        parser.error("--rate, --timeout and --max-seconds must be positive; --think and --warmup not negative")
    unknown = {t.strip() for t in args.targets.split(",") if t.strip()} - set(TARGETS)
    if unknown or not args.targets.strip():
        parser.error(f"--targets: choose from {','.join(TARGETS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        asyncio.run(serve(args.serve, args.db, args.profile_out))
        return 0
    return asyncio.run(bench(args))


if __name__ == "__main__":
    raise SystemExit(main())
