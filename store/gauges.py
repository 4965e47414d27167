"""Figures the operator's metrics read from the database (bot/metrics.py), each one bounded query."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from store.db import SessionMaker, read_session
from store.models import Outbox


async def outbox_counts(session_maker: SessionMaker) -> dict[tuple[str, str], int]:
    """Return {(kind, status): items} over the whole outbox (the due index covers it: status, kind first)."""
    query = select(Outbox.kind, Outbox.status, func.count()).group_by(col(Outbox.kind), col(Outbox.status))
    async with read_session(session_maker) as session:
        rows = (await session.exec(query)).all()
    return {(kind, status): int(count) for kind, status, count in rows}
