"""The planned maintenance the bot tells customers about, read with the conversation's state on every turn.

The live windows in their notice period or under way, with the K#s each names, come as one JSON column
(`telling_json`) that the turn's read of its state row asks for in the same statement (store/botstate.py
get_item_with): on PostgreSQL a statement of its own cost a round trip on every turn, for a table that is
empty on most days.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ScalarSelect,
    Table,
    bindparam,
    func,
    literal_column,
    select,
    type_coerce,
)

from intake.maintenance import Rules
from intake.wording_maintenance import MaintenanceNote
from store.models import Account, MaintenanceAccount, MaintenanceWindow, WindowStatus

MAX_WINDOWS = 50  # the windows a turn hears of at once, the soonest first

_WINDOWS: Table = MaintenanceWindow.__table__  # type: ignore[attr-defined]
_NAMED: Table = MaintenanceAccount.__table__  # type: ignore[attr-defined]
_ACCOUNTS: Table = Account.__table__  # type: ignore[attr-defined]

_LIVE = (
    select(
        _WINDOWS.c.id,
        _WINDOWS.c.start_at,
        _WINDOWS.c.end_at,
        _WINDOWS.c.all_accounts,
        _WINDOWS.c.downtime,
        _WINDOWS.c.summary,
    )
    .where(
        _WINDOWS.c.status != WindowStatus.CANCELLED.value,
        _WINDOWS.c.end_at > bindparam("at"),
        _WINDOWS.c.start_at <= bindparam("until"),
    )
    .order_by(_WINDOWS.c.start_at, _WINDOWS.c.id)
    .limit(MAX_WINDOWS)
    .subquery()
)
# One row per window and K# it names (one row with no K# for a window of every account).
_TELLING = (
    select(_LIVE, _ACCOUNTS.c.k_number)
    .select_from(
        _LIVE.outerjoin(_NAMED, _NAMED.c.window_id == _LIVE.c.id).outerjoin(
            _ACCOUNTS, _ACCOUNTS.c.id == _NAMED.c.account_id
        )
    )
    .order_by(_LIVE.c.start_at, _LIVE.c.id)
)


@cache
def telling_json(dialect: str) -> ScalarSelect[Any]:
    """The windows to tell of as a JSON column, one [id, start, end, every account, downtime, summary, K#] array
    per window and K# (one with no K# for a window of every account), in no order; bound parameters `at` and
    `until` (the end of the notice period). Built once a dialect, as the statements of a turn are."""
    rows = _TELLING.subquery()
    found: ColumnElement[Any]
    if dialect == "postgresql":
        found = func.coalesce(func.json_agg(func.json_build_array(*rows.c)), literal_column("'[]'::json"))
    else:
        found = func.json_group_array(func.json_array(*rows.c))  # "[]" when there are none
    return select(type_coerce(found, JSON)).scalar_subquery()


def telling_params(at: datetime, rules: Rules) -> dict[str, datetime]:
    """The bound parameters of telling_json at `at`."""
    return {"at": at, "until": at + rules.notice}


def notes_of(found: str | Sequence[Sequence[Any]] | None) -> tuple[MaintenanceNote, ...]:
    """The notes in telling_json's value, the soonest window first."""
    rows = json.loads(found) if isinstance(found, str) else found or ()
    read = [(int(r[0]), _instant(r[1]), _instant(r[2]), bool(r[3]), bool(r[4]), str(r[5]), r[6]) for r in rows]
    return _notes(sorted(read, key=lambda row: (row[1], row[0])))  # by start, then id, as the query orders them


def _instant(value: str) -> datetime:
    # PostgreSQL writes "2026-02-20T15:00:00+00:00"; SQLite the stored UTC "2026-02-20 15:00:00.000000".
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _notes(rows: Iterable[tuple[int, datetime, datetime, bool, bool, str, str | None]]) -> tuple[MaintenanceNote, ...]:
    windows: dict[int, tuple[datetime, datetime, bool, bool, str]] = {}
    named: dict[int, set[str]] = {}
    for window_id, start, end, everyone, downtime, summary, k_number in rows:
        windows.setdefault(window_id, (start, end, everyone, downtime, summary))
        accounts = named.setdefault(window_id, set())
        if k_number is not None:
            accounts.add(k_number)
    return tuple(
        MaintenanceNote(summary, start, end, downtime, None if everyone else frozenset(named[window_id]))
        for window_id, (start, end, everyone, downtime, summary) in windows.items()
    )
