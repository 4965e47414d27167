"""SQLModel tables of the intake database (cases, accounts, conversations, bot state, outbox, agents)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Dialect, Index, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel

from intake.domain import CaseStatus, Channel, Outcome, Severity, require_aware

# Named constraints: Alembic's SQLite batch mode must be able to find them again to alter a table.
# Kept short: PostgreSQL truncates identifiers at 63 characters.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A tz-aware instant, stored in UTC, always read back aware (SQLite would hand back naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Reject naive values; store UTC (naive on SQLite, which has no zone-aware type)."""
        if value is None:
            return None
        utc = require_aware(value).astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _instant(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _text(default: str = "") -> Any:
    return Field(default=default, sa_type=Text, nullable=False)


def _json(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


# --- accounts -------------------------------------------------------------------------------------


class AccountBase(SQLModel):
    """Fields of a customer account, identified by its K#."""

    k_number: str = Field(max_length=32, unique=True, index=True)
    name: str = ""
    notes: str = _text()


class Account(AccountBase, table=True):
    """A customer account."""

    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class AccountPhone(SQLModel, table=True):
    """A caller-ID number (E.164) of an account; one number may serve several accounts."""

    __tablename__ = "account_phones"
    __table_args__ = (UniqueConstraint("account_id", "e164"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", ondelete="CASCADE", index=True)
    e164: str = Field(max_length=20, index=True)


# --- cases ----------------------------------------------------------------------------------------


class CaseBase(SQLModel):
    """Fields of a case shared by the table and its read model."""

    number: str = Field(max_length=16, unique=True, index=True)
    k_number: str = Field(max_length=32, index=True)
    summary: str = _text()
    description: str = _text()
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    conversation_id: str | None = Field(default=None, max_length=200, index=True)
    response_met: bool | None = None


class Case(CaseBase, table=True):
    """A support case; severity and the enums are stored as their plain values."""

    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    severity: int
    channel: str = Field(max_length=16)
    outcome: str = Field(max_length=32)
    status: str = Field(max_length=32, index=True)
    created_at: datetime = _instant(index=True)
    response_due: datetime = _instant()
    fix_due: datetime | None = _instant(nullable=True)
    first_response_at: datetime | None = _instant(nullable=True)
    resolved_at: datetime | None = _instant(nullable=True)
    closed_at: datetime | None = _instant(nullable=True)
    updated_at: datetime = _instant()


class CasePublic(CaseBase):
    """Read model of a case, with the enums restored."""

    id: int
    account_id: int
    severity: Severity
    channel: Channel
    outcome: Outcome
    status: CaseStatus
    created_at: datetime
    response_due: datetime
    fix_due: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime

    def to_json_dict(self) -> dict[str, Any]:
        """Return the case as JSON-ready values: enums as their values, instants ISO-8601 with offset."""
        return {name: _json_value(value) for name, value in self}


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        # isoformat keeps "+00:00"; pydantic's JSON mode would write "Z".
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


class CaseCounter(SQLModel, table=True):
    """The last case sequence number handed out in a month ("YYMM")."""

    __tablename__ = "case_counters"

    month: str = Field(max_length=8, primary_key=True)
    seq: int = 0


class CaseEvent(SQLModel, table=True):
    """One entry of a case's history (created, severity_changed, note, page_sent, ...)."""

    __tablename__ = "case_events"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE", index=True)
    at: datetime = _instant()
    actor: str = Field(max_length=100)
    kind: str = Field(max_length=64)
    detail: dict[str, Any] = _json()


class CaseEventPublic(SQLModel):
    """Read model of a case event."""

    id: int
    case_id: int
    at: datetime
    actor: str
    kind: str
    detail: dict[str, Any]

    def to_json_dict(self) -> dict[str, Any]:
        """Return the event as JSON-ready values."""
        return {name: _json_value(value) for name, value in self}


# --- conversations and transcripts ----------------------------------------------------------------


class Conversation(SQLModel, table=True):
    """A chat or call, keyed by its external id (Direct Line conversation id, Twilio CallSid)."""

    __tablename__ = "conversations"

    id: str = Field(max_length=200, primary_key=True)
    # The Bot Framework channel id it runs on ("directline", "twilio-voice", ...).
    channel: str = Field(max_length=64, index=True)
    account_id: int | None = Field(default=None, foreign_key="accounts.id", ondelete="SET NULL")
    case_id: int | None = Field(default=None, foreign_key="cases.id", ondelete="SET NULL")
    started_at: datetime = _instant()
    ended_at: datetime | None = _instant(nullable=True)


class TranscriptEntry(SQLModel, table=True):
    """One line of a conversation's transcript, with the Bot Framework activity when there is one."""

    __tablename__ = "transcript_entries"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(max_length=200, foreign_key="conversations.id", ondelete="CASCADE", index=True)
    at: datetime = _instant()
    role: str = Field(max_length=16)
    text: str = _text()
    # The Bot Framework activity type ("message", "typing", ...); None for lines the app wrote itself.
    activity_type: str | None = Field(default=None, max_length=32)
    activity: dict[str, Any] | None = _json(nullable=True)


class TranscriptLine(SQLModel):
    """Read model of a transcript line."""

    id: int
    conversation_id: str
    at: datetime
    role: str
    text: str
    activity_type: str | None
    activity: dict[str, Any] | None


# --- bot framework state --------------------------------------------------------------------------


class BotState(SQLModel, table=True):
    """A Bot Framework storage item (conversation or user state) with its eTag."""

    __tablename__ = "bot_state"

    key: str = Field(max_length=512, primary_key=True)
    data: dict[str, Any] = _json()
    etag: str = Field(max_length=64)
    updated_at: datetime = _instant()


# --- outbox ---------------------------------------------------------------------------------------


class Outbox(SQLModel, table=True):
    """A side effect (an SMS page, ...) written with the case and delivered later by a worker."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "kind", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    case_id: int | None = Field(default=None, foreign_key="cases.id", ondelete="CASCADE", index=True)
    payload: dict[str, Any] = _json()
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _instant()
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _instant()
    sent_at: datetime | None = _instant(nullable=True)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)


class OutboxItem(SQLModel):
    """Read model of an outbox row handed to a delivery worker."""

    id: int
    kind: str
    case_id: int | None
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    dedupe_key: str | None


# --- agents (used by the agent console, later) ----------------------------------------------------


class Agent(SQLModel, table=True):
    """A support engineer or supervisor who signs in to the agent console."""

    __tablename__ = "agents"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    email: str = Field(default="", max_length=320)
    role: str = Field(default="agent", max_length=16)
    password_hash: str = Field(default="", max_length=512)
    disabled: bool = False
    presence: str = Field(default="offline", max_length=16)
    created_at: datetime = _instant()


class ApiToken(SQLModel, table=True):
    """An API token of an agent; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agents.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=128, unique=True, index=True)
    created_at: datetime = _instant()
    revoked_at: datetime | None = _instant(nullable=True)
