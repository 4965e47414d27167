"""Attempt limits shared by every process: reserve an attempt before checking it, release it on success.

One table of counters, one row per key ("sign-in pair alice from 10.0.0.7", "status lookups of case
2611-0042", ...), each counting the attempts of its window. A check that can be guessed (a password, a
K# for a case) first *reserves* an attempt: one atomic UPSERT ... RETURNING per key, all keys in one
transaction. When any key has no attempt left the reservation raises ThrottledError and the transaction
rolls back, so a refused try counts nowhere. A check that then succeeds releases (or clears) what it
reserved, so only failures stay counted. Because the count is taken before the check, N concurrent
guesses can never all be checked against a limit below N, in one process or in many.

The functions take a sync `Connection`: run them as a store job (`Jobs.write`) or, from an async session,
through `AsyncConnection.run_sync`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Executable, Table, bindparam, case
from sqlalchemy import delete as sa_delete
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.engine import Connection

from intake.domain import require_aware
from store.db import insert_for
from store.errors import StoreError
from store.jobs import fetch, run
from store.models import ThrottleCounter

# Expired rows deleted per prune() call: bounded, so a prune never holds many row locks.
PRUNE_BATCH = 500


class ThrottledError(StoreError):
    """No attempt is left for a key; `retry_after` is how long until the first refusing window ends."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"too many attempts: retry after {int(retry_after.total_seconds())} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    """At most `attempts` attempts that did not succeed per `window`, for each key of `scope`."""

    scope: str
    attempts: int
    window: timedelta

    def __post_init__(self) -> None:
        if not self.scope or ":" in self.scope or len(self.scope) > 30:
            raise ValueError(f"scope {self.scope!r}: use 1-30 characters without ':'")
        if self.attempts < 1 or self.window <= timedelta(0):
            raise ValueError("a limit needs at least one attempt and a positive window")

    def key(self, *parts: str) -> ThrottleKey:
        """The counter of this limit for `parts` (a name, an address, a case number, ...)."""
        digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:48]
        return ThrottleKey(f"{self.scope}:{digest}", self)


@dataclass(frozen=True, order=True)
class ThrottleKey:
    """One counter and the limit it is held to."""

    key: str
    limit: Limit = field(compare=False)


def reserve(conn: Connection, *, keys: Iterable[ThrottleKey], at: datetime) -> None:
    """Count one attempt against every key; raise ThrottledError when any has none left.

    All or nothing only if the caller's transaction rolls back on the error (a store job does).
    """
    at = require_aware(at, "at")
    refused: list[ThrottleKey] = []
    # One order for every caller: two transactions never wait on each other's rows crosswise.
    for key in sorted(set(keys)):
        ((count,),) = fetch(conn, _reserve_statement(conn.dialect.name), _params(key, at))
        if int(count) > key.limit.attempts:
            refused.append(key)
    if refused:
        ends = [row[0] for key in refused for row in fetch(conn, _EXPIRY, {"k": key.key})]
        wait = max((expires_at - at for expires_at in ends), default=timedelta(0))
        raise ThrottledError(max(wait, timedelta(seconds=1)))


def release(conn: Connection, *, keys: Iterable[ThrottleKey], at: datetime) -> None:
    """Give back one reserved attempt of each key (the check succeeded); a passed window is left alone.

    A counter back at zero is deleted: successes leave no rows behind.
    """
    at = require_aware(at, "at")
    for key in sorted(set(keys)):
        run(conn, _RELEASE, {"k": key.key, "at": at})
        run(conn, _DROP_ZERO, {"k": key.key})


def clear(conn: Connection, *, keys: Iterable[ThrottleKey]) -> None:
    """Forget every attempt of these keys."""
    for key in sorted(set(keys)):
        run(conn, _CLEAR, {"k": key.key})


def attempts(conn: Connection, *, key: ThrottleKey, at: datetime) -> int:
    """How many attempts the key has counted in its current window (0 when it has passed)."""
    rows = fetch(conn, _COUNT, {"k": key.key, "at": require_aware(at, "at")})
    return int(rows[0][0]) if rows else 0


def prune(conn: Connection, *, at: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete up to `batch` counters whose window ended by `at`; return how many.

    Run it in a transaction of its own: on PostgreSQL it skips rows another transaction holds, so it
    never waits on (or deadlocks with) a reservation.
    """
    return run(conn, _PRUNE, {"at": require_aware(at, "at"), "batch": batch})


def _params(key: ThrottleKey, at: datetime) -> dict[str, object]:
    return {"k": key.key, "at": at, "ends": at + key.limit.window}


_TABLE: Table = ThrottleCounter.__table__  # type: ignore[attr-defined]
_AT = bindparam("at", type_=_TABLE.c.expires_at.type)

_EXPIRY = sa_select(_TABLE.c.expires_at).where(_TABLE.c.key == bindparam("k"))
_COUNT = sa_select(_TABLE.c.count).where(_TABLE.c.key == bindparam("k"), _TABLE.c.expires_at > _AT)
_RELEASE = (
    sa_update(_TABLE)
    .where(_TABLE.c.key == bindparam("k"), _TABLE.c.count > 0, _TABLE.c.expires_at > _AT)
    .values(count=_TABLE.c.count - 1)
)
_CLEAR = sa_delete(_TABLE).where(_TABLE.c.key == bindparam("k"))
_DROP_ZERO = sa_delete(_TABLE).where(_TABLE.c.key == bindparam("k"), _TABLE.c.count <= 0)
_PRUNE = sa_delete(_TABLE).where(
    _TABLE.c.key.in_(
        sa_select(_TABLE.c.key)
        .where(_TABLE.c.expires_at <= _AT)
        .order_by(_TABLE.c.key)
        .limit(bindparam("batch"))
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer at a time anyway
    )
)


@cache
def _reserve_statement(dialect: str) -> Executable:
    # In ON CONFLICT DO UPDATE the table's columns are the stored row's values (before this update), on
    # PostgreSQL and SQLite alike; the row stays locked until the transaction ends.
    ends = bindparam("ends", type_=_TABLE.c.expires_at.type)
    stale = _TABLE.c.expires_at <= _AT
    return (
        insert_for(dialect, ThrottleCounter)
        .values(key=bindparam("k"), count=1, window_start=_AT, expires_at=ends)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "count": case((stale, 1), else_=_TABLE.c.count + 1),
                "window_start": case((stale, _AT), else_=_TABLE.c.window_start),
                "expires_at": case((stale, ends), else_=_TABLE.c.expires_at),
            },
        )
        .returning(_TABLE.c.count)
    )
