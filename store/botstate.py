"""Bot Framework `Storage` on the bot_state table, with compare-and-set eTags that hold across processes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler  # type: ignore[import-untyped]
from jsonpickle.unpickler import Unpickler  # type: ignore[import-untyped]
from sqlalchemy import Executable, Table, bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlmodel import col, delete, select

from intake.clock import Clock
from store.clock import utc_now
from store.db import SessionMaker, insert_for, read_session
from store.errors import StorageConflictError, StorageItemError
from store.jobs import fetch, run
from store.models import BotState

E_TAG = "e_tag"
ANY_E_TAG = "*"

_TABLE: Table = BotState.__table__  # type: ignore[attr-defined]


class SqlStorage(Storage):  # type: ignore[misc]
    """Conversation and user state in SQL, with MemoryStorage's eTag semantics (safe across processes)."""

    def __init__(self, session_maker: SessionMaker, *, clock: Clock = utc_now) -> None:
        super().__init__()
        self._session_maker = session_maker
        self._clock = clock

    async def read(self, keys: list[str]) -> dict[str, Any]:
        """Return the stored items of `keys` that exist, each carrying its current e_tag."""
        if not keys:
            return {}
        async with read_session(self._session_maker) as session:
            rows = (await session.exec(select(BotState).where(col(BotState.key).in_(list(keys))))).all()
        return {row.key: _restore(row.data, row.etag) for row in rows}

    async def write(self, changes: Mapping[str, Any]) -> None:
        """Store every change in one transaction; raise StorageConflictError on a stale e_tag."""
        if changes is None:
            raise StorageItemError("changes are required when writing")
        if not changes:
            return
        now = self._clock()

        def write_all(session: Session) -> None:
            conn = session.connection()
            # One key order for every writer, so concurrent batches lock rows in the same order.
            for key in sorted(changes):
                _write_one(conn, key, changes[key], now)

        async with self._session_maker() as session, session.begin():
            await session.run_sync(write_all)

    async def delete(self, keys: Iterable[str]) -> None:
        """Remove the items of `keys` (missing keys are ignored)."""
        keys = list(keys)
        if not keys:
            return
        async with self._session_maker() as session, session.begin():
            await session.exec(delete(BotState).where(col(BotState.key).in_(keys)))


def _write_one(conn: Connection, key: str, item: Any, now: datetime) -> None:
    expected = _e_tag_of(item)
    if expected == "":
        raise StorageItemError(f"state item {key!r} has an empty e_tag")
    data = _flatten(item)
    if expected is None or expected == ANY_E_TAG:
        put_item(conn, key, data, now=now)  # last writer wins, as with MemoryStorage
    else:
        swap_item(conn, key, data, expected=expected, now=now)


@dataclass(frozen=True)
class StateItem:
    """A stored item's plain JSON and the eTag it was read at."""

    data: dict[str, Any]
    etag: str


# Built once: these run on every turn (see store/jobs.py for fetch and run).
_GET = sa_select(_TABLE.c.data, _TABLE.c.etag).where(_TABLE.c.key == bindparam("key"))
_SWAP = (
    update(_TABLE)
    .where(_TABLE.c.key == bindparam("k"), _TABLE.c.etag == bindparam("expected"))
    .values(data=bindparam("new_data"), etag=bindparam("new_etag"), updated_at=bindparam("now"))
)


@cache
def _create(dialect: str) -> Executable:
    return (
        insert_for(dialect, BotState)
        .values(key=bindparam("k"), data=bindparam("new_data"), etag=bindparam("new_etag"), updated_at=bindparam("now"))
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(_TABLE.c.key)
    )


def get_item(conn: Connection, key: str) -> StateItem | None:
    """Read one item as stored (plain JSON, no jsonpickle), for code that keeps plain dicts."""
    rows = fetch(conn, _GET, {"key": key})
    return StateItem(data=rows[0][0], etag=rows[0][1]) if rows else None


def put_item(conn: Connection, key: str, data: dict[str, Any], *, now: datetime) -> str:
    """Store `data` under `key` whatever is there; return the new eTag."""
    etag = uuid.uuid4().hex
    values = {"data": data, "etag": etag, "updated_at": now}
    conn.execute(
        insert_for(conn.dialect.name, BotState)
        .values(key=key, **values)
        .on_conflict_do_update(index_elements=["key"], set_=values)
    )
    return etag


def swap_item(conn: Connection, key: str, data: dict[str, Any], *, expected: str | None, now: datetime) -> str:
    """Compare-and-set: store `data` only if the item is still at eTag `expected` (None: still absent).

    Like MemoryStorage, an eTag for an item that does not exist yet is accepted. Returns the new eTag;
    raises StorageConflictError when somebody else wrote the item since it was read.
    """
    etag = uuid.uuid4().hex
    params = {"k": key, "new_data": data, "new_etag": etag, "now": now}
    if expected is not None and run(conn, _SWAP, {**params, "expected": expected}) == 1:
        return etag
    if not fetch(conn, _create(conn.dialect.name), params):
        raise StorageConflictError(f"eTag conflict on {key!r}: changed since it was read ({expected})")
    return etag


def _e_tag_of(item: Any) -> str | None:
    value = item.get(E_TAG) if isinstance(item, dict) else getattr(item, E_TAG, None)
    return None if value is None else str(value)


def _flatten(item: Any) -> dict[str, Any]:
    # jsonpickle, as botbuilder's own Cosmos and Blob storages do, so objects (dialog state, StoreItem)
    # come back as themselves; the e_tag lives in its own column.
    flat = Pickler().flatten(item)
    if not isinstance(flat, dict):
        raise StorageItemError(f"state items must be dicts or objects, got {type(item).__name__}")
    flat.pop(E_TAG, None)
    return flat


def _restore(data: dict[str, Any], etag: str) -> Any:
    # safe: never eval py/repr payloads, even from our own database.
    item = Unpickler(safe=True).restore(data)
    if isinstance(item, dict):
        item[E_TAG] = etag
    else:
        setattr(item, E_TAG, etag)
    return item
