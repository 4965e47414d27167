"""`intake incidents`, run in-process on a real database (SQLite and PostgreSQL) as a user would run it."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.cli import run
from intake.domain import CaseStatus
from store.cases import get_case
from store.db import SessionMaker
from store.models import Outbox
from tests.store.helpers import new_case


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    for name in ("INCIDENT_MIN_ACCOUNTS", "INCIDENT_WINDOW_MINUTES", "INCIDENT_COMPONENTS_FILE"):
        monkeypatch.delenv(name, raising=False)


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return run(argv, out=out), out.getvalue()


async def _cli(*argv: str) -> tuple[int, str]:
    return await asyncio.to_thread(_run, ["incidents", *argv])


async def _json_lines(*argv: str) -> list[dict[str, object]]:
    code, out = await _cli(*argv, "--json")
    assert code == 0, out
    return [json.loads(line) for line in out.splitlines()]


async def test_an_incident_from_opening_to_resolution(session_maker: SessionMaker) -> None:
    first = await new_case(session_maker, "cli-1", k_number="K100001")
    second = await new_case(session_maker, "cli-2", k_number="K100002")
    assert await _json_lines("list") == []
    code, out = await _cli("list")
    assert code == 0 and out.strip() == "no incidents"

    [opened] = await _json_lines("open", "--component", "viewer", "--title", "Viewer will not load studies")
    incident_id = str(opened["id"])
    assert opened["component"] == "viewer" and opened["status"] == "open" and opened["opened_by"] == "cli"
    assert await _cli("link", incident_id, first.number) == (
        0,
        f"case {first.number} linked to incident #{incident_id}\n",
    )
    assert (await _cli("link", incident_id, second.number.replace("-", "")))[0] == 0  # any spelling of a number

    [listed] = await _json_lines("list")
    assert listed["id"] == opened["id"] and listed["component"] == "viewer" and listed["status"] == "open"
    assert listed["cases"] == [first.number, second.number]
    assert str(listed["opened_at"]).endswith(("-05:00", "-04:00"))  # the desk's zone, with its offset
    code, out = await _cli("list")
    assert f"#{incident_id}  open" in out and first.number in out and "viewer: Viewer will not load studies" in out

    code, out = await _cli("update", incident_id, "--text", "A fix is being deployed.")
    assert (code, out) == (0, f"update posted on incident #{incident_id}: queued for 2 case(s)\n")
    async with session_maker() as session:
        notices = (await session.exec(select(Outbox).where(col(Outbox.kind) == "notice"))).all()
    updates = [n for n in notices if n.payload.get("notice") == "incident_update"]
    assert sorted(n.case_id or 0 for n in updates) == sorted([first.id, second.id])

    assert (await _cli("detach", incident_id, second.number))[0] == 0
    [shown] = await _json_lines("show", incident_id)
    assert shown["cases"] == [first.number] and shown["detached"] == [second.number]
    assert [(u["text"], u["reached"]) for u in shown["updates"]] == [("A fix is being deployed.", 2)]  # type: ignore[index, union-attr]

    code, out = await _cli("resolve", incident_id, "--resolution", "The viewer's cache was restarted.")
    assert (code, out) == (0, f"incident #{incident_id} resolved with 1 linked case(s)\n")
    async with session_maker() as session:
        resolved, kept = await get_case(session, number=first.number), await get_case(session, number=second.number)
    assert resolved is not None and resolved.status is CaseStatus.RESOLVED
    assert kept is not None and kept.status is CaseStatus.NEW  # detached: it keeps its own course
    code, out = await _cli("show", incident_id)
    assert "resolved" in out and "The viewer's cache was restarted." in out


async def test_what_cannot_be_done_is_said_on_one_line(
    session_maker: SessionMaker, capsys: pytest.CaptureFixture[str]
) -> None:
    case = await new_case(session_maker, "cli-3")

    async def refused(*argv: str) -> str:
        code, _ = await _cli(*argv)
        assert code == 2, argv
        return capsys.readouterr().err

    assert "'printer' is not a component (viewer, worklist" in await refused(
        "open", "--component", "printer", "--title", "x"
    )
    assert "--title must be non-empty" in await refused("open", "--component", "viewer", "--title", "  ")
    [opened] = await _json_lines("open", "--component", "viewer", "--title", "Viewer down")
    first = str(opened["id"])
    assert "is open already" in await refused("open", "--component", "viewer", "--title", "again")
    assert "no incident 999" in await refused("show", "999")
    assert "no case 2611-9999" in await refused("link", first, "2611-9999")
    assert "not a case number" in await refused("link", first, "yesterday")
    assert "--text must be non-empty text of at most 4000" in await refused("update", first, "--text", "x" * 4001)
    [other] = await _json_lines("open", "--component", "archive", "--title", "Priors missing")
    await _cli("link", first, case.number)
    assert f"is linked to incident {first}" in await refused("link", str(other["id"]), case.number)
    assert "is not linked to incident" in await refused("detach", str(other["id"]), case.number)
    await _cli("resolve", first, "--resolution", "Fixed.")
    assert "is resolved" in await refused("update", first, "--text", "late news")
    assert "is resolved" in await refused("resolve", first, "--resolution", "again")
    with pytest.raises(SystemExit) as exited:
        await _cli("show", "one")
    assert exited.value.code == 2 and "not an incident id" in capsys.readouterr().err
