"""A conversation's state row in bot_state, read and compare-and-set by eTag across processes.

The turn (bot/turn_state.py) keeps the row under botbuilder ConversationState's key and in its layout (a
plain JSON object of the conversation's properties). Earlier versions also offered botbuilder `Storage` and
`TranscriptStore` classes on these tables; nothing in the service used them, so they are gone, and rows
they wrote read the same (plain JSON then as now).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Executable, ScalarSelect, Table, bindparam, exists, false, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection

from store.db import insert_for
from store.errors import StorageConflictError
from store.jobs import fetch, run
from store.models import BotState, Handoff

_TABLE: Table = BotState.__table__  # type: ignore[attr-defined]
_HANDOFFS: Table = Handoff.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StateItem:
    """A stored item's plain JSON and the eTag it was read at."""

    data: dict[str, Any]
    etag: str


# Built once: these run on every turn (see store/jobs.py for fetch and run).
_GET = sa_select(_TABLE.c.data, _TABLE.c.etag).where(_TABLE.c.key == bindparam("key"))
# The row and whether the conversation has an open handoff (store.handoffs), on the unique index of its
# open_conversation_id, in one statement: always one row, however many there are. The bot asks both on every
# customer message; on PostgreSQL a second statement would cost a round trip (~150 us on loopback, a
# quarter of the read), this one costs nothing measurable.
_ROW = (
    sa_select(_TABLE.c.data).where(_TABLE.c.key == bindparam("key")).scalar_subquery(),
    sa_select(_TABLE.c.etag).where(_TABLE.c.key == bindparam("key")).scalar_subquery(),
)
_HANDED_OFF = exists().where(_HANDOFFS.c.open_conversation_id == bindparam("conversation_id"))
_GET_HANDED_OFF = sa_select(*_ROW, _HANDED_OFF)
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
    """Read one item as stored (plain JSON), or None."""
    rows = fetch(conn, _GET, {"key": key})
    return StateItem(data=rows[0][0], etag=rows[0][1]) if rows else None


def get_item_handed_off(conn: Connection, key: str, *, conversation_id: str) -> tuple[StateItem | None, bool]:
    """get_item, and whether the conversation is handed off to a live agent (queued or active)."""
    data, etag, handed_off = fetch(conn, _GET_HANDED_OFF, {"key": key, "conversation_id": conversation_id})[0]
    return (None if etag is None else StateItem(data=data, etag=etag)), bool(handed_off)


def get_item_with(
    conn: Connection,
    key: str,
    also: ScalarSelect[Any],
    params: Mapping[str, Any],
    *,
    conversation_id: str | None = None,
) -> tuple[StateItem | None, bool, Any]:
    """get_item (with `conversation_id`, get_item_handed_off) and the value of `also`, a scalar subquery built
    once (its bound parameters in `params`), in the same statement: one round trip on PostgreSQL."""
    statement = _get_with(also, handoff=conversation_id is not None)
    params = {**params, "key": key, "conversation_id": conversation_id}
    data, etag, handed_off, value = fetch(conn, statement, params)[0]
    return (None if etag is None else StateItem(data=data, etag=etag)), bool(handed_off), value


@cache
def _get_with(also: ScalarSelect[Any], *, handoff: bool) -> Executable:
    # One statement per subquery and kind, built once: store/jobs.py compiles each statement once.
    return sa_select(*_ROW, _HANDED_OFF if handoff else false(), also)


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
