"""The `intake` command line, run in-process as a user would run it."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from bot.cli import run


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def _run(argv: list[str], stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    code = run(argv, out=out)
    return code, out.getvalue()


def test_triage_reads_plain_and_json_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(
        ["triage"],
        stdin='the whole PACS is down at every site, nobody can read\n\n{"text": "how do I change my password?"}\n',
        monkeypatch=monkeypatch,
    )
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["severity"] for r in rows] == [1, 4]
    for row in rows:
        assert 0 <= row["confidence"] <= 1 and row["evidence"]


def test_triage_bad_json_line_is_an_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _run(["triage"], stdin='{"txt": 1}\n', monkeypatch=monkeypatch)
    assert code == 2
    assert "line 1" in capsys.readouterr().err


def test_triage_eval_prints_accuracy_and_confusion(tmp_path: Path) -> None:
    labelled = tmp_path / "set.jsonl"
    labelled.write_text(
        json.dumps({"text": "everything is down for every user at all sites", "severity": 1})
        + "\n"
        + json.dumps({"text": "can you add a new user account for our new radiologist?", "severity": 4})
        + "\n"
    )
    code, out = _run(["triage", "--eval", str(labelled), "--json"])
    assert code == 0
    report = json.loads(out)
    assert report["total"] == 2
    assert report["accuracy"] == 1.0
    assert report["confusion"][0][0] == 1 and report["confusion"][3][3] == 1
    code, text = _run(["triage", "--eval", str(labelled)])
    assert code == 0 and "accuracy" in text.lower()


def test_route_json_keys_and_values() -> None:
    code, out = _run(["route", "--severity", "3", "--channel", "chat", "--at", "2026-11-28T03:00:00-05:00", "--json"])
    assert code == 0
    data = json.loads(out)
    assert data["channel_open"] is False
    assert data["outcome"] == "web_request"
    assert data["next_chat_open"] == "2026-11-30T08:00:00-05:00"
    assert data["response_due"] == "2026-11-29T08:00:00+00:00"
    assert data["fix_due"] == "2026-12-03T08:00:00+00:00"


def test_route_live_chat_in_hours_with_agents_and_utc_input() -> None:
    code, out = _run(
        [
            "route",
            "--severity",
            "4",
            "--channel",
            "chat",
            "--at",
            "2026-07-15T12:00:00Z",
            "--agents-online",
            "1",
            "--json",
        ]
    )
    data = json.loads(out)
    assert code == 0 and data["channel_open"] is True and data["outcome"] == "live_chat"
    assert data["next_chat_open"] is None and data["fix_due"] is None


def test_route_phone_is_always_open() -> None:
    code, out = _run(["route", "--severity", "1", "--channel", "phone", "--at", "2026-11-29T03:00:00-05:00", "--json"])
    data = json.loads(out)
    assert code == 0 and data["channel_open"] is True and data["outcome"] == "phone_engineer"


def test_route_refuses_naive_instant(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["route", "--severity", "2", "--channel", "chat", "--at", "2026-11-24T10:00:00"])
    assert code == 2 and out == ""
    assert "offset" in capsys.readouterr().err


def test_bad_configuration_stops_with_the_setting_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPPORT_HOLIDAYS", "Narnia")
    code, _ = _run(["route", "--severity", "2", "--channel", "chat", "--at", "2026-11-24T10:00:00Z"])
    assert code == 2
    assert "SUPPORT_HOLIDAYS" in capsys.readouterr().err


def test_accounts_import_and_cases_listing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("k_number,name,phones\nK123456,Acme Imaging,+12125550142\nK12,Short,\nK222222,,+12125550143\n")
    code, _ = _run(["accounts", "import", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "line 3" in err and "line 4" in err and "nothing imported" in err
    good = tmp_path / "good.csv"
    good.write_text("k_number,name,phones\nK123456,Acme Imaging,(212) 555-0142;+12125550143\n")
    code, out = _run(["accounts", "import", str(good)])
    assert code == 0 and "imported 1" in out
    code, out = _run(["cases", "--json"])
    assert code == 0 and out == ""  # a fresh store has no cases
    code, out = _run(["cases", "--status", "bogus"])
    assert code == 2


async def _file_case(url: str) -> str:
    from datetime import UTC, datetime

    from store.db import create_engine, session_factory
    from store.migrate import upgrade_async
    from tests.store.helpers import new_case

    await upgrade_async(url)
    engine = create_engine(url)
    try:
        at = datetime(2026, 11, 24, 15, tzinfo=UTC)
        case = await new_case(session_factory(engine), "cli-test", created_at=at)
        return case.number
    finally:
        await engine.dispose()


async def test_cases_json_lists_the_fields(tmp_path: Path) -> None:
    import asyncio

    number = await _file_case(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}")
    code, out = await asyncio.to_thread(_run, ["cases", "--json", "--severity", "2", "--account", "k#123456"])
    assert code == 0
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["number"] == number and row["account"] == "K123456"
    assert row["severity"] == 2 and row["channel"] == "chat" and row["outcome"] == "web_request"
    assert row["status"] == "new"
    assert row["created_at"] == "2026-11-24T15:00:00+00:00"
    assert row["response_due"] == "2026-11-24T16:00:00+00:00" and row["fix_due"] == "2026-11-25T15:00:00+00:00"
    code, out = await asyncio.to_thread(_run, ["cases", "--json", "--severity", "1"])
    assert code == 0 and out == ""
