"""Planned maintenance windows, the accounts each one affects (none listed: every account), and their audit."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import PrimaryKeyConstraint
from sqlmodel import Field, SQLModel

from store.models.base import instant_field, json_field, json_value, text_field


class WindowStatus(StrEnum):
    """Where a window stands: as first scheduled, changed since (its version counts the changes), or cancelled."""

    SCHEDULED = "scheduled"
    CHANGED = "changed"
    CANCELLED = "cancelled"


class MaintenanceWindowBase(SQLModel):
    """Fields of a window shared by the table and its read model."""

    start_at: datetime = instant_field(index=True)
    end_at: datetime = instant_field(index=True)
    all_accounts: bool = False
    components: list[str] = json_field()  # intake.components keys
    downtime: bool
    summary: str = text_field()
    # Why a window inside the notice period, or past an account's yearly cap, was let through ("" if none).
    override_reason: str = text_field()


class MaintenanceWindow(MaintenanceWindowBase, table=True):
    """A planned maintenance window; `version` goes up with each change (a notice names the version it tells)."""

    __tablename__ = "maintenance_windows"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(max_length=16, index=True)
    version: int = 1
    created_at: datetime = instant_field()
    created_by: str = Field(max_length=100)
    updated_at: datetime = instant_field()
    updated_by: str = Field(max_length=100)


class MaintenanceWindowPublic(MaintenanceWindowBase):
    """Read model of a window, with the K#s of the accounts it names (empty when it is for all)."""

    id: int
    status: WindowStatus
    version: int
    accounts: list[str] = []
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready values: enums as their values, instants ISO-8601 with offset."""
        return {name: json_value(value) for name, value in self}


class MaintenanceAccount(SQLModel, table=True):
    """An account a window names."""

    __tablename__ = "maintenance_accounts"
    __table_args__ = (PrimaryKeyConstraint("window_id", "account_id", name="pk_maintenance_accounts"),)

    window_id: int = Field(foreign_key="maintenance_windows.id", ondelete="CASCADE")
    account_id: int = Field(foreign_key="accounts.id", ondelete="CASCADE", index=True)


class MaintenanceAudit(SQLModel, table=True):
    """What was done to a window, by whom and when, with the window as it then stood and any override."""

    __tablename__ = "maintenance_audit"

    id: int | None = Field(default=None, primary_key=True)
    window_id: int = Field(foreign_key="maintenance_windows.id", ondelete="CASCADE", index=True)
    at: datetime = instant_field()
    actor: str = Field(max_length=100)
    action: str = Field(max_length=16)  # scheduled, changed, cancelled
    version: int
    override_reason: str = text_field()
    detail: dict[str, Any] = json_field()
