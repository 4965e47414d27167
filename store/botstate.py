"""Bot Framework `Storage` on the bot_state table, with compare-and-set eTags that hold across processes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler  # type: ignore[import-untyped]
from jsonpickle.unpickler import Unpickler  # type: ignore[import-untyped]
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import SessionMaker, read_session, upsert
from store.errors import StorageConflictError, StorageItemError
from store.models import BotState

E_TAG = "e_tag"
ANY_E_TAG = "*"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SqlStorage(Storage):  # type: ignore[misc]
    """Conversation and user state in SQL, with MemoryStorage's eTag semantics (safe across processes)."""

    def __init__(self, session_maker: SessionMaker, *, clock: Callable[[], datetime] = _utcnow) -> None:
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
        async with self._session_maker() as session, session.begin():
            # One key order for every writer, so concurrent batches lock rows in the same order.
            for key in sorted(changes):
                await _write_one(session, key, changes[key], now)

    async def delete(self, keys: Iterable[str]) -> None:
        """Remove the items of `keys` (missing keys are ignored)."""
        keys = list(keys)
        if not keys:
            return
        async with self._session_maker() as session, session.begin():
            await session.exec(delete(BotState).where(col(BotState.key).in_(keys)))


async def _write_one(session: AsyncSession, key: str, item: Any, now: datetime) -> None:
    expected = _e_tag_of(item)
    if expected == "":
        raise StorageItemError(f"state item {key!r} has an empty e_tag")
    data = _flatten(item)
    new_etag = uuid.uuid4().hex
    values = {"data": data, "etag": new_etag, "updated_at": now}
    if expected is None or expected == ANY_E_TAG:
        # Last writer wins, as with MemoryStorage.
        await session.exec(
            upsert(session, BotState)
            .values(key=key, **values)
            .on_conflict_do_update(index_elements=["key"], set_=values)
        )
        return
    # Compare-and-set: the row changes only if nobody wrote it since our read.
    swapped = await session.exec(
        update(BotState)
        .where(col(BotState.key) == key, col(BotState.etag) == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if swapped.rowcount == 1:
        return
    # MemoryStorage accepts an eTag for an item that does not exist yet; a row that does exist has moved on.
    inserted = (
        await session.exec(
            upsert(session, BotState)
            .values(key=key, **values)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(col(BotState.key))
        )
    ).scalar_one_or_none()
    if inserted is None:
        raise StorageConflictError(f"eTag conflict on {key!r}: changed since it was read ({expected})")


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
