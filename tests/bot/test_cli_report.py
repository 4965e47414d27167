"""`intake report`, run in-process on a real database as a user would run it."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from bot.cli import run
from store.db import create_engine, session_factory
from store.migrate import upgrade_async
from tests.store.test_reports import NOW, november_cases


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}")


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return run(argv, out=out), out.getvalue()


async def _november(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        return await november_cases(session_factory(engine))
    finally:
        await engine.dispose()


async def test_the_report_in_each_format(tmp_path: Path) -> None:
    numbers = await _november(tmp_path)
    at = ["--month", "2026-11", "--at", NOW.isoformat()]
    code, out = await asyncio.to_thread(_run, ["report", *at, "--format", "json"])
    assert code == 0
    body = json.loads(out)
    assert body["month"] == "2026-11" and body["bot"]["percent"] == 75.0
    assert (
        body["availability"][0]["k_number"] == "K222222" and numbers["d"] in body["availability"][0]["figure"]["cases"]
    )
    code, text = await asyncio.to_thread(_run, ["report", *at])
    assert code == 0
    assert text.startswith(
        "report 2026-11 (America/New_York): 2026-11-01T00:00-04:00 EDT to 2026-12-01T00:00-05:00 EST"
    )
    assert "K222222 clustered" in text and "left_minutes" in text and "-86.7" in text
    code, table = await asyncio.to_thread(_run, ["report", *at, "--format", "csv"])
    assert code == 0 and table.splitlines()[0] == "figure,group,measure,value"
    assert "availability,K222222 clustered,downtime_minutes,130" in table.splitlines()


async def test_a_bad_month_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await _november(tmp_path)
    code, _ = await asyncio.to_thread(_run, ["report", "--month", "2026-13"])
    assert code == 2 and "YYYY-MM" in capsys.readouterr().err
