"""Conversation transcripts: the Bot Framework `TranscriptStore` and plain helpers, on one table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from botbuilder.core.transcript_logger import PagedResult, TranscriptInfo, TranscriptStore
from botbuilder.schema import Activity
from sqlalchemy import Executable, Table, bindparam
from sqlalchemy.engine import Connection
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.clock import Clock
from intake.domain import require_aware
from store.clock import utc_now
from store.db import SessionMaker, insert_for, upsert
from store.errors import TranscriptRoleError
from store.jobs import run, run_many
from store.models import Conversation, TranscriptEntry, TranscriptLine

ROLES = frozenset({"customer", "bot", "agent"})

_ENTRIES: Table = TranscriptEntry.__table__  # type: ignore[attr-defined]
_ADD_ENTRY = _ENTRIES.insert().values(
    conversation_id=bindparam("conversation_id"), at=bindparam("at"), role=bindparam("role"), text=bindparam("text")
)

# botbuilder's stores page by 20.
PAGE_SIZE = 20


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
) -> None:
    """Add several (role, text) lines at one instant, in order (creating the conversation if new).

    Core statements on the caller's connection (a store job's, or an async session's through run_sync):
    this runs on every turn, inside the turn's transaction.
    """
    bad = sorted({role for role, _ in lines} - ROLES)
    if bad:
        raise TranscriptRoleError(f"role must be one of {sorted(ROLES)}, got {bad[0]!r}")
    if not lines:
        return
    at = require_aware(at, "at")
    run(conn, _add_conversation(conn.dialect.name), {"conversation_id": conversation_id, "channel": channel, "at": at})
    # One executemany; ids (the order) follow the list.
    run_many(
        conn,
        _ADD_ENTRY,
        [{"conversation_id": conversation_id, "at": at, "role": role, "text": text} for role, text in lines],
    )


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


class SqlTranscriptStore(TranscriptStore):  # type: ignore[misc]
    """Bot Framework transcript store on the conversations and transcript_entries tables."""

    def __init__(self, session_maker: SessionMaker, *, clock: Clock = utc_now) -> None:
        self._session_maker = session_maker
        self._clock = clock

    async def log_activity(self, activity: Activity) -> None:
        """Append the activity to its conversation's transcript."""
        if activity is None:
            raise TypeError("activity is required")
        at = _activity_time(activity) or self._clock()
        role = "customer" if _role(activity) == "user" else "bot"
        async with self._session_maker() as session, session.begin():
            await append_transcript(
                session,
                conversation_id=activity.conversation.id,
                role=role,
                text=activity.text or "",
                at=at,
                activity=activity.serialize(),
                channel=activity.channel_id,
            )

    async def get_transcript_activities(
        self,
        channel_id: str,
        conversation_id: str,
        continuation_token: str | None = None,
        start_date: datetime | None = None,
    ) -> PagedResult:
        """Return a page of the conversation's activities, oldest first, from `start_date` on."""
        if not channel_id or not conversation_id:
            raise TypeError("channel_id and conversation_id are required")
        query = (
            select(TranscriptEntry)
            .join(Conversation, col(Conversation.id) == col(TranscriptEntry.conversation_id))
            .where(
                Conversation.channel == channel_id,
                Conversation.id == conversation_id,
                col(TranscriptEntry.activity).is_not(None),
            )
        )
        # botbuilder's default start_date is the naive datetime.min: no lower bound.
        if start_date is not None and start_date != datetime.min:
            query = query.where(col(TranscriptEntry.at) >= require_aware(start_date, "start_date"))
        if continuation_token:
            query = query.where(col(TranscriptEntry.id) > int(continuation_token))
        query = query.order_by(col(TranscriptEntry.id)).limit(PAGE_SIZE + 1)
        async with self._session_maker() as session:
            rows = (await session.exec(query)).all()
        page = PagedResult()
        page.items = [Activity.deserialize(row.activity) for row in rows[:PAGE_SIZE]]
        page.continuation_token = str(rows[PAGE_SIZE - 1].id) if len(rows) > PAGE_SIZE else None
        return page

    async def list_transcripts(self, channel_id: str, continuation_token: str | None = None) -> PagedResult:
        """Return a page of the channel's conversations, newest first."""
        if not channel_id:
            raise TypeError("channel_id is required")
        offset = int(continuation_token) if continuation_token else 0
        query = (
            select(Conversation)
            .where(Conversation.channel == channel_id)
            .order_by(col(Conversation.started_at).desc(), col(Conversation.id))
            .offset(offset)
            .limit(PAGE_SIZE + 1)
        )
        async with self._session_maker() as session:
            rows = (await session.exec(query)).all()
        page = PagedResult()
        page.items = [TranscriptInfo(channel_id, row.started_at, row.id) for row in rows[:PAGE_SIZE]]
        page.continuation_token = str(offset + PAGE_SIZE) if len(rows) > PAGE_SIZE else None
        return page

    async def delete_transcript(self, channel_id: str, conversation_id: str) -> None:
        """Delete the conversation and all its lines."""
        if not channel_id or not conversation_id:
            raise TypeError("channel_id and conversation_id are required")
        async with self._session_maker() as session, session.begin():
            owned = await session.get(Conversation, conversation_id)
            if owned is None or owned.channel != channel_id:
                return
            await session.exec(delete(TranscriptEntry).where(col(TranscriptEntry.conversation_id) == conversation_id))
            await session.exec(delete(Conversation).where(col(Conversation.id) == conversation_id))


def _role(activity: Activity) -> str | None:
    sender = activity.from_property
    return None if sender is None else sender.role


def _activity_time(activity: Activity) -> datetime | None:
    at: datetime | None = activity.timestamp
    if at is None:
        return None
    # Bot Framework timestamps are UTC by contract; a channel that drops the offset still means UTC.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at
