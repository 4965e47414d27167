"""The Direct Line gateway's rows: its conversations and their activities, each at a stream position."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from store.models.base import UTCDateTime

_FK_CONVERSATION = "fk_directline_activities_conversation_id"


class DirectLineConversationBase(SQLModel):
    """Fields of a gateway conversation shared by the table and its read model."""

    id: str = Field(max_length=64, primary_key=True)
    # The Direct Line user id ("dl_..."): tokens carry it, and the gateway stamps it on the user's activities.
    user_id: str = Field(max_length=80)


class DirectLineConversation(DirectLineConversationBase, table=True):
    """A Direct Line conversation; last_seq is the watermark of its newest activity."""

    __tablename__ = "directline_conversations"

    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Set once, by whichever process first sends the bot the conversationUpdate.
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    last_seq: int = Field(default=0, nullable=False)


class DirectLineConversationPublic(DirectLineConversationBase):
    """Read model of a gateway conversation."""

    created_at: datetime
    started_at: datetime | None
    last_seq: int


class DirectLineActivity(SQLModel, table=True):
    """One activity of a conversation, user's or bot's, as the JSON the channel shows."""

    __tablename__ = "directline_activities"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("conversation_id", "client_key"),
        # The recovery sweep's question ("which user activities are still pending?"), kept small.
        Index(
            "ix_directline_activities_pending",
            "created_at",
            postgresql_where=text("pending"),
            sqlite_where=text("pending"),
        ),
    )

    pk: int | None = Field(default=None, primary_key=True)
    # Named by hand: the naming convention's name would pass PostgreSQL's 63-character limit.
    conversation_id: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("directline_conversations.id", name=_FK_CONVERSATION, ondelete="CASCADE"),
            nullable=False,
        )
    )
    # The stream position (watermark); an update moves the activity to a new position so streams see it.
    seq: int = Field(nullable=False)
    activity_id: str = Field(max_length=96, unique=True, nullable=False)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # What makes a retried write the same write: "client:<clientActivityID>" for a user's activity (a
    # client resending after a lost answer), "reply:<activity id>:<n>" for the bot's n-th reply to it (a
    # turn replayed after a crash). NULL for activities that cannot be written twice.
    client_key: str | None = Field(default=None, max_length=200, nullable=True)
    # A user's activity the bot has not finished with yet: stored, then handed to the bot, then cleared.
    # One still set after the bot's timeout belongs to a process that died; it is handed to the bot again.
    pending: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="0"))


class DirectLineActivityPublic(SQLModel):
    """Read model of a stored activity: its stream position and its JSON (with `id`)."""

    seq: int
    activity_id: str
    body: dict[str, Any]
    pending: bool = False
