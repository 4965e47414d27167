"""The planned maintenance the bot tells customers about, read with the conversation's state on every turn.

A store job (store/jobs.py): one prebuilt statement, the live windows in their notice period or under way
with the K#s each names, in the turn's own read transaction. Through an async session the same lookup was
a transaction and a round trip of its own per turn, for a table that is empty on most days.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection

from intake.maintenance import Rules
from intake.wording_maintenance import MaintenanceNote
from store.jobs import fetch
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


def notes_telling(conn: Connection, *, at: datetime, rules: Rules) -> tuple[MaintenanceNote, ...]:
    """The live windows at `at` in their notice period (`rules.notice`) or under way, the soonest first."""
    windows: dict[int, tuple[datetime, datetime, bool, bool, str]] = {}
    named: dict[int, set[str]] = {}
    for window_id, start, end, everyone, downtime, summary, k_number in fetch(
        conn, _TELLING, {"at": at, "until": at + rules.notice}
    ):
        windows.setdefault(window_id, (start, end, bool(everyone), bool(downtime), summary))
        accounts = named.setdefault(window_id, set())
        if k_number is not None:
            accounts.add(k_number)
    return tuple(
        MaintenanceNote(summary, start, end, downtime, None if everyone else frozenset(named[window_id]))
        for window_id, (start, end, everyone, downtime, summary) in windows.items()
    )
