"""Turn time against message length: triage and the dialogue's turns on texts up to the 256 KiB body limit.

The dialogue (intake.conversation) runs on the service's event loop, so a turn's time is how long every
other client waits. Each measurement runs in a child process with a time limit, against the working tree
or, with --ref, against the intake package of a git revision (the "before" of a change):

    .venv/bin/python bench/triage_length.py                   # this working tree
    .venv/bin/python bench/triage_length.py --ref HEAD~3      # intake/ as of HEAD~3

For each shape and length it prints three times: `triage()` alone on the message; the turn in which a new
customer sends the message (no K# yet: the dialogue reads it and keeps it); and the next turn, "K123456",
in which the gathered description is triaged (the issue's "four 25k messages, then K123456").

With --server it runs the real service instead (`bench/chat_load.py --serve intake`, on a fresh SQLite
file, of the same revision) and sends each message with a K# in one POST /api/messages (expectReplies),
while polling GET /healthz: the turn's time and the longest /healthz wait show what one message does to
every other client. A turn that runs out of time stops the server; the next measurement starts another.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

SELF = Path(__file__).resolve()
ROOT = SELF.parents[1]
BODY_LIMIT = 256 * 1024  # the largest activity the service accepts (bot/messages.py)
SIZES = (1_000, 4_000, 16_000, 64_000, 128_000, BODY_LIMIT)
KEYS = ("message_turn", "account_turn", "triage")  # in the order a child measures them

# Shapes that cost the old code the most, and ordinary prose for reference.
SHAPES = {
    # A long, ordinary description: sentences of the kind customers write.
    "prose": (
        "The viewer shows a grey screen for some CT studies since the upgrade, and the log says the cache is "
        "full. Two radiologists at the north site cannot open priors, the others are fine. "
    ),
    # Another script, or emoji: triage reads them as spaces, and a run of spaces was quadratic.
    "foreign": "\u67e5\u770b\u5668\u6253\u4e0d\u5f00\u6240\u6709\u533b\u751f\U0001f525",
    # Negations in one clause with no "at all" after them: each one scanned to the clause's end.
    "negations": "not a no b never c ",
    # One word with no break: every deletion of it was checked as a typo of a key term.
    "token": "x",
    # "K" and spaces: the K# pattern's three `\s*` split each run every way (cubic in the run's length).
    "k-spaces": "K" + " " * 999,
}


def out(line: str = "") -> None:
    """Write one line of the report to stdout."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# Every message starts as a description, so the dialogue keeps it and triages it on the K# turn.
LEAD = "The viewer is down for everyone. "


def text_of(shape: str, size: int) -> str:
    unit = SHAPES[shape]
    return (LEAD + unit * (size // len(unit) + 1))[:size]


# --- the child: one measurement ------------------------------------------------------------------


def measure(shape: str, size: int) -> None:
    """Print the seconds of the two dialogue turns and of triage(), each as soon as it is known."""
    import importlib
    from zoneinfo import ZoneInfo

    from intake import conversation as convo
    from intake.domain import Channel
    from intake.policy import Policy
    from intake.triage import triage

    # --ref may name a revision from before the dialogue's events moved out of intake.conversation.
    events = convo if hasattr(convo, "Context") else importlib.import_module("intake.dialogue_events")
    text = text_of(shape, size)
    at = datetime(2026, 11, 28, 3, 0, tzinfo=ZoneInfo("America/New_York"))
    ctx = events.Context(Policy(), Channel.CHAT, "bench", 0)
    state = convo.start(ctx, events.Start(at)).state
    # One short conversation first: loading a model or compiling patterns once is no cost of a turn.
    warm = convo.step(ctx, state, events.UserTurn(at, "The viewer is slow for one user."))
    convo.step(ctx, warm.state, events.UserTurn(at, "K654321"))
    triage("The viewer is slow for one user.")
    started = time.perf_counter()
    told = convo.step(ctx, state, events.UserTurn(at, text))
    out(json.dumps({"message_turn": time.perf_counter() - started}))
    started = time.perf_counter()
    convo.step(ctx, told.state, events.UserTurn(at, "K123456"))
    out(json.dumps({"account_turn": time.perf_counter() - started}))
    started = time.perf_counter()
    triage(text)
    out(json.dumps({"triage": time.perf_counter() - started}))


# --- the parent: children, time limits, the table --------------------------------------------------


def code_at(ref: str, into: Path, server: bool) -> Path:
    """The intake package (all of the code, for --server) as of git `ref`, unpacked under `into`."""
    paths = ["intake", "store", "bot", "bench"] if server else ["intake"]
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, *paths], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def run_child(code: Path, shape: str, size: int, limit: float) -> dict[str, float]:
    """What a child measured within `limit` seconds (a measurement still running then is missing)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [sys.executable, str(SELF), "--child", shape, str(size)]
    try:
        done = subprocess.run(cmd, env=env, cwd=code, capture_output=True, text=True, timeout=limit, check=True)
        printed = done.stdout
    except subprocess.TimeoutExpired as exc:
        printed = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
    result: dict[str, float] = {}
    for line in printed.splitlines():
        result.update(json.loads(line))
    return result


def cell(seconds: float | None, limit: float) -> str:
    if seconds is None:
        return f"> {limit:.0f} s"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"


# --- --server: the real service, one POST per message, /healthz polled meanwhile -------------------


async def start_server(code: Path, workdir: Path, n: int) -> tuple[asyncio.subprocess.Process, str]:
    """`chat_load.py --serve intake` of `code` on a fresh, migrated SQLite file; returns it and its URL."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    db = f"sqlite+aiosqlite:///{workdir / f'intake-{n}.db'}"
    migrate = "import asyncio, sys; from store.migrate import upgrade_async; asyncio.run(upgrade_async(sys.argv[1]))"
    migrating = await asyncio.create_subprocess_exec(sys.executable, "-c", migrate, db, env=env, cwd=workdir)
    if await migrating.wait():
        raise RuntimeError("the database migration failed")
    with (workdir / f"server-{n}.log").open("wb") as log:
        server = await asyncio.create_subprocess_exec(
            sys.executable, str(code / "bench/chat_load.py"), "--serve", "intake", "--db", db,
            env=env, cwd=workdir, stdout=asyncio.subprocess.PIPE, stderr=log,
        )  # fmt: skip
    assert server.stdout is not None
    line = (await asyncio.wait_for(server.stdout.readline(), 60)).decode()
    if not line.startswith("LISTENING "):
        raise RuntimeError(f"the server did not start: {(workdir / f'server-{n}.log').read_text()[-2000:]}")
    return server, f"http://127.0.0.1:{int(line.split()[1])}"


def activity(conversation: str, text: str | None) -> dict[str, object]:
    body: dict[str, object] = {
        "type": "message" if text is not None else "conversationUpdate",
        "id": f"{conversation}-{'message' if text is not None else 'join'}",
        "channelId": "webchat",
        "serviceUrl": "http://localhost/expect-replies",
        "conversation": {"id": conversation},
        "from": {"id": "customer", "role": "user"},
        "recipient": {"id": "bot"},
        "deliveryMode": "expectReplies",
    }
    if text is None:
        body["membersAdded"] = [{"id": "customer"}]
    else:
        body["text"] = text
    return body


def message_body(conversation: str, shape: str, size: int) -> tuple[bytes, int]:
    """The message activity with a K# and the shape's text, shortened to fit the body limit; its length.

    The K# comes first, so the turn triages the message; for k-spaces it comes last, as the K# search
    must pass every "K" and its spaces before it finds the real one.
    """
    core = text_of(shape, size)
    while True:
        text = f"{core} K123456" if shape == "k-spaces" else f"K123456 {core}"
        body = json.dumps(activity(conversation, text), ensure_ascii=False).encode()
        if len(body) <= BODY_LIMIT:
            return body, len(text)
        core = core[: len(core) - (len(body) - BODY_LIMIT) // 3 - 16]


async def server_turn(
    url: str, shape: str, size: int, limit: float, conversation: str
) -> tuple[int, float | None, float]:
    """Characters sent, the turn's seconds (None: out of time) and the longest /healthz wait meanwhile."""
    import aiohttp

    headers = {"Content-Type": "application/json"}
    body, chars = message_body(conversation, shape, size)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=limit)) as session:
        async with session.post(f"{url}/api/messages", json=activity(conversation, None)) as joined:
            joined.raise_for_status()
        longest = 0.0
        done = asyncio.Event()

        async def poll() -> None:
            nonlocal longest
            while not done.is_set():
                started = time.perf_counter()
                # A pooled connection the server dropped meanwhile fails once: that wait counts too.
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{url}/healthz") as health:
                        await health.read()
                longest = max(longest, time.perf_counter() - started)
                await asyncio.sleep(0.005)

        poller = asyncio.create_task(poll())
        started = time.perf_counter()
        try:
            async with session.post(f"{url}/api/messages", data=body, headers=headers) as answered:
                answered.raise_for_status()
                await answered.read()
            took: float | None = time.perf_counter() - started
        except TimeoutError:
            took = None
        done.set()
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError, TimeoutError):
            await poller
    return chars, took, longest if took is not None else time.perf_counter() - started


async def run_server(code: Path, shapes: list[str], sizes: list[int], limit: float) -> None:
    out("| shape | characters | turn (POST /api/messages) | longest /healthz wait meanwhile |")
    out("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="triage-length-server-") as tmp:
        started = 0
        server: asyncio.subprocess.Process | None = None
        for shape in shapes:
            slow = False
            for size in sorted(sizes):
                if slow:  # a smaller message of this shape ran out of time: so would this one
                    out(f"| {shape} | {size:,} | {cell(None, limit)} | {cell(None, limit)} |")
                    continue
                if server is None:
                    started += 1
                    server, url = await start_server(code, Path(tmp), started)
                    await server_turn(url, "prose", 200, limit, f"warm-up-{started}")  # first-turn costs
                chars, took, waited = await server_turn(url, shape, size, limit, f"bench-{shape}-{size}")
                out(f"| {shape} | {chars:,} | {cell(took, limit)} | {cell(waited if took else None, limit)} |")
                if took is None:  # still busy with the message: stop it
                    slow = True
                    server.kill()
                    await server.wait()
                    server = None
        if server is not None:
            server.terminate()
            await server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ref", help="measure intake/ as of this git revision instead of the working tree")
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=list(SHAPES))
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES), help="message lengths in characters")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds a measurement may take (default 120)")
    parser.add_argument("--server", action="store_true", help="measure turns of the real service (see above)")
    parser.add_argument("--child", nargs=2, metavar=("SHAPE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.child[0], int(args.child[1]))
        return 0
    if any(size > BODY_LIMIT or size < 1 for size in args.sizes):
        parser.error(f"sizes must be between 1 and {BODY_LIMIT}")
    with tempfile.TemporaryDirectory(prefix="triage-length-") as tmp:
        code = code_at(args.ref, Path(tmp), args.server) if args.ref else ROOT
        out(f"# triage_length: {args.ref or 'working tree'}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        out(f"# {machine()}")
        if args.server:
            asyncio.run(run_server(code, args.shapes, args.sizes, args.limit))
            return 0
        out("| shape | characters | triage() | message turn | K# turn |")
        out("|---|---:|---:|---:|---:|")
        for shape in args.shapes:
            slow: set[str] = set()
            for size in sorted(args.sizes):
                # Past a size that ran out of time, larger ones would too: say so without waiting for them.
                result = {} if len(slow) == len(KEYS) else run_child(code, shape, size, args.limit)
                slow |= {key for key in KEYS if key not in result}
                row = [cell(result.get(key), args.limit) for key in ("triage", "message_turn", "account_turn")]
                out(f"| {shape} | {size:,} | " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
