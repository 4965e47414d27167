"""Availability: downtime per month from incident intervals, merged and split, against the commitment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from intake.availability import Commitment, Month, availability, downtime, merge

NY = ZoneInfo("America/New_York")
NOV_START, NOV_END = Month(2026, 11).bounds(NY)
END_OF_NOV = NOV_END + timedelta(days=1)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def test_months_are_read_and_bounded_in_the_desks_zone() -> None:
    month = Month.parse(" 2026-11 ")
    assert str(month) == "2026-11" and month.following() == Month(2026, 12)
    assert Month(2026, 12).following() == Month(2027, 1)
    start, end = month.bounds(NY)
    assert start == datetime(2026, 11, 1, 4, tzinfo=UTC)  # midnight EDT
    assert end == datetime(2026, 12, 1, 5, tzinfo=UTC)  # midnight EST
    assert end - start == timedelta(days=30, hours=1)  # the clocks went back on 1 November
    assert Month.of(datetime(2026, 12, 1, 4, 59, tzinfo=UTC), NY) == Month(2026, 11)
    for bad in ("2026-13", "2026-00", "26-11", "2026/11", "", "1969-12", "2026-1"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            Month.parse(bad)


def test_overlapping_and_touching_incidents_are_counted_once() -> None:
    intervals = [(at(3, 10), at(3, 11)), (at(3, 10, 30), at(3, 12)), (at(3, 12), at(3, 12, 15)), (at(5, 1), at(5, 1))]
    assert merge(intervals) == [(at(3, 10), at(3, 12, 15))]
    assert downtime(intervals, NOV_START, NOV_END) == timedelta(hours=2, minutes=15)


def test_an_incident_across_two_months_counts_its_part_in_each() -> None:
    spanning = [(at(30, 23), at(1, 1, 30, month=12))]
    assert downtime(spanning, NOV_START, NOV_END) == timedelta(hours=1)
    december = Month(2026, 12).bounds(NY)
    assert downtime(spanning, *december) == timedelta(hours=1, minutes=30)


@pytest.mark.parametrize(
    ("commitment", "percent", "allowed"),
    # November 2026 in New York: 43,260 minutes; 1% and 0.1% of it.
    [(Commitment.SINGLE, Decimal("99.0"), 432.6), (Commitment.CLUSTERED, Decimal("99.9"), 43.3)],
)
def test_the_allowance_follows_the_commitment(commitment: Commitment, percent: Decimal, allowed: float) -> None:
    month = availability(
        intervals=[(at(3, 10), at(3, 11)), (at(3, 10, 30), at(3, 11, 30))],
        commitment=commitment,
        start=NOV_START,
        end=NOV_END,
        now=END_OF_NOV,
    )
    assert month.committed_percent == percent
    assert month.month_minutes == 43260.0
    assert month.allowed_minutes == allowed
    assert month.downtime_minutes == 90.0
    assert month.left_minutes == round(allowed - 90, 1)
    assert month.met is (commitment is Commitment.SINGLE)  # 90 minutes break 99.9% but not 99.0%
    assert month.percent == round(100 * (1 - 90 / 43260), 3)


def test_an_open_incident_counts_until_now_and_the_month_so_far() -> None:
    now = at(11, 12)
    month = availability(
        intervals=[(at(11, 11), None)], commitment=Commitment.CLUSTERED, start=NOV_START, end=NOV_END, now=now
    )
    assert month.downtime_minutes == 60.0
    assert month.left_minutes == -16.7  # 43.26 allowed: broken
    assert not month.met
    elapsed_minutes = (now - NOV_START).total_seconds() / 60
    assert month.percent == round(100 * (1 - 60 / elapsed_minutes), 3)


def test_a_month_not_yet_begun_has_no_downtime() -> None:
    month = availability(
        intervals=[(at(3, 10), None)],
        commitment=Commitment.SINGLE,
        start=NOV_START,
        end=NOV_END,
        now=at(20, 0, month=10),
    )
    assert (month.downtime_minutes, month.left_minutes, month.percent) == (0.0, 432.6, 100.0)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError):
        merge([(datetime(2026, 11, 3, 10), at(3, 11))])


def test_an_incident_across_the_clocks_going_back_counts_elapsed_time() -> None:
    # 01:30 EDT to 01:30 EST on 1 November 2026: the same wall-clock time, one hour apart.
    first, second = datetime(2026, 11, 1, 1, 30, tzinfo=NY), datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)
    assert downtime([(first, second)], NOV_START, NOV_END) == timedelta(hours=1)
