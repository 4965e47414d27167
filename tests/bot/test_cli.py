"""The `intake` command line, run in-process as a user would run it."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from bot.cli import DEFAULT_CALLER_ID, run
from bot.cli_store import database_label
from intake.phones import to_e164
from store.db import create_engine, session_factory
from store.migrate import head_revision, upgrade_async
from tests.store.helpers import new_case


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
    # Every instant in the desk's zone (CHAT_TIMEZONE), not some in UTC: 08:00Z is 03:00 in New York.
    assert data["next_chat_open"] == "2026-11-30T08:00:00-05:00"
    assert data["response_due"] == "2026-11-29T03:00:00-05:00"
    assert data["fix_due"] == "2026-12-03T03:00:00-05:00"


def test_route_text_shows_instants_to_the_minute_with_the_zone() -> None:
    code, out = _run(["route", "--severity", "3", "--channel", "chat", "--at", "2026-11-28T08:00:00Z"])
    assert code == 0
    rows = dict(line.split(None, 1) for line in out.splitlines())
    assert rows["next_chat_open"] == "2026-11-30T08:00-05:00 EST"
    assert rows["response_due"] == "2026-11-29T03:00-05:00 EST"
    assert rows["fix_due"] == "2026-12-03T03:00-05:00 EST"
    code, out = _run(["route", "--severity", "2", "--channel", "phone", "--at", "2026-07-15T12:00:00.5+00:00"])
    rows = dict(line.split(None, 1) for line in out.splitlines())
    assert code == 0 and rows["next_chat_open"] == "-"
    assert rows["response_due"].endswith("-04:00 EDT") and rows["response_due"].startswith("2026-07-15T")
    assert rows["response_due"].count(":") == 2  # to the minute: no seconds, no fractions


def test_route_follows_chat_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_TIMEZONE", "Asia/Dubai")  # a zone with no letter abbreviation
    code, out = _run(["route", "--severity", "1", "--channel", "phone", "--at", "2026-11-28T08:00:00Z"])
    rows = dict(line.split(None, 1) for line in out.splitlines())
    assert code == 0 and rows["response_due"].endswith("+04:00 Asia/Dubai")


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
    assert _run(["db", "upgrade"])[0] == 0
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


def test_accounts_import_names_a_file_it_cannot_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["accounts", "import", "missing.csv"]) == (2, "")
    assert _one_line(capsys) == "intake accounts: missing.csv: no such file"
    (tmp_path / "latin1.csv").write_bytes("k_number,name,phones\nK123456,Café,\n".encode("latin-1"))
    assert _run(["accounts", "import", "latin1.csv"]) == (2, "")
    assert _one_line(capsys) == "intake accounts: cannot read latin1.csv: not UTF-8 text"


def test_the_readme_caller_id_is_the_default_and_a_number_the_importer_takes() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"intake call --from {DEFAULT_CALLER_ID}" in readme
    assert to_e164(DEFAULT_CALLER_ID) == DEFAULT_CALLER_ID


async def _file_case(url: str, microsecond: int = 0) -> str:
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        at = datetime(2026, 11, 24, 15, 0, 0, microsecond, tzinfo=UTC)
        case = await new_case(session_factory(engine), "cli-test", created_at=at)
        return case.number
    finally:
        await engine.dispose()


async def test_cases_json_lists_the_fields(tmp_path: Path) -> None:
    number = await _file_case(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}")
    code, out = await asyncio.to_thread(_run, ["cases", "--json", "--severity", "2", "--account", "k#123456"])
    assert code == 0
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["number"] == number and row["account"] == "K123456"
    assert row["severity"] == 2 and row["channel"] == "chat" and row["outcome"] == "web_request"
    assert row["status"] == "new"
    # The desk's zone, as `intake route` shows them (15:00Z is 10:00 in New York).
    assert row["created_at"] == "2026-11-24T10:00:00-05:00"
    assert row["response_due"] == "2026-11-24T11:00:00-05:00" and row["fix_due"] == "2026-11-25T10:00:00-05:00"
    code, out = await asyncio.to_thread(_run, ["cases", "--json", "--severity", "1"])
    assert code == 0 and out == ""


async def test_cases_text_shows_instants_to_the_minute_with_the_zone(tmp_path: Path) -> None:
    number = await _file_case(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}", microsecond=123456)
    code, out = await asyncio.to_thread(_run, ["cases"])
    assert code == 0
    (line,) = out.splitlines()
    assert line.startswith(number)
    assert line.endswith("response by 2026-11-24T11:00-05:00 EST  fix by 2026-11-25T10:00-05:00 EST")


# -- the database: never created by a store command, one line when it cannot be used ---------------

STORE_COMMANDS = [["agents", "list"], ["cases"], ["accounts", "import", "accounts.csv"]]


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.mark.parametrize("argv", STORE_COMMANDS, ids=lambda argv: argv[0])
def test_a_store_command_never_creates_a_database(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "accounts.csv").write_text("k_number,name,phones\nK123456,Acme Imaging,+12025550143\n")
    code, out = _run(argv)
    assert code == 1 and out == ""
    assert _one_line(capsys) == (
        f"intake {argv[0]}: no database at {tmp_path / 'intake.db'}: run `intake db upgrade` to create it, "
        "or set DATABASE_URL to the service's database"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.csv"]  # no intake.db, no -wal, no -shm


@pytest.fixture
def _root_logging_restored() -> Iterator[None]:
    """`intake serve` configures logging for the process: undo it, or later tests log to a closed stream."""
    root, alembic = logging.getLogger(), logging.getLogger("alembic")
    handlers, levels = list(root.handlers), (root.level, alembic.level)
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(levels[0])
    alembic.setLevel(levels[1])


@pytest.mark.usefixtures("_root_logging_restored")
@pytest.mark.parametrize(
    "argv", [*STORE_COMMANDS, ["db", "upgrade"], ["serve", "--port", "1"]], ids=lambda argv: argv[0]
)
def test_a_corrupt_database_is_one_line(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "accounts.csv").write_text("k_number,name,phones\nK123456,Acme Imaging,+12025550143\n")
    (tmp_path / "intake.db").write_bytes(b"this is not a database, " * 100)
    code, _ = _run(argv)
    assert code == 1
    assert _one_line(capsys) == f"intake {argv[0]}: database {tmp_path / 'intake.db'}: file is not a database"


@pytest.mark.parametrize("argv", [["agents", "list"], ["db", "upgrade"]], ids=lambda argv: argv[0])
def test_an_unreachable_database_is_one_line_without_its_password(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as closed:  # bound, never listening: connections to it are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        monkeypatch.setenv("DATABASE_URL", f"postgresql://intake:s3cret@127.0.0.1:{port}/intake")
        code, _ = _run(argv)
    assert code == 1
    line = _one_line(capsys)
    assert line == f"intake {argv[0]}: database postgresql://intake:***@127.0.0.1:{port}/intake: Connection refused"


async def test_a_database_without_tables_is_refused_until_upgraded(
    blank_db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", blank_db_url)
    code, _ = await asyncio.to_thread(_run, ["agents", "list"])
    assert code == 1
    line = _one_line(capsys)
    label = database_label(blank_db_url)
    if blank_db_url.startswith("sqlite"):
        assert line.startswith(f"intake agents: no database at {label}: run `intake db upgrade`")
    else:
        assert line == f"intake agents: database {label} has no intake tables: run `intake db upgrade`"
    assert await _revisions(blank_db_url) == ()  # nothing was created
    assert (await asyncio.to_thread(_run, ["db", "upgrade"]))[0] == 0
    assert await asyncio.to_thread(_run, ["agents", "list"]) == (0, "no agents\n")


async def test_a_database_behind_this_version_is_refused(
    blank_db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await upgrade_async(blank_db_url, "0006_throttle")
    monkeypatch.setenv("DATABASE_URL", blank_db_url)
    code, _ = await asyncio.to_thread(_run, ["cases"])
    assert code == 1
    assert _one_line(capsys) == (
        f"intake cases: database {database_label(blank_db_url)} is at revision 0006_throttle, "
        f"this version needs {head_revision()}: run `intake db upgrade`"
    )
    assert await _revisions(blank_db_url) == ("0006_throttle",)  # not upgraded behind the user's back


async def _revisions(url: str) -> tuple[str, ...]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not await asyncio.to_thread(Path(str(parsed.database)).exists):
        return ()
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda c: tuple(MigrationContext.configure(c).get_current_heads()))
    finally:
        await engine.dispose()
