"""Incidents: one outage many customers report; the components each case names; the cases linked to it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, PrimaryKeyConstraint, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from store.models.base import instant_field, json_value, text_field


class IncidentStatus(StrEnum):
    """Where an incident stands."""

    OPEN = "open"
    RESOLVED = "resolved"


# At most one open incident per component: two processes that see the third report at once insert the
# same (component, open) row and the second insert does nothing (store/incidents.py reads the winner).
OPEN_PER_COMPONENT = "uq_incidents_open_component"


class IncidentBase(SQLModel):
    """Fields of an incident shared by the table and its read model."""

    component: str = Field(max_length=32, index=True)  # an intake.components key
    title: str = text_field()
    resolution: str = text_field()
    opened_by: str = Field(max_length=100)  # "auto" (the reports rule) or the agent's name


class Incident(IncidentBase, table=True):
    """An outage of one component, opened by the reports rule or an agent."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index(
            OPEN_PER_COMPONENT,
            "component",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(max_length=16, index=True)
    opened_at: datetime = instant_field()
    resolved_at: datetime | None = instant_field(nullable=True)
    # When the on-call engineer was paged for it (once); a Sev1 linked after that is not paged again.
    paged_at: datetime | None = instant_field(nullable=True)
    resolved_by: str | None = Field(default=None, max_length=100)


class IncidentPublic(IncidentBase):
    """Read model of an incident, with the numbers of the cases linked to it (detached ones apart)."""

    id: int
    status: IncidentStatus
    opened_at: datetime
    resolved_at: datetime | None = None
    paged_at: datetime | None = None
    resolved_by: str | None = None
    cases: list[str] = []
    detached: list[str] = []

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready values: enums as their values, instants ISO-8601 with offset."""
        return {name: json_value(value) for name, value in self}


class IncidentCase(SQLModel, table=True):
    """A case linked to an incident: a case is in at most one; a detached case stays listed as detached."""

    __tablename__ = "incident_cases"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", ondelete="CASCADE", index=True)
    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE", unique=True)
    linked_at: datetime = instant_field()
    linked_by: str = Field(max_length=100)
    detached_at: datetime | None = instant_field(nullable=True)
    detached_by: str | None = Field(default=None, max_length=100)


class IncidentUpdate(SQLModel, table=True):
    """An update an agent posted on an incident (each linked case also records it as a customer update)."""

    __tablename__ = "incident_updates"
    # A client's retry key: the same update sent twice is recorded (and sent to the customers) once.
    __table_args__ = (UniqueConstraint("incident_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", ondelete="CASCADE", index=True)
    at: datetime = instant_field()
    actor: str = Field(max_length=100)
    text: str = text_field()
    reached: int = 0  # how many linked cases it was queued for
    key: str | None = Field(default=None, max_length=100)


class CaseComponent(SQLModel, table=True):
    """A component a case's description names (what the reports rule counts)."""

    __tablename__ = "case_components"
    __table_args__ = (
        PrimaryKeyConstraint("case_id", "component", name="pk_case_components"),
        Index("ix_case_components_component_at", "component", "created_at"),
    )

    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE")
    component: str = Field(max_length=32)
    # The case's own columns the rule filters on, copied so the count is one index range.
    created_at: datetime = instant_field()
    severity: int
    account_id: int
