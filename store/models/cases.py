"""Cases and their history: the case row, its read model, the monthly number counter and case events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from intake.domain import CaseStatus, Channel, Outcome, Severity
from store.models.base import instant_field, json_field, json_value, text_field


class CaseBase(SQLModel):
    """Fields of a case shared by the table and its read model."""

    number: str = Field(max_length=16, unique=True, index=True)
    k_number: str = Field(max_length=32, index=True)
    summary: str = text_field()
    description: str = text_field()
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    conversation_id: str | None = Field(default=None, max_length=200, index=True)
    response_met: bool | None = None
    # The agent working the case (their name), or None while nobody has it.
    assignee: str | None = Field(default=None, max_length=100, index=True)


class Case(CaseBase, table=True):
    """A support case; severity and the enums are stored as their plain values."""

    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    severity: int
    channel: str = Field(max_length=16)
    outcome: str = Field(max_length=32)
    status: str = Field(max_length=32, index=True)
    created_at: datetime = instant_field(index=True)
    response_due: datetime = instant_field()
    fix_due: datetime | None = instant_field(nullable=True)
    first_response_at: datetime | None = instant_field(nullable=True)
    resolved_at: datetime | None = instant_field(nullable=True)
    closed_at: datetime | None = instant_field(nullable=True)
    updated_at: datetime = instant_field()
    # When the SLA watch must next look at the case (an alert may fall due then); None: nothing can fall
    # due until something happens to it. Every event sets it back to its instant (bot/sla_watch.py).
    sla_next_at: datetime | None = instant_field(nullable=True, index=True)


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
        return {name: json_value(value) for name, value in self}


class SlaAlert(SQLModel, table=True):
    """An SLA alert that fired: one row per (case, clock, threshold, run of the clock), so it fires once."""

    __tablename__ = "sla_alerts"
    __table_args__ = (UniqueConstraint("case_id", "clock", "threshold", "run_start", name="uq_sla_alerts_once"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE")
    clock: str = Field(max_length=16)  # an intake.sla.ClockName value
    threshold: str = Field(max_length=16)  # an intake.sla.Threshold value
    run_start: datetime = instant_field()  # when the clock's run began (creation, or an update interval)
    fired_at: datetime = instant_field()


class CaseCounter(SQLModel, table=True):
    """The last case sequence number handed out in a month ("YYMM")."""

    __tablename__ = "case_counters"

    month: str = Field(max_length=8, primary_key=True)
    seq: int = 0


class CaseEventBase(SQLModel):
    """Fields of a case event shared by the table and its read model."""

    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE", index=True)
    at: datetime = instant_field()
    actor: str = Field(max_length=100)
    # An intake.domain.CaseEventKind value, or "<outbox kind>_<stage>" for outbox items other than pages.
    kind: str = Field(max_length=64)
    detail: dict[str, Any] = json_field()


class CaseEvent(CaseEventBase, table=True):
    """One entry of a case's history (created, severity_changed, note, page_sent, ...)."""

    __tablename__ = "case_events"

    id: int | None = Field(default=None, primary_key=True)


class CaseEventPublic(CaseEventBase):
    """Read model of a case event."""

    id: int

    def to_json_dict(self) -> dict[str, Any]:
        """Return the event as JSON-ready values."""
        return {name: json_value(value) for name, value in self}
