"""The maintenance the bot tells customers about: live windows in their notice period or under way."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from intake.maintenance import Rules, Window
from intake.wording_maintenance import MaintenanceNote
from store import maintenance as store
from store.db import SessionMaker
from store.jobs import Jobs
from store.maintenance_notes import notes_of
from store.models import Account

from .helpers import maintenance_told

NOW = datetime(2026, 2, 20, 15, 0, tzinfo=UTC)
DESK = ZoneInfo("America/New_York")
RULES = Rules()  # 14 days' notice


async def _schedule(session_maker: SessionMaker, start: datetime, accounts: frozenset[str] | None, summary: str) -> int:
    window = Window(
        start=start,
        end=start + timedelta(hours=4),
        accounts=accounts,
        components=("viewer",),
        downtime=True,
        summary=summary,
    )
    async with session_maker() as session, session.begin():
        done = await store.schedule_window(
            session, window=window, override="", actor="ops", at=NOW, rules=RULES, desk_tz=DESK
        )
    assert done.window.id is not None
    return done.window.id


async def _told(jobs: Jobs, at: datetime) -> tuple[MaintenanceNote, ...]:
    return await jobs.read(partial(maintenance_told, at=at, rules=RULES))


async def test_windows_in_their_notice_period_or_under_way_with_whom_they_affect(
    jobs: Jobs, session_maker: SessionMaker
) -> None:
    async with session_maker() as session, session.begin():
        for k in ("K100001", "K100002", "K100003"):
            session.add(Account(k_number=k, name=f"Clinic {k}", timezone="", created_at=NOW, updated_at=NOW))
    near = NOW + timedelta(days=15)
    await _schedule(session_maker, near, frozenset({"K100001", "K100002"}), "Database upgrade")
    everyone = await _schedule(session_maker, near + timedelta(days=1), None, "Viewer upgrade")
    await _schedule(session_maker, NOW + timedelta(days=40), frozenset({"K100003"}), "Later")
    async with session_maker() as session, session.begin():
        await store.cancel_window(session, window_id=everyone, actor="ops", at=NOW, desk_tz=DESK)
    await _schedule(session_maker, near + timedelta(days=2), None, "Network move")

    assert await _told(jobs, NOW) == ()  # 15 days ahead: not yet in the 14-day notice period
    told = await _told(jobs, NOW + timedelta(days=3))
    # The soonest first; the cancelled window and the one 40 days out are not told.
    assert [(n.summary, n.start, n.accounts, n.downtime) for n in told] == [
        ("Database upgrade", near, frozenset({"K100001", "K100002"}), True),
        ("Network move", near + timedelta(days=2), None, True),
    ]
    during = await _told(jobs, near + timedelta(hours=1))
    assert [n.summary for n in during] == ["Database upgrade", "Network move"]
    assert during[0].under_way(near + timedelta(hours=1))
    assert [n.summary for n in await _told(jobs, near + timedelta(hours=4))] == ["Network move"]  # the first ended


def test_the_json_column_reads_back_soonest_first_in_either_databases_form() -> None:
    # PostgreSQL's json_agg and SQLite's json_group_array give the rows in no set order, instants written as
    # "...T15:00:00+00:00" and "... 15:00:00.000000" (UTC) respectively, and booleans as true or 1.
    later = [7, "2026-03-02T15:00:00+00:00", "2026-03-02T19:00:00+00:00", True, False, "Later", None]
    sooner = [[9, "2026-03-01 15:00:00.000000", "2026-03-01 19:00:00.000000", 0, 1, "Sooner", k]
              for k in ("K100002", None, "K100001")]  # fmt: skip
    notes = notes_of(json.dumps([later, *sooner]))
    assert [(n.summary, n.start, n.end, n.downtime, n.accounts) for n in notes] == [
        ("Sooner", datetime(2026, 3, 1, 15, tzinfo=UTC), datetime(2026, 3, 1, 19, tzinfo=UTC), True,
         frozenset({"K100001", "K100002"})),
        ("Later", datetime(2026, 3, 2, 15, tzinfo=UTC), datetime(2026, 3, 2, 19, tzinfo=UTC), False, None),
    ]  # fmt: skip
    assert notes_of("[]") == notes_of(None) == ()
