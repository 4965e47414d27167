"""Availability: an account's unscheduled downtime in a month against its commitment.

Downtime is the union of the intervals of the Sev1 incidents that affected the account (from the incident's
start to its resolution; an incident still open counts until the instant the figures are read), so two
overlapping incidents count their shared minutes once, and an incident that spans two months counts in each
only its part of it. A month is a calendar month in the desk's time zone, so its length follows the zone
(November 2026 in New York is 30 days and one hour: the clocks go back on the 1st).

The commitment is the share of the month the account is promised to be up: 99.0% for a single server, 99.9%
clustered. The allowed downtime is the rest of the month; what is left is the allowed minus the downtime so far
(negative once the commitment is broken).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from intake.domain import require_aware

__all__ = [
    "COMMITTED_PERCENT",
    "Availability",
    "Commitment",
    "Month",
    "availability",
    "downtime",
    "merge",
]

_MONTH = re.compile(r"(\d{4})-(\d{2})")


class Commitment(StrEnum):
    """The availability an account is promised (stored on the account as its value)."""

    SINGLE = "single"
    CLUSTERED = "clustered"


COMMITTED_PERCENT: dict[Commitment, Decimal] = {
    Commitment.SINGLE: Decimal("99.0"),
    Commitment.CLUSTERED: Decimal("99.9"),
}


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, e.g. Month.parse("2026-11")."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """Read YYYY-MM; ValueError says what was expected."""
        found = _MONTH.fullmatch(text.strip())
        if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1970:
            raise ValueError(f"{text!r} is not a month like 2026-11 (YYYY-MM)")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, instant: datetime, zone: ZoneInfo) -> Month:
        """The month `instant` falls in, in `zone`."""
        local = require_aware(instant, "instant").astimezone(zone)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def following(self) -> Month:
        """The next month."""
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the month in UTC: local midnight of its first day to that of the next month's."""
        after = self.following()
        start = datetime(self.year, self.month, 1, tzinfo=zone)
        return start.astimezone(UTC), datetime(after.year, after.month, 1, tzinfo=zone).astimezone(UTC)


def _utc(instant: datetime, name: str) -> datetime:
    # In UTC: two instants of one zone subtract as wall-clock times, which a DST change makes wrong.
    return require_aware(instant, name).astimezone(UTC)


def merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The intervals' union as disjoint UTC intervals in order (touching ones joined, empty ones dropped)."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted((_utc(s, "start"), _utc(e, "end")) for s, e in intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def downtime(intervals: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> timedelta:
    """How much of [start, end) the intervals cover, each instant once."""
    start, end = _utc(start, "start"), _utc(end, "end")
    clipped = ((max(_utc(s, "start"), start), min(_utc(e, "end"), end)) for s, e in intervals)
    return sum((e - s for s, e in merge(clipped)), timedelta(0))


@dataclass(frozen=True)
class Availability:
    """One account's month: its commitment, the month's and the allowed minutes, the downtime and what is left."""

    commitment: Commitment
    committed_percent: Decimal
    month_minutes: float
    allowed_minutes: float
    downtime_minutes: float
    left_minutes: float  # negative once the commitment is broken
    percent: float  # the share of the month (so far) the account was up

    @property
    def met(self) -> bool:
        """Whether the downtime so far is within the allowance."""
        return self.left_minutes >= 0


def _minutes(span: timedelta) -> float:
    return round(span.total_seconds() / 60, 1)


def availability(
    *,
    intervals: Iterable[tuple[datetime, datetime | None]],
    commitment: Commitment,
    start: datetime,
    end: datetime,
    now: datetime,
) -> Availability:
    """The month [start, end) of an account affected by `intervals` (an end of None: still open at `now`)."""
    start, end, now = _utc(start, "start"), _utc(end, "end"), _utc(now, "now")
    closed = [(s, now if e is None else e) for s, e in intervals]
    down = downtime(closed, start, min(end, max(now, start)))
    month = end - start
    percent = COMMITTED_PERCENT[commitment]
    allowed = month * float((Decimal(100) - percent) / Decimal(100))
    elapsed = min(max(now, start), end) - start
    up = 100.0 if elapsed <= timedelta(0) else round(100.0 * (1 - down / elapsed), 3)
    return Availability(
        commitment=commitment,
        committed_percent=percent,
        month_minutes=_minutes(month),
        allowed_minutes=_minutes(allowed),
        downtime_minutes=_minutes(down),
        left_minutes=_minutes(allowed - down),
        percent=up,
    )
