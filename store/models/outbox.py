"""The transactional outbox: side effects (an SMS page, ...) written with the case, delivered by workers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from store.models.base import instant_field, json_field


class OutboxStatus(StrEnum):
    """Where an outbox item stands."""

    PENDING = "pending"  # due at next_attempt_at (a claimed item is pending until its lease runs out)
    SENT = "sent"
    FAILED = "failed"  # given up for good
    SKIPPED = "skipped"  # no longer wanted when its turn came (an opted-out contact, a reopened case)


class OutboxBase(SQLModel):
    """Fields of an outbox item shared by the table and its read model."""

    kind: str = Field(max_length=32)
    case_id: int | None = Field(default=None, foreign_key="cases.id", ondelete="CASCADE", index=True)
    payload: dict[str, Any] = json_field()
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = instant_field()
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = instant_field()
    sent_at: datetime | None = instant_field(nullable=True)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)


class Outbox(OutboxBase, table=True):
    """A side effect waiting for (or past) delivery."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "kind", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)


class OutboxItem(OutboxBase):
    """Read model of an outbox row handed to a delivery worker."""

    id: int
