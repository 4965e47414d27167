"""Direct Line gateway queries: conversations, their activities and per-conversation sequences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from intake.domain import require_aware
from store.db import SessionMaker, read_session
from store.models import (
    DirectLineActivity,
    DirectLineActivityPublic,
    DirectLineConversation,
    DirectLineConversationPublic,
)

# Bounds one read so a long conversation cannot make a single response or stream frame huge.
DEFAULT_PAGE = 200


def format_activity_id(conversation_id: str, seq: int) -> str:
    """Return the Direct Line activity id "{conversationId}|{seq:07d}"."""
    return f"{conversation_id}|{seq:07d}"


async def create_conversation(
    session_maker: SessionMaker, *, conversation_id: str, user_id: str, now: datetime
) -> DirectLineConversationPublic:
    """Insert a new conversation for `user_id` and return it."""
    row = DirectLineConversation(id=conversation_id, user_id=user_id, created_at=require_aware(now, "now"), last_seq=0)
    async with session_maker() as session, session.begin():
        session.add(row)
    return DirectLineConversationPublic.model_validate(row, from_attributes=True)


async def get_conversation(session_maker: SessionMaker, *, conversation_id: str) -> DirectLineConversationPublic | None:
    """Return the conversation `conversation_id`, or None."""
    async with read_session(session_maker) as session:
        row = await session.get(DirectLineConversation, conversation_id)
        if row is None:
            return None
        return DirectLineConversationPublic.model_validate(row, from_attributes=True)


async def mark_started(session_maker: SessionMaker, *, conversation_id: str, now: datetime) -> bool:
    """Record that the conversation started; True only for the first caller across all processes."""
    statement = (
        update(DirectLineConversation)
        .where(col(DirectLineConversation.id) == conversation_id)
        .where(col(DirectLineConversation.started_at).is_(None))
        .values(started_at=require_aware(now, "now"))
    )
    async with session_maker() as session, session.begin():
        result = await session.exec(statement)
        return bool(result.rowcount == 1)


async def _next_seq(session: AsyncSession, conversation_id: str) -> int | None:
    # The UPDATE row-locks the conversation (PostgreSQL) or holds the write lock (SQLite) until commit,
    # so positions become visible in order and a stream that has read up to N never misses an N-1.
    statement = (
        update(DirectLineConversation)
        .where(col(DirectLineConversation.id) == conversation_id)
        .values(last_seq=col(DirectLineConversation.last_seq) + 1)
        .returning(col(DirectLineConversation.last_seq))
    )
    result = await session.exec(statement)
    seq = result.scalar_one_or_none()
    return None if seq is None else int(seq)


async def append_activity(
    session_maker: SessionMaker,
    *,
    conversation_id: str,
    activity: dict[str, Any],
    now: datetime,
    client_key: str | None = None,
    pending: bool = False,
) -> DirectLineActivityPublic | None:
    """Store `activity` at the next position with its assigned `id`; None if there is no such conversation.

    With a `client_key` already stored for the conversation, nothing is written and the stored activity
    is returned: a retried write is the same write.
    """
    if client_key is not None:
        existing = await find_by_client_key(session_maker, conversation_id=conversation_id, client_key=client_key)
        if existing is not None:
            return existing
    try:
        async with session_maker() as session, session.begin():
            seq = await _next_seq(session, conversation_id)
            if seq is None:
                return None
            activity_id = format_activity_id(conversation_id, seq)
            body = {**activity, "id": activity_id}
            session.add(
                DirectLineActivity(
                    conversation_id=conversation_id,
                    seq=seq,
                    activity_id=activity_id,
                    body=body,
                    created_at=require_aware(now, "now"),
                    client_key=client_key,
                    pending=pending,
                )
            )
    except IntegrityError:
        # Another writer stored the same key between our look and our insert: theirs is ours.
        if client_key is None:
            raise
        existing = await find_by_client_key(session_maker, conversation_id=conversation_id, client_key=client_key)
        if existing is None:
            raise
        return existing
    return DirectLineActivityPublic(seq=seq, activity_id=activity_id, body=body, pending=pending)


def _public(row: DirectLineActivity) -> DirectLineActivityPublic:
    return DirectLineActivityPublic(seq=row.seq, activity_id=row.activity_id, body=row.body, pending=row.pending)


async def find_by_client_key(
    session_maker: SessionMaker, *, conversation_id: str, client_key: str
) -> DirectLineActivityPublic | None:
    """Return the conversation's activity stored under `client_key`, or None."""
    async with read_session(session_maker) as session:
        row = (
            await session.exec(
                select(DirectLineActivity)
                .where(col(DirectLineActivity.conversation_id) == conversation_id)
                .where(col(DirectLineActivity.client_key) == client_key)
            )
        ).one_or_none()
        return None if row is None else _public(row)


async def mark_processed(session_maker: SessionMaker, *, activity_id: str) -> None:
    """The bot has finished with this user activity (its replies are stored)."""
    statement = (
        update(DirectLineActivity).where(col(DirectLineActivity.activity_id) == activity_id).values(pending=False)
    )
    async with session_maker() as session, session.begin():
        await session.exec(statement)


async def pending_activities(
    session_maker: SessionMaker, *, created_before: datetime, conversation_id: str | None = None, limit: int = 100
) -> list[tuple[str, DirectLineActivityPublic]]:
    """(conversation id, activity) of user activities still pending that were stored before `created_before`."""
    statement = (
        select(DirectLineActivity)
        .where(col(DirectLineActivity.pending).is_(True))
        .where(col(DirectLineActivity.created_at) < require_aware(created_before, "created_before"))
        .order_by(col(DirectLineActivity.conversation_id), col(DirectLineActivity.seq))
        .limit(limit)
    )
    if conversation_id is not None:
        statement = statement.where(col(DirectLineActivity.conversation_id) == conversation_id)
    async with read_session(session_maker) as session:
        rows = (await session.exec(statement)).all()
        return [(row.conversation_id, _public(row)) for row in rows]


async def replace_activity(
    session_maker: SessionMaker, *, conversation_id: str, activity_id: str, activity: dict[str, Any]
) -> DirectLineActivityPublic | None:
    """Replace a stored activity's JSON and move it to the next position; None if there is none."""
    async with session_maker() as session, session.begin():
        row = await _stored_activity(session, conversation_id, activity_id)
        if row is None:
            return None
        seq = await _next_seq(session, conversation_id)
        if seq is None:
            return None
        body = {**activity, "id": activity_id}
        row.seq = seq
        row.body = body
        session.add(row)
    return DirectLineActivityPublic(seq=seq, activity_id=activity_id, body=body)


async def _stored_activity(session: AsyncSession, conversation_id: str, activity_id: str) -> DirectLineActivity | None:
    return (
        await session.exec(
            select(DirectLineActivity)
            .where(col(DirectLineActivity.conversation_id) == conversation_id)
            .where(col(DirectLineActivity.activity_id) == activity_id)
        )
    ).one_or_none()


async def delete_activity(session_maker: SessionMaker, *, conversation_id: str, activity_id: str) -> bool:
    """Delete a stored activity; False if there is no such activity."""
    async with session_maker() as session, session.begin():
        row = await _stored_activity(session, conversation_id, activity_id)
        if row is None:
            return False
        await session.delete(row)
        return True


async def list_activities(
    session_maker: SessionMaker, *, conversation_id: str, after_seq: int, limit: int = DEFAULT_PAGE
) -> list[DirectLineActivityPublic]:
    """Return up to `limit` activities positioned after `after_seq`, oldest first."""
    async with read_session(session_maker) as session:
        rows = (
            await session.exec(
                select(DirectLineActivity)
                .where(col(DirectLineActivity.conversation_id) == conversation_id)
                .where(col(DirectLineActivity.seq) > after_seq)
                .order_by(col(DirectLineActivity.seq))
                .limit(limit)
            )
        ).all()
        return [_public(r) for r in rows]


async def last_seqs(session_maker: SessionMaker, *, conversation_ids: Sequence[str]) -> dict[str, int]:
    """Return the newest position of each of `conversation_ids` that exists (one query for a poller)."""
    if not conversation_ids:
        return {}
    async with read_session(session_maker) as session:
        rows = (
            await session.exec(
                select(DirectLineConversation.id, DirectLineConversation.last_seq).where(
                    col(DirectLineConversation.id).in_(list(conversation_ids))
                )
            )
        ).all()
        return {conversation_id: seq for conversation_id, seq in rows}
