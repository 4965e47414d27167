"""Conversations and their transcripts: the lines a turn adds, the lines an agent relays, reading them back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Executable, Table, bindparam
from sqlalchemy.engine import Connection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import require_aware
from store.db import insert_for, upsert
from store.errors import TranscriptRoleError
from store.jobs import run, run_many
from store.models import Conversation, TranscriptEntry, TranscriptLine

ROLES = frozenset({"customer", "bot", "agent"})

_ENTRIES: Table = TranscriptEntry.__table__  # type: ignore[attr-defined]
_ADD_ENTRY = _ENTRIES.insert().values(
    conversation_id=bindparam("conversation_id"), at=bindparam("at"), role=bindparam("role"), text=bindparam("text")
)
_ADD_ACTIVITY_ENTRY = _ENTRIES.insert().values(
    conversation_id=bindparam("conversation_id"),
    at=bindparam("at"),
    role=bindparam("role"),
    text=bindparam("text"),
    activity_type=bindparam("activity_type"),
    activity=bindparam("activity"),
)


async def ensure_conversation(
    session: AsyncSession,
    *,
    conversation_id: str,
    channel: str,
    started_at: datetime,
    account_id: int | None = None,
    case_id: int | None = None,
) -> None:
    """Create the conversation row if missing; link it to an account or case when given."""
    await session.exec(
        upsert(session, Conversation)
        .values(id=conversation_id, channel=channel, started_at=require_aware(started_at, "started_at"))
        .on_conflict_do_nothing(index_elements=["id"])
    )
    if account_id is not None or case_id is not None:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        if account_id is not None:
            conversation.account_id = account_id
        if case_id is not None:
            conversation.case_id = case_id
        session.add(conversation)
        await session.flush()


async def end_conversation(session: AsyncSession, *, conversation_id: str, ended_at: datetime) -> None:
    """Stamp the end of a conversation (in the caller's transaction); unknown ids are ignored."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is not None and conversation.ended_at is None:
        conversation.ended_at = require_aware(ended_at, "ended_at")
        session.add(conversation)
        await session.flush()


async def append_transcript(
    session: AsyncSession,
    *,
    conversation_id: str,
    role: str,
    text: str,
    at: datetime,
    activity: Mapping[str, Any] | None = None,
    channel: str = "unknown",
) -> TranscriptLine:
    """Add a line to a conversation's transcript (creating the conversation on `channel` if new)."""
    if role not in ROLES:
        raise TranscriptRoleError(f"role must be one of {sorted(ROLES)}, got {role!r}")
    await ensure_conversation(session, conversation_id=conversation_id, channel=channel, started_at=at)
    entry = TranscriptEntry(
        conversation_id=conversation_id,
        at=require_aware(at, "at"),
        role=role,
        text=text,
        activity_type=None if activity is None else activity.get("type"),
        activity=None if activity is None else dict(activity),
    )
    session.add(entry)
    await session.flush()
    return TranscriptLine.model_validate(entry)


def add_lines(
    conn: Connection,
    *,
    conversation_id: str,
    channel: str,
    at: datetime,
    lines: Sequence[tuple[str, str]],
    activity: Mapping[str, Any] | None = None,
    begun: bool = False,
) -> None:
    """Add several (role, text) lines at one instant, in order (creating the conversation if new, unless the
    caller knows it is `begun`: its row stored before, as rows are never deleted).

    `activity` is the Bot Framework activity the first line stands for, kept with it (a customer's message
    relayed to a live agent). Core statements on the caller's connection (a store job's, or an async
    session's through run_sync): this runs on every turn, inside the turn's transaction.
    """
    bad = sorted({role for role, _ in lines} - ROLES)
    if bad:
        raise TranscriptRoleError(f"role must be one of {sorted(ROLES)}, got {bad[0]!r}")
    if not lines:
        return
    at = require_aware(at, "at")
    if not begun:
        params = {"conversation_id": conversation_id, "channel": channel, "at": at}
        run(conn, _add_conversation(conn.dialect.name), params)
    rows = [{"conversation_id": conversation_id, "at": at, "role": role, "text": text} for role, text in lines]
    if activity is not None:
        first, *rows = rows
        run(conn, _ADD_ACTIVITY_ENTRY, {**first, "activity_type": activity.get("type"), "activity": dict(activity)})
    # One executemany; ids (the order) follow the list.
    run_many(conn, _ADD_ENTRY, rows)


@cache
def _add_conversation(dialect: str) -> Executable:
    return (
        insert_for(dialect, Conversation)
        .values(id=bindparam("conversation_id"), channel=bindparam("channel"), started_at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["id"])
    )


async def get_transcript(
    session: AsyncSession, *, conversation_id: str, messages_only: bool = False
) -> list[TranscriptLine]:
    """Return a conversation's lines in order; messages_only drops typing indicators and other events."""
    query = select(TranscriptEntry).where(TranscriptEntry.conversation_id == conversation_id)
    if messages_only:
        query = query.where(
            col(TranscriptEntry.activity_type).is_(None) | (col(TranscriptEntry.activity_type) == "message")
        )
    rows = (await session.exec(query.order_by(col(TranscriptEntry.id)))).all()
    return [TranscriptLine.model_validate(row) for row in rows]
