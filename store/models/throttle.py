"""The attempt throttle's row: one counter per key and window."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from store.models.base import UTCDateTime


class ThrottleCounter(SQLModel, table=True):
    """Attempts of one key in the window that started at window_start and ends at expires_at."""

    __tablename__ = "throttle_counters"

    # "<scope>:<digest of the parts>": no address, name or number is stored in the clear.
    key: str = Field(max_length=100, primary_key=True)
    count: int = 0
    window_start: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
