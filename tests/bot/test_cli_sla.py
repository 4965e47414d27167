"""`intake sla explain CASE`, run in-process on a real database as a user would run it."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import run
from intake.domain import CaseStatus
from store.cases import record_first_response, update_case
from store.db import create_engine, session_factory
from store.migrate import upgrade_async
from tests.store.helpers import new_case

CREATED = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in New York, a Tuesday


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return run(argv, out=out), out.getvalue()


async def _case_waiting_for_the_customer(url: str) -> str:
    """A Sev2 case answered after 20 minutes, then waiting for the customer from 11:00 New York time."""
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        case = await new_case(sessions, "sla-cli", created_at=CREATED)
        async with sessions() as session, session.begin():
            await record_first_response(session, number=case.number, actor="alice", at=CREATED + timedelta(minutes=20))
            await update_case(
                session,
                number=case.number,
                actor="alice",
                at=CREATED + timedelta(hours=1),
                status=CaseStatus.PENDING_CUSTOMER,
                reason="asked for the study UID",
            )
        return case.number
    finally:
        await engine.dispose()


async def test_explain_prints_each_clock_with_its_pause_in_the_desks_zone(tmp_path: Path) -> None:
    number = await _case_waiting_for_the_customer(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}")
    code, out = await asyncio.to_thread(_run, ["sla", "explain", number, "--at", "2026-11-24T13:00:00-05:00"])
    assert code == 0
    head, response, update, pause, fix, fix_pause = out.splitlines()
    assert head.startswith(f"case {number}  sev2  pending_customer  created 2026-11-24T10:00-05:00 EST")
    assert response.startswith("response: met, target 1h (calendar), counted 20m")
    assert update.startswith("update: paused, target 4h (calendar), counted 40m, 3h 20m left")
    assert pause == "  paused 2026-11-24T11:00-05:00 EST - now (waiting for the customer)"
    assert fix.startswith("fix: paused, target 1d (calendar), counted 1h, 23h left")
    assert fix_pause == pause


async def test_explain_json_has_every_clock(tmp_path: Path) -> None:
    number = await _case_waiting_for_the_customer(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}")
    code, out = await asyncio.to_thread(
        _run, ["sla", "explain", number.replace("-", ""), "--at", "2026-11-24T13:00:00-05:00", "--json"]
    )
    body = json.loads(out)
    assert code == 0 and body["case"] == number
    assert [c["name"] for c in body["clocks"]] == ["response", "update", "fix"]
    fix = body["clocks"][2]
    assert fix["state"] == "paused" and fix["counted_minutes"] == 60 and fix["target_minutes"] == 24 * 60
    assert fix["pauses"] == [{"start": "2026-11-24T11:00:00-05:00", "end": None, "reason": "waiting for the customer"}]


async def test_explain_names_a_case_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await _case_waiting_for_the_customer(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}")
    code, _ = await asyncio.to_thread(_run, ["sla", "explain", "2611-9999"])
    assert code != 0 and "no case 2611-9999" in capsys.readouterr().err
    code, _ = await asyncio.to_thread(_run, ["sla", "explain", "yesterday"])
    assert code != 0 and "not a case number" in capsys.readouterr().err
