"""The system clock: the one place the service reads the time (everything else is given a `Clock`)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Return the current instant, aware, in UTC (never `datetime.utcnow()`, which is naive)."""
    return datetime.now(UTC)
