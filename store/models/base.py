"""What every table shares: constraint names Alembic can find again, tz-aware instants, column shorthands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Dialect, Text, TypeDecorator
from sqlmodel import Field, SQLModel

from intake.domain import require_aware

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

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """On SQLite, process_bind_param and the DATETIME type's string in one step (a dozen binds a turn)."""
        if dialect.name == "sqlite":
            return sqlite_instant
        return super().bind_processor(dialect)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sqlite_instant(value: datetime | None) -> str | None:
    """What UTCDateTime stores on SQLite: the UTC instant as SQLAlchemy's DATETIME writes it
    ("2026-12-06 01:09:36.123456"), for a naive `value` NaiveDatetimeError."""
    if value is None:
        return None
    return require_aware(value).astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def instant_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A UTCDateTime column (NOT NULL unless `nullable`)."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def text_field(default: str = "") -> Any:
    """An unbounded NOT NULL text column."""
    return Field(default=default, sa_type=Text, nullable=False)


def json_field(*, nullable: bool = False) -> Any:
    """A JSON column (a dict)."""
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


def json_value(value: object) -> object:
    """A field's value as JSON: enums as their values, instants ISO-8601 with their offset."""
    if isinstance(value, datetime):
        # isoformat keeps "+00:00"; pydantic's JSON mode would write "Z".
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value
