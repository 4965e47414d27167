"""Conversations: the chat or call itself, its transcript lines and its Bot Framework state row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from store.models.base import instant_field, json_field, text_field


class Conversation(SQLModel, table=True):
    """A chat or call, keyed by its external id (Direct Line conversation id, Twilio CallSid).

    Never deleted: a conversation's state row remembers that its row exists (bot/turn_state.TRANSCRIBED), so
    a purge of conversations would have to clear that too.
    """

    __tablename__ = "conversations"

    id: str = Field(max_length=200, primary_key=True)
    # The Bot Framework channel id it runs on ("directline", "twilio-voice", ...).
    channel: str = Field(max_length=64, index=True)
    account_id: int | None = Field(default=None, foreign_key="accounts.id", ondelete="SET NULL")
    case_id: int | None = Field(default=None, foreign_key="cases.id", ondelete="SET NULL")
    started_at: datetime = instant_field()
    ended_at: datetime | None = instant_field(nullable=True)


class TranscriptLineBase(SQLModel):
    """Fields of a transcript line shared by the table and its read model."""

    conversation_id: str = Field(max_length=200, foreign_key="conversations.id", ondelete="CASCADE", index=True)
    at: datetime = instant_field()
    role: str = Field(max_length=16)
    text: str = text_field()
    # The Bot Framework activity type ("message", "typing", ...); None for lines the app wrote itself.
    activity_type: str | None = Field(default=None, max_length=32)
    activity: dict[str, Any] | None = json_field(nullable=True)


class TranscriptEntry(TranscriptLineBase, table=True):
    """One line of a conversation's transcript, with the Bot Framework activity when there is one."""

    __tablename__ = "transcript_entries"

    id: int | None = Field(default=None, primary_key=True)


class TranscriptLine(TranscriptLineBase):
    """Read model of a transcript line."""

    id: int


class BotState(SQLModel, table=True):
    """A conversation's state row (botbuilder ConversationState's key and layout) with its eTag."""

    __tablename__ = "bot_state"

    key: str = Field(max_length=512, primary_key=True)
    data: dict[str, Any] = json_field()
    etag: str = Field(max_length=64)
    updated_at: datetime = instant_field()
