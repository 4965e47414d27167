"""Agents: their accounts, API tokens and console sessions, and the live chats handed to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Column
from sqlmodel import Field, SQLModel

from store.models.base import UTCDateTime, instant_field


class Role(StrEnum):
    """What an agent may do; a supervisor may do everything an agent may."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"


class Presence(StrEnum):
    """Whether an agent takes live chats; `offline` until they say otherwise."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    AWAY = "away"


# --- agents and how they sign in -------------------------------------------------------------------


class Agent(SQLModel, table=True):
    """A support engineer or supervisor who signs in to the agent console."""

    __tablename__ = "agents"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    email: str = Field(default="", max_length=320)
    role: str = Field(default=Role.AGENT.value, max_length=16)
    password_hash: str = Field(default="", max_length=512)
    # A one-time password (from `intake agents add|password`) signs in once; then the agent must choose one.
    password_one_time: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="0"))
    disabled: bool = False
    presence: str = Field(default=Presence.OFFLINE.value, max_length=16)
    created_at: datetime = instant_field()


class AgentPublic(SQLModel):
    """Read model of an agent: never the password hash."""

    id: int
    name: str
    email: str
    role: Role
    presence: Presence
    disabled: bool

    def to_json_dict(self) -> dict[str, Any]:
        """Return the agent as JSON-ready values."""
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "role": self.role.value,
            "presence": self.presence.value,
            "disabled": self.disabled,
        }


class ApiToken(SQLModel, table=True):
    """An API token of an agent; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agents.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=128, unique=True, index=True)
    created_at: datetime = instant_field()
    revoked_at: datetime | None = instant_field(nullable=True)


class ConsoleSessionBase(SQLModel):
    """Fields of a console session shared by the table and its read model."""

    # The sha256 of the cookie's secret, which is never stored.
    id: str = Field(max_length=64, primary_key=True)
    agent_id: int = Field(foreign_key="agents.id", ondelete="CASCADE", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    # The console's heartbeat: agents count as online only while a session of theirs is seen.
    last_seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Signed in with a one-time password: the session may only choose a new password.
    password_change_required: bool = False


class ConsoleSession(ConsoleSessionBase, table=True):
    """A signed-in browser."""

    __tablename__ = "console_sessions"


class ConsoleSessionPublic(ConsoleSessionBase):
    """Read model of a console session."""


# --- live chats handed to agents -------------------------------------------------------------------


class HandoffStatus(StrEnum):
    """Where a handoff stands; queued and active ones are open."""

    QUEUED = "queued"  # waiting for an agent; the bot stays silent
    ACTIVE = "active"  # an agent has it
    RETURNED = "returned"  # handed back to the bot
    CLOSED = "closed"  # the agent ended the chat
    TIMED_OUT = "timed_out"  # nobody took it in time: turned into a web support request


OPEN_STATUSES: tuple[HandoffStatus, ...] = (HandoffStatus.QUEUED, HandoffStatus.ACTIVE)


class HandoffBase(SQLModel):
    """Fields of a handoff shared by the table and its read model."""

    conversation_id: str = Field(max_length=200, index=True)
    # The Bot Framework channel id of the conversation ("directline", ...).
    channel: str = Field(max_length=64)
    case_number: str | None = Field(default=None, max_length=16, index=True)
    reason: str = Field(max_length=32)
    agent_id: int | None = Field(default=None, foreign_key="agents.id", ondelete="SET NULL", index=True)
    # Copied from the case so the queue orders without a join; kept in step when an agent changes it.
    severity: int | None = None
    response_due: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    conversation_reference: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    # Bumped on every change and relayed message: the consoles' poll compares versions across processes.
    version: int = 0


class Handoff(HandoffBase, table=True):
    """A conversation handed to (or waiting for) a live agent."""

    __tablename__ = "handoffs"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(max_length=16, index=True)
    # The conversation id while open, NULL after: the unique constraint allows one open handoff per
    # conversation on both backends (NULLs never collide), and is the conflict target of an idempotent create.
    open_conversation_id: str | None = Field(default=None, max_length=200, unique=True)


class HandoffPublic(HandoffBase):
    """Read model of a handoff."""

    id: int
    status: HandoffStatus

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
