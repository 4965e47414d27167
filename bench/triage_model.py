"""The learned triage model's cost: load time, memory, and CPU time a message, with and without reasons.

    .venv/bin/python bench/triage_model.py                 # every labelled line in data/triage
    .venv/bin/python bench/triage_model.py --model FILE    # another model file

Times are the thread's CPU time (time.thread_time), so other work on the machine does not inflate them.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.triage_model import MAX_CHARS, TriageModel, default_model  # noqa: E402


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _percentiles(values: list[float]) -> str:
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))] * 1e3  # noqa: E731
    return f"p50 {pick(0.5):.2f} ms, p99 {pick(0.99):.2f} ms, max {values[-1] * 1e3:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model JSON (default: the shipped one)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    model = TriageModel.from_json(Path(args.model).read_text(encoding="utf-8")) if args.model else default_model()
    loaded = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    texts = [
        json.loads(raw)["text"]
        for path in sorted((ROOT / "data" / "triage").glob("*.jsonl"))
        for raw in path.read_text(encoding="utf-8").splitlines()
        if raw.strip()
    ]
    _say(f"{platform.python_implementation()} {platform.python_version()}, model {model.version}")
    _say(f"load {loaded:.2f} s, peak RSS {rss_before / 1e3:.0f} MB -> {rss_after / 1e3:.0f} MB")
    for explain in (0, 5):
        for _ in range(args.rounds):  # the last round is reported: caches are warm, as in a running service
            cpu: list[float] = []
            for text in texts:
                begun = time.thread_time()
                model.predict(text, explain=explain)
                cpu.append(time.thread_time() - begun)
        label = "score + 5 reasons" if explain else "score only"
        _say(f"{len(texts)} messages, {label}: {_percentiles(cpu)}")
    longest = (" ".join(texts) * 2)[: 256 * 1024]
    for explain in (0, 5):
        begun = time.thread_time()
        model.predict(longest, explain=explain)
        label = "score + 5 reasons" if explain else "score only"
        _say(
            f"256 KiB message (first {MAX_CHARS} characters read), {label}: {(time.thread_time() - begun) * 1e3:.1f} ms"
        )


if __name__ == "__main__":
    main()
