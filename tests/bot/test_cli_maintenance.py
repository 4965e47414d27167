"""`intake maintenance`, run in-process on a real database as an operator would run it."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import run
from store.clock import utc_now
from store.migrate import upgrade_async


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return run(argv, out=out), out.getvalue()


async def _accounts(tmp_path: Path) -> None:
    await upgrade_async(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}")
    csv = tmp_path / "accounts.csv"
    csv.write_text("k_number,name,phones\nK100001,North Clinic,\nK100002,South Clinic,\n", encoding="utf-8")
    code, _ = await asyncio.to_thread(_run, ["accounts", "import", str(csv)])
    assert code == 0


def _add(start_in: timedelta | datetime, hours: int, *more: str) -> list[str]:
    start = start_in if isinstance(start_in, datetime) else (utc_now() + start_in).replace(microsecond=0)
    return [
        "maintenance", "add", "--start", start.isoformat(), "--end", (start + timedelta(hours=hours)).isoformat(),
        "--components", "viewer", "--downtime", "yes", "--summary", "Database upgrade", "--json", *more,
    ]  # fmt: skip


async def test_add_refuses_short_notice_then_takes_an_override_and_the_budget_shows_it(tmp_path: Path) -> None:
    await _accounts(tmp_path)
    code, _ = await asyncio.to_thread(_run, _add(timedelta(days=2), 4, "--accounts", "K100001"))
    assert code == 2  # refused: inside the 14-day notice period
    code, out = await asyncio.to_thread(_run, _add(timedelta(days=2), 4, "--accounts", "K100001", "--override", "CVE"))
    assert code == 0
    added = json.loads(out)
    assert added["window"]["override_reason"] == "CVE" and added["window"]["accounts"] == ["K100001"]
    assert added["notices_queued"] == 3  # scheduled, start, end: the reminder's instant is past
    code, out = await asyncio.to_thread(_run, ["maintenance", "list"])
    assert code == 0 and "[override]" in out and "Database upgrade" in out
    code, out = await asyncio.to_thread(_run, ["maintenance", "budget", "--account", "K100001", "--json"])
    assert code == 0
    budgets = json.loads(out)["budgets"]  # one year, or two if the window straddles New Year
    assert {b["k_number"] for b in budgets} == {"K100001"} and {b["cap_hours"] for b in budgets} == {96.0}
    assert sum(b["used_hours"] for b in budgets) == 4.0


async def test_the_cap_change_and_cancel(tmp_path: Path) -> None:
    await _accounts(tmp_path)
    year = utc_now().year + 1  # both windows in next year, well past the notice period
    code, out = await asyncio.to_thread(_run, _add(datetime(year, 2, 1, tzinfo=UTC), 90, "--accounts", "all"))
    assert code == 0
    window = json.loads(out)["window"]["id"]
    code, _ = await asyncio.to_thread(_run, _add(datetime(year, 3, 1, tzinfo=UTC), 7, "--accounts", "K100002"))
    assert code == 2  # 97 hours of downtime in one year for K100002
    code, out = await asyncio.to_thread(_run, ["maintenance", "budget", "--year", str(year)])
    assert code == 0 and "K100002" in out and "90 of 96 h" in out
    start = datetime(year, 2, 2, tzinfo=UTC)
    change = [
        "maintenance", "change", str(window), "--start", start.isoformat(),
        "--end", (start + timedelta(hours=2)).isoformat(), "--accounts", "K100001", "--components", "viewer,archive",
        "--downtime", "yes", "--summary", "Shorter upgrade", "--json",
    ]  # fmt: skip
    code, out = await asyncio.to_thread(_run, change)
    assert code == 0 and json.loads(out)["window"]["version"] == 2
    # Instants in the desk's zone (CHAT_TIMEZONE, New York by default), as every command shows them.
    assert json.loads(out)["window"]["start_at"] == f"{year}-02-01T19:00:00-05:00"
    code, out = await asyncio.to_thread(_run, ["maintenance", "cancel", str(window)])
    assert code == 0 and "cancelled" in out and f"{year}-02-01T19:00-05:00 EST .. {year}-02-01T21:00-05:00 EST" in out
    code, _ = await asyncio.to_thread(_run, ["maintenance", "cancel", str(window)])
    assert code == 2
    code, _ = await asyncio.to_thread(_run, ["maintenance", "cancel", "999"])
    assert code == 2
