"""Direct Line gateway queries: conversations, their activities and per-conversation sequences.

A chat turn on the website reads and writes here several times (the customer's activity, each reply, the
streams' reads), so the hot queries are prebuilt statements run as store jobs (`store/jobs.py`): one hand-off
and one transaction each, with no ORM session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache, partial
from typing import Any

from sqlalchemy import Select, Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import BindParameter

from intake.domain import require_aware
from store.db import SessionMaker
from store.jobs import Jobs, fetch, run, run_many
from store.models import (
    DirectLineActivity,
    DirectLineActivityPublic,
    DirectLineConversation,
    DirectLineConversationPublic,
)

# Bounds one read so a long conversation cannot make a single response or stream frame huge.
DEFAULT_PAGE = 200
# Keys looked up in one statement at most (a turn's replies are a handful): one prebuilt statement per count.
_KEYS_AT_ONCE = 16

Db = Jobs | SessionMaker

_CONVERSATIONS: Table = DirectLineConversation.__table__  # type: ignore[attr-defined]
_ACTIVITIES: Table = DirectLineActivity.__table__  # type: ignore[attr-defined]
_C = _CONVERSATIONS.c
_A = _ACTIVITIES.c

_CREATE = insert(_CONVERSATIONS).values(
    id=bindparam("conversation_id"), user_id=bindparam("user_id"), created_at=bindparam("now"), last_seq=0
)
_GET = select(_C.id, _C.user_id, _C.created_at, _C.started_at, _C.last_seq).where(_C.id == bindparam("conversation_id"))
_MARK_STARTED = (
    update(_CONVERSATIONS)
    .where(_C.id == bindparam("conversation_id"), _C.started_at.is_(None))
    .values(started_at=bindparam("now"))
)
# The UPDATE row-locks the conversation (PostgreSQL) or holds the write lock (SQLite) until commit, so
# positions become visible in order and a stream that has read up to N never misses an N-1.
_NEXT_SEQ = (
    update(_CONVERSATIONS)
    .where(_C.id == bindparam("conversation_id"))
    .values(last_seq=_C.last_seq + bindparam("count"))
    .returning(_C.last_seq)
)
_ACTIVITY_COLUMNS = (_A.seq, _A.activity_id, _A.body, _A.pending)
_APPEND = insert(_ACTIVITIES).values(
    conversation_id=bindparam("conversation_id"),
    seq=bindparam("seq"),
    activity_id=bindparam("activity_id"),
    body=bindparam("body"),
    created_at=bindparam("now"),
    client_key=bindparam("client_key"),
    pending=bindparam("pending"),
)
# (In an UPDATE's WHERE a parameter may not share a column's name.)
_MARK_PROCESSED = update(_ACTIVITIES).where(_A.activity_id == bindparam("the_activity")).values(pending=False)
_PAGE = (
    select(*_ACTIVITY_COLUMNS)
    .where(_A.conversation_id == bindparam("conversation_id"), _A.seq > bindparam("after_seq"))
    .order_by(_A.seq)
    .limit(bindparam("limit"))
)
_PENDING = (
    select(_A.conversation_id, *_ACTIVITY_COLUMNS)
    .where(_A.pending.is_(True), _A.created_at < bindparam("before"))
    .order_by(_A.conversation_id, _A.seq)
    .limit(bindparam("limit"))
)
_PENDING_IN = _PENDING.where(_A.conversation_id == bindparam("conversation_id"))
_ONE = (_A.conversation_id == bindparam("the_conversation"), _A.activity_id == bindparam("the_activity"))
_STORED = select(_A.pk).where(*_ONE)
_MOVE = update(_ACTIVITIES).where(*_ONE).values(seq=bindparam("seq"), body=bindparam("body"))
_DELETE = delete(_ACTIVITIES).where(*_ONE)


def format_activity_id(conversation_id: str, seq: int) -> str:
    """Return the Direct Line activity id "{conversationId}|{seq:07d}"."""
    return f"{conversation_id}|{seq:07d}"


def _activity(row: Sequence[Any]) -> DirectLineActivityPublic:
    # Rows this module wrote: no validation needed.
    seq, activity_id, body, pending = row
    return DirectLineActivityPublic.model_construct(seq=seq, activity_id=activity_id, body=body, pending=bool(pending))


async def create_conversation(
    db: Db, *, conversation_id: str, user_id: str, now: datetime
) -> DirectLineConversationPublic:
    """Insert a new conversation for `user_id` and return it."""
    created_at = require_aware(now, "now")
    params = {"conversation_id": conversation_id, "user_id": user_id, "now": created_at}
    await Jobs.of(db).write_one(_CREATE, params)
    return DirectLineConversationPublic(
        id=conversation_id, user_id=user_id, created_at=created_at, started_at=None, last_seq=0
    )


def _get(conn: Connection, conversation_id: str) -> DirectLineConversationPublic | None:
    rows = fetch(conn, _GET, {"conversation_id": conversation_id})
    if not rows:
        return None
    id_, user_id, created_at, started_at, last_seq = rows[0]
    return DirectLineConversationPublic(
        id=id_, user_id=user_id, created_at=created_at, started_at=started_at, last_seq=last_seq
    )


async def get_conversation(db: Db, *, conversation_id: str) -> DirectLineConversationPublic | None:
    """Return the conversation `conversation_id`, or None."""
    return await Jobs.of(db).lookup(partial(_get, conversation_id=conversation_id))


async def mark_started(db: Db, *, conversation_id: str, now: datetime) -> bool:
    """Record that the conversation started; True only for the first caller across all processes."""
    params = {"conversation_id": conversation_id, "now": require_aware(now, "now")}
    return await Jobs.of(db).write_one(_MARK_STARTED, params) == 1


@cache
def _by_client_keys_statement(count: int) -> Select[Any]:
    # One prebuilt statement per number of keys up to _KEYS_AT_ONCE, so fetch() can run it direct.
    keys: list[BindParameter[str]] = [bindparam(f"key_{i}") for i in range(count)]
    return select(_A.client_key, *_ACTIVITY_COLUMNS).where(
        _A.conversation_id == bindparam("conversation_id"), _A.client_key.in_(keys)
    )


def _by_client_keys(conn: Connection, conversation_id: str, keys: list[str]) -> dict[str, DirectLineActivityPublic]:
    """The conversation's activities stored under any of `keys`, by key: one statement for a turn's replies."""
    found: dict[str, DirectLineActivityPublic] = {}
    for start in range(0, len(keys), _KEYS_AT_ONCE):
        chunk = keys[start : start + _KEYS_AT_ONCE]
        params = {"conversation_id": conversation_id, **{f"key_{i}": key for i, key in enumerate(chunk)}}
        found |= {row[0]: _activity(row[1:]) for row in fetch(conn, _by_client_keys_statement(len(chunk)), params)}
    return found


def _next_seq(conn: Connection, conversation_id: str, count: int = 1) -> int | None:
    """Take the conversation's next `count` positions and return the last (None: no such conversation);
    see _NEXT_SEQ."""
    rows = fetch(conn, _NEXT_SEQ, {"conversation_id": conversation_id, "count": count})
    return int(rows[0][0]) if rows else None


class _NoConversation(LookupError):
    """Rolls back what an append's transaction wrote before it found no conversation."""


def _append_all(
    conn: Connection,
    *,
    conversation_id: str,
    items: Sequence[tuple[dict[str, Any], str | None]],
    now: datetime,
    pending: bool,
    also: Callable[[Connection], None] | None,
    processed: str | None,
    look: bool,
) -> list[DirectLineActivityPublic]:
    """Store, in order, the items not already stored under their key (looked for only when `look`: else a
    key stored before fails the insert). However many there are: one look for the keys, one statement taking
    the positions, one executemany for the rows. `also` runs first and `processed` is marked last (see
    append_activities); raises _NoConversation when there is no such conversation."""
    if also is not None:
        also(conn)
    stored = _append_new(conn, conversation_id=conversation_id, items=items, now=now, pending=pending, look=look)
    if processed is not None:
        run(conn, _MARK_PROCESSED, {"the_activity": processed})
    return stored


def _append_new(
    conn: Connection,
    *,
    conversation_id: str,
    items: Sequence[tuple[dict[str, Any], str | None]],
    now: datetime,
    pending: bool,
    look: bool,
) -> list[DirectLineActivityPublic]:
    if not items:
        return []
    keys = list(dict.fromkeys(key for _, key in items if key is not None))
    found = _by_client_keys(conn, conversation_id, keys) if keys and look else {}
    fresh = sum(1 for _, key in items if key is None) + sum(1 for key in keys if key not in found)
    last = _next_seq(conn, conversation_id, fresh) if fresh else 0
    if last is None:
        raise _NoConversation(conversation_id)
    seq = last - fresh
    stored: list[DirectLineActivityPublic] = []
    rows: list[dict[str, Any]] = []
    for activity, key in items:
        if key is not None and key in found:  # stored before, or earlier in this batch
            stored.append(found[key])
            continue
        seq += 1
        activity_id = format_activity_id(conversation_id, seq)
        body = {**activity, "id": activity_id}
        one = DirectLineActivityPublic.model_construct(seq=seq, activity_id=activity_id, body=body, pending=pending)
        rows.append(
            {"conversation_id": conversation_id, "seq": seq, "activity_id": activity_id, "body": body}
            | {"now": now, "client_key": key, "pending": pending}
        )
        stored.append(one)
        if key is not None:
            found[key] = one
    run_many(conn, _APPEND, rows)
    return stored


async def append_activities(
    db: Db,
    *,
    conversation_id: str,
    items: Sequence[tuple[dict[str, Any], str | None]],
    now: datetime,
    pending: bool = False,
    also: Callable[[Connection], None] | None = None,
    processed: str | None = None,
) -> list[DirectLineActivityPublic] | None:
    """Store activities (each with its client key, or None) at the next positions, in order, in one
    transaction, each with its assigned `id`; None if there is no such conversation.

    An activity whose `client_key` is already stored for the conversation is not written again: the stored
    one is returned in its place, so a retried write is the same write.

    `also` writes first in the same transaction (the bot's turn state, whose replies these are), and the
    user activity `processed` is marked so (mark_processed) in it: all of it is committed, or none.
    """
    jobs = Jobs.of(db)
    job = partial(
        _append_all,
        conversation_id=conversation_id,
        items=items,
        now=require_aware(now, "now"),
        pending=pending,
        also=also,
        processed=processed,
    )
    try:
        try:
            # A key is seldom stored already (a client's resend, a turn replayed after a crash): the unique
            # (conversation, key) index finds those, and the write is done again with a look first.
            return await jobs.write(partial(job, look=False))
        except IntegrityError:
            if all(key is None for _, key in items):
                raise
            return await jobs.write(partial(job, look=True))
    except _NoConversation:
        return None


async def append_activity(
    db: Db,
    *,
    conversation_id: str,
    activity: dict[str, Any],
    now: datetime,
    client_key: str | None = None,
    pending: bool = False,
) -> DirectLineActivityPublic | None:
    """Store one activity as append_activities does; None if there is no such conversation."""
    stored = await append_activities(
        db, conversation_id=conversation_id, items=[(activity, client_key)], now=now, pending=pending
    )
    return None if stored is None else stored[0]


async def mark_processed(db: Db, *, activity_id: str) -> None:
    """The bot has finished with this user activity (its replies are stored)."""
    await Jobs.of(db).write_one(_MARK_PROCESSED, {"the_activity": activity_id})


async def pending_activities(
    db: Db, *, created_before: datetime, conversation_id: str | None = None, limit: int = 100
) -> list[tuple[str, DirectLineActivityPublic]]:
    """(conversation id, activity) of user activities still pending that were stored before `created_before`."""
    params: dict[str, Any] = {"before": require_aware(created_before, "created_before"), "limit": limit}
    statement = _PENDING
    if conversation_id is not None:
        statement, params["conversation_id"] = _PENDING_IN, conversation_id
    rows = await Jobs.of(db).read(partial(fetch, statement=statement, params=params))
    return [(row[0], _activity(row[1:])) for row in rows]


def _replace(
    conn: Connection, *, conversation_id: str, activity_id: str, activity: dict[str, Any]
) -> DirectLineActivityPublic | None:
    where = {"the_conversation": conversation_id, "the_activity": activity_id}
    if not fetch(conn, _STORED, where):
        return None
    seq = _next_seq(conn, conversation_id)
    if seq is None:
        return None
    body = {**activity, "id": activity_id}
    run(conn, _MOVE, {**where, "seq": seq, "body": body})
    return DirectLineActivityPublic.model_construct(seq=seq, activity_id=activity_id, body=body, pending=False)


async def replace_activity(
    db: Db, *, conversation_id: str, activity_id: str, activity: dict[str, Any]
) -> DirectLineActivityPublic | None:
    """Replace a stored activity's JSON and move it to the next position; None if there is none."""
    job = partial(_replace, conversation_id=conversation_id, activity_id=activity_id, activity=activity)
    return await Jobs.of(db).write(job)


async def delete_activity(db: Db, *, conversation_id: str, activity_id: str) -> bool:
    """Delete a stored activity; False if there is no such activity."""
    params = {"the_conversation": conversation_id, "the_activity": activity_id}
    return await Jobs.of(db).write_one(_DELETE, params) > 0


async def list_activities(
    db: Db, *, conversation_id: str, after_seq: int, limit: int = DEFAULT_PAGE
) -> list[DirectLineActivityPublic]:
    """Return up to `limit` activities positioned after `after_seq`, oldest first."""
    params = {"conversation_id": conversation_id, "after_seq": after_seq, "limit": limit}
    rows = await Jobs.of(db).read(partial(fetch, statement=_PAGE, params=params))
    return [_activity(row) for row in rows]


def _last_seqs(conn: Connection, conversation_ids: list[str]) -> dict[str, int]:
    # Built per call (the IN list varies), so through SQLAlchemy rather than fetch()'s prebuilt statements.
    rows = conn.execute(select(_C.id, _C.last_seq).where(_C.id.in_(conversation_ids)))
    return {conversation_id: seq for conversation_id, seq in rows}


async def last_seqs(db: Db, *, conversation_ids: Sequence[str]) -> dict[str, int]:
    """Return the newest position of each of `conversation_ids` that exists (one query for a poller)."""
    if not conversation_ids:
        return {}
    return await Jobs.of(db).read(partial(_last_seqs, conversation_ids=list(conversation_ids)))
