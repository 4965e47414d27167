"""Boundary tables for intake.policy: chat hours (DST, UTC input, holidays), parsers, K#, SLA due times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.domain import Channel, NaiveDatetimeError, Outcome, PolicyError, Severity
from intake.policy import (
    DEFAULT_ROUTING,
    DEFAULT_SLA,
    ROUTING_FORM,
    AccountFormat,
    Policy,
    SlaClock,
    SlaTarget,
    parse_duration,
    parse_routing,
    parse_severity_map,
)
from intake.schedule import (
    HolidayCalendar,
    WeeklySchedule,
    default_chat_schedule,
    parse_holidays,
    parse_hours,
    parse_zone,
)

ET = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))

# Calendar of 2026 used below (checked): Thu 01-15, Fri 03-06, Sun 03-08 (DST starts), Mon 03-09,
# Wed 07-15, Fri 07-17, Sat 07-18, Sun 07-19, Mon 07-20, Fri 10-30, Sun 11-01 (DST ends), Mon 11-02,
# Wed 11-25, Thu 11-26 (Thanksgiving), Wed 12-23, Thu 12-24, Fri 12-25 (Christmas), Mon 12-28.


def et(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """Wall time in New York (unambiguous times only)."""
    return datetime(y, mo, d, h, mi, s, tzinfo=ET)


def z(text: str) -> datetime:
    """An ISO-8601 instant such as 2026-07-15T12:00:00Z (Z or an explicit offset required)."""
    at = datetime.fromisoformat(text)
    assert at.tzinfo is not None
    return at


CHAT = default_chat_schedule()
CHAT_US = default_chat_schedule(parse_holidays("US"))
CHAT_US_EVE = default_chat_schedule(parse_holidays("US,2026-12-24"))
SCHEDULES = {"none": CHAT, "US": CHAT_US, "US,2026-12-24": CHAT_US_EVE}

NAIVE = datetime(2026, 7, 15, 10, 0)

# --------------------------------------------------------------------------------------------------------
# Chat hours: Mon-Fri 08:00 <= local time < 17:00 America/New_York
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Summer (EDT, UTC-4), Wednesday, wall-clock input.
        (et(2026, 7, 15, 7, 59, 59), False),
        (et(2026, 7, 15, 8, 0, 0), True),
        (et(2026, 7, 15, 16, 59, 59), True),
        (et(2026, 7, 15, 17, 0, 0), False),
        (et(2026, 7, 15, 0, 0, 0), False),
        (et(2026, 7, 15, 23, 59, 59), False),
        # Winter (EST, UTC-5), Thursday.
        (et(2026, 1, 15, 7, 59, 59), False),
        (et(2026, 1, 15, 8, 0, 0), True),
        (et(2026, 1, 15, 16, 59, 59), True),
        (et(2026, 1, 15, 17, 0, 0), False),
        # Friday afternoon, the weekend, Monday morning.
        (et(2026, 7, 17, 16, 59, 59), True),
        (et(2026, 7, 17, 17, 0, 0), False),
        (et(2026, 7, 18, 8, 0, 0), False),
        (et(2026, 7, 18, 12, 0, 0), False),
        (et(2026, 7, 19, 12, 0, 0), False),
        (et(2026, 7, 19, 23, 59, 59), False),
        (et(2026, 7, 20, 8, 0, 0), True),
        # Input in UTC: 08:00 EDT is 12:00Z, 08:00 EST is 13:00Z; 17:00 is 21:00Z / 22:00Z.
        (z("2026-07-15T11:59:59Z"), False),
        (z("2026-07-15T12:00:00Z"), True),
        (z("2026-07-15T20:59:59Z"), True),
        (z("2026-07-15T21:00:00Z"), False),
        (z("2026-01-15T12:00:00Z"), False),  # 07:00 EST: a UTC-4 reading would wrongly say open
        (z("2026-01-15T12:59:59Z"), False),
        (z("2026-01-15T13:00:00Z"), True),
        (z("2026-01-15T21:59:59Z"), True),
        (z("2026-01-15T22:00:00Z"), False),
        # Other offsets for the same instants.
        (z("2026-07-15T17:00:00+05:00"), True),  # 12:00Z = 08:00 EDT
        (z("2026-07-15T16:59:59+05:00"), False),
        (datetime(2026, 1, 15, 13, 0, tzinfo=ZoneInfo("Europe/London")), True),  # 08:00 EST
        (datetime(2026, 7, 16, 6, 0, tzinfo=ZoneInfo("Asia/Tokyo")), False),  # Wed 17:00 EDT
        (datetime(2026, 7, 16, 5, 59, 59, tzinfo=ZoneInfo("Asia/Tokyo")), True),  # Wed 16:59:59 EDT
        # Week DST starts (Sun 2026-03-08): Friday before is EST, Monday after is EDT.
        (z("2026-03-06T12:59:59Z"), False),
        (z("2026-03-06T13:00:00Z"), True),
        (z("2026-03-08T14:00:00Z"), False),  # Sunday
        (z("2026-03-09T11:59:59Z"), False),
        (z("2026-03-09T12:00:00Z"), True),  # 08:00 EDT
        (z("2026-03-09T20:59:59Z"), True),
        (z("2026-03-09T21:00:00Z"), False),  # 17:00 EDT
        # Week DST ends (Sun 2026-11-01): Friday before is EDT, Monday after is EST.
        (z("2026-10-30T11:59:59Z"), False),
        (z("2026-10-30T12:00:00Z"), True),
        (z("2026-11-01T06:30:00Z"), False),  # Sunday, inside the repeated hour
        (z("2026-11-01T14:00:00Z"), False),  # Sunday
        (z("2026-11-02T12:00:00Z"), False),  # 07:00 EST
        (z("2026-11-02T12:59:59Z"), False),
        (z("2026-11-02T13:00:00Z"), True),  # 08:00 EST
        (z("2026-11-02T21:59:59Z"), True),
        (z("2026-11-02T22:00:00Z"), False),  # 17:00 EST
    ],
)
def test_chat_is_open(at: datetime, expected: bool) -> None:
    assert CHAT.is_open(at) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (et(2026, 7, 17, 17, 0, 0), et(2026, 7, 20, 8)),  # Friday 17:00 -> Monday 08:00
        (et(2026, 7, 17, 16, 59, 59), et(2026, 7, 20, 8)),  # strictly after: Friday's opening is past
        (et(2026, 7, 18, 12, 0, 0), et(2026, 7, 20, 8)),  # Saturday
        (et(2026, 7, 19, 23, 59, 59), et(2026, 7, 20, 8)),  # Sunday night
        (et(2026, 7, 20, 7, 59, 59), et(2026, 7, 20, 8)),  # Monday just before opening
        (et(2026, 7, 20, 8, 0, 0), et(2026, 7, 21, 8)),  # at the opening itself: the next one
        (et(2026, 7, 15, 17, 0, 0), et(2026, 7, 16, 8)),  # Wednesday close -> Thursday
        (et(2026, 7, 15, 0, 0, 0), et(2026, 7, 15, 8)),  # midnight -> the same morning
        # DST start: Friday 17:00 EST -> Monday 08:00 EDT = 12:00Z.
        (et(2026, 3, 6, 17), z("2026-03-09T12:00:00Z")),
        (z("2026-03-08T06:59:59Z"), z("2026-03-09T12:00:00Z")),  # just before the jump
        (z("2026-03-08T07:00:00Z"), z("2026-03-09T12:00:00Z")),  # the jump itself
        (z("2026-03-08T12:00:00Z"), z("2026-03-09T12:00:00Z")),
        # DST end: Friday 17:00 EDT -> Monday 08:00 EST = 13:00Z.
        (et(2026, 10, 30, 17), z("2026-11-02T13:00:00Z")),
        (z("2026-11-01T05:30:00Z"), z("2026-11-02T13:00:00Z")),  # 01:30 EDT, first pass
        (z("2026-11-01T06:30:00Z"), z("2026-11-02T13:00:00Z")),  # 01:30 EST, second pass
        (z("2026-11-02T12:00:00Z"), z("2026-11-02T13:00:00Z")),  # 07:00 EST Monday -> 08:00 EST
    ],
)
def test_chat_next_open(at: datetime, expected: datetime) -> None:
    opening = CHAT.next_open(at)
    assert opening == expected
    assert opening > at
    assert CHAT.is_open(opening)
    assert not CHAT.is_open(opening - timedelta(seconds=1))
    # Returned in the schedule's zone, at 08:00 local, with the offset in force that day.
    assert opening.tzinfo == ET
    assert opening.timetz().replace(tzinfo=None) == time(8, 0)
    assert opening.utcoffset() == expected.astimezone(ET).utcoffset()


@pytest.mark.parametrize(
    ("day", "summer", "offset_hours"),
    [
        (date(2026, 3, 6), False, -5),  # Friday before DST starts
        (date(2026, 3, 9), True, -4),  # Monday after DST starts
        (date(2026, 7, 15), True, -4),
        (date(2026, 10, 30), True, -4),  # Friday before DST ends
        (date(2026, 11, 2), False, -5),  # Monday after DST ends
        (date(2026, 1, 15), False, -5),
    ],
)
def test_chat_opens_at_0800_new_york_time_summer_and_winter(day: date, summer: bool, offset_hours: int) -> None:
    opening_utc = datetime.combine(day, time(12 if summer else 13, 0), UTC)
    assert CHAT.is_open(opening_utc)
    assert not CHAT.is_open(opening_utc - timedelta(seconds=1))
    assert CHAT.next_open(opening_utc - timedelta(seconds=1)) == opening_utc
    assert opening_utc.astimezone(ET).utcoffset() == timedelta(hours=offset_hours)
    closing_utc = opening_utc + timedelta(hours=9)  # 17:00 local, no DST change on a weekday
    assert CHAT.is_open(closing_utc - timedelta(seconds=1))
    assert not CHAT.is_open(closing_utc)


# --------------------------------------------------------------------------------------------------------
# Holidays
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "at", "expected"),
    [
        ("none", et(2026, 11, 26, 10), True),  # no holidays by default (the brochure says M-F)
        ("none", et(2026, 12, 25, 10), True),
        ("US", et(2026, 11, 26, 8), False),  # Thanksgiving
        ("US", et(2026, 11, 26, 16, 59, 59), False),
        ("US", et(2026, 11, 25, 16, 59, 59), True),  # the day before
        ("US", et(2026, 11, 27, 8), True),  # the day after is not a US holiday
        ("US", et(2026, 12, 24, 10), True),  # Christmas Eve: not without the explicit date
        ("US", et(2026, 12, 25, 10), False),  # Christmas
        ("US", et(2026, 12, 28, 8), True),
        ("US", z("2026-12-25T13:00:00Z"), False),  # 08:00 EST on Christmas, given in UTC
        ("US", z("2026-12-26T02:00:00Z"), False),  # Christmas 21:00 EST is Dec 26 in UTC: still closed
        ("US,2026-12-24", et(2026, 12, 24, 10), False),
        ("US,2026-12-24", et(2026, 12, 25, 10), False),
        ("US,2026-12-24", et(2026, 11, 26, 10), False),
        ("US,2026-12-24", et(2026, 12, 23, 16, 59, 59), True),
    ],
)
def test_is_open_on_holidays(calendar: str, at: datetime, expected: bool) -> None:
    assert SCHEDULES[calendar].is_open(at) is expected


@pytest.mark.parametrize(
    ("calendar", "at", "expected"),
    [
        ("none", et(2026, 11, 25, 17), et(2026, 11, 26, 8)),
        ("US", et(2026, 11, 25, 17), et(2026, 11, 27, 8)),  # skips Thanksgiving
        ("US", et(2026, 11, 26, 9), et(2026, 11, 27, 8)),  # asked on the holiday itself
        ("US", et(2026, 12, 24, 17), et(2026, 12, 28, 8)),  # skips Christmas and the weekend
        ("US", et(2026, 12, 23, 17), et(2026, 12, 24, 8)),
        ("US,2026-12-24", et(2026, 12, 23, 17), et(2026, 12, 28, 8)),  # skips Dec 24, 25 and weekend
        ("US,2026-12-24", et(2026, 12, 23, 16, 59, 59), et(2026, 12, 28, 8)),
    ],
)
def test_next_open_skips_holidays(calendar: str, at: datetime, expected: datetime) -> None:
    assert SCHEDULES[calendar].next_open(at) == expected


@pytest.mark.parametrize(
    ("value", "day", "name"),
    [
        ("US", date(2026, 11, 26), "Thanksgiving Day"),
        ("US", date(2026, 12, 25), "Christmas Day"),
        ("US", date(2026, 12, 24), None),
        ("US,2026-12-24", date(2026, 12, 24), "holiday"),
        ("", date(2026, 12, 25), None),
    ],
)
def test_holiday_names(value: str, day: date, name: str | None) -> None:
    calendar = parse_holidays(value)
    assert calendar.name(day) == name
    assert calendar.is_holiday(day) is (name is not None)


def test_a_schedule_that_never_opens_is_a_policy_error() -> None:
    every_weekday = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(4 * 366))
    closed = WeeklySchedule(ET, WEEKDAYS, time(8), time(17), HolidayCalendar(dates=every_weekday))
    with pytest.raises(PolicyError, match="never opens"):
        closed.next_open(et(2026, 1, 1))


# --------------------------------------------------------------------------------------------------------
# DST fall-back: the repeated hour must be read as real instants (regression: next_open went backwards)
# --------------------------------------------------------------------------------------------------------

# Every day 01:30-03:00 New York time. On 2026-11-01 01:30 happens twice: 05:30Z (EDT) and 06:30Z (EST).
NIGHT = WeeklySchedule(ET, EVERY_DAY, time(1, 30), time(3, 0))
# Every day 00:30-01:30: on 2026-11-01 the window is entered again when the clock falls back.
NIGHT_EARLY = WeeklySchedule(ET, EVERY_DAY, time(0, 30), time(1, 30))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (z("2026-11-01T05:00:00Z"), z("2026-11-01T05:30:00Z")),  # 01:00 EDT -> 01:30 EDT
        (z("2026-11-01T06:15:00Z"), z("2026-11-01T06:30:00Z")),  # 01:15 EST -> 01:30 EST, not 01:30 EDT
        (z("2026-11-01T06:30:00Z"), z("2026-11-02T06:30:00Z")),  # 01:30 EST -> next day 01:30 EST
    ],
)
def test_next_open_in_the_repeated_hour_is_strictly_after(at: datetime, expected: datetime) -> None:
    opening = NIGHT.next_open(at)
    # Compared in UTC: Python's == between zones is always False for a wall time in the repeated hour.
    assert opening.astimezone(UTC) == expected
    assert opening > at
    assert NIGHT.is_open(opening)
    assert not NIGHT.is_open(opening - timedelta(seconds=1))


def test_window_end_in_the_repeated_hour_is_after_the_instant() -> None:
    at = z("2026-11-01T06:15:00Z")  # 01:15 EST, second pass: open by the wall clock
    assert NIGHT_EARLY.is_open(at)
    assert NIGHT_EARLY.window_end(at).astimezone(UTC) == z("2026-11-01T06:30:00Z")  # 01:30 EST
    # Ten business minutes from there end ten real minutes later, not the next night.
    due = NIGHT_EARLY.add_business_time(at, timedelta(minutes=10))
    assert due.astimezone(UTC) == z("2026-11-01T06:25:00Z")


# --------------------------------------------------------------------------------------------------------
# Naive datetimes are refused everywhere
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: CHAT.is_open(NAIVE), id="is_open"),
        pytest.param(lambda: CHAT.next_open(NAIVE), id="next_open"),
        pytest.param(lambda: CHAT.window_end(NAIVE), id="window_end"),
        pytest.param(lambda: CHAT.add_business_time(NAIVE, timedelta(hours=1)), id="add_business_time"),
        pytest.param(lambda: Policy().due(Severity.SEV2, NAIVE), id="due"),
        pytest.param(
            lambda: business(Severity.SEV3, timedelta(days=1), None).due(Severity.SEV3, NAIVE),
            id="due-business",
        ),
    ],
)
def test_naive_datetimes_raise(call: Callable[[], object]) -> None:
    with pytest.raises(NaiveDatetimeError, match="timezone"):
        call()


# --------------------------------------------------------------------------------------------------------
# describe() and schedule validation
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        (CHAT, "Monday-Friday 8:00 AM-5:00 PM Eastern"),
        (CHAT_US, "Monday-Friday 8:00 AM-5:00 PM Eastern"),
        (
            WeeklySchedule(ZoneInfo("America/Chicago"), frozenset({0, 2, 4}), time(9), time(12, 30)),
            "Monday, Wednesday, Friday 9:00 AM-12:30 PM Central",
        ),
        (
            WeeklySchedule(ZoneInfo("Europe/London"), frozenset({5}), time(0), time(12)),
            "Saturday 12:00 AM-12:00 PM Europe/London",
        ),
        (
            WeeklySchedule(ZoneInfo("America/Los_Angeles"), EVERY_DAY, time(12, 5), time(23, 59)),
            "Monday-Sunday 12:05 PM-11:59 PM Pacific",
        ),
    ],
)
def test_describe(schedule: WeeklySchedule, text: str) -> None:
    assert schedule.describe() == text


@pytest.mark.parametrize(
    ("days", "opens", "closes", "message"),
    [
        (frozenset(), time(8), time(17), "at least one open day"),
        (WEEKDAYS, time(17), time(8), "open before it closes"),
        (WEEKDAYS, time(8), time(8), "open before it closes"),
    ],
)
def test_weekly_schedule_rejects(days: frozenset[int], opens: time, closes: time, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        WeeklySchedule(ET, days, opens, closes)


# --------------------------------------------------------------------------------------------------------
# Parsers: good forms and bad forms (a bad form names the accepted form)
# --------------------------------------------------------------------------------------------------------

HOURS_FORM = "'Mon-Fri 08:00-17:00'"


@pytest.mark.parametrize(
    ("value", "days", "opens", "closes"),
    [
        ("Mon-Fri 08:00-17:00", WEEKDAYS, time(8), time(17)),
        ("mon-fri 8:00-17:00", WEEKDAYS, time(8), time(17)),
        ("  MON - FRI   08:00 - 17:00  ", WEEKDAYS, time(8), time(17)),
        ("Mon,Wed,Fri 9:00-12:30", frozenset({0, 2, 4}), time(9), time(12, 30)),
        ("Mon-Wed, Fri 09:00-12:30", frozenset({0, 1, 2, 4}), time(9), time(12, 30)),
        ("Sat-Sun 10:00-14:00", frozenset({5, 6}), time(10), time(14)),
        ("Mon-Sun 00:00-23:59", EVERY_DAY, time(0), time(23, 59)),
        ("Tue 7:45-7:46", frozenset({1}), time(7, 45), time(7, 46)),
        ("Mon-Mon 08:00-17:00", frozenset({0}), time(8), time(17)),
    ],
)
def test_parse_hours_good(value: str, days: frozenset[int], opens: time, closes: time) -> None:
    assert parse_hours(value) == (days, opens, closes)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Mon-Fri",
        "08:00-17:00",
        "Mon-Fri 8-17",
        "Mon-Fri 8am-5pm",
        "Mon-Fri 08:00",
        "Monday-Friday 08:00-17:00",
        "Mon-Frx 08:00-17:00",
        "Mon;Fri 08:00-17:00",
        "Fri-Mon 08:00-17:00",  # backwards range
        "Mon-Wed-Fri 08:00-17:00",  # neither a range nor a list (was silently read as Mon-Fri)
        "Mon-Fri 17:00-08:00",
        "Mon-Fri 08:00-08:00",
        "Mon-Fri 25:00-26:00",
        "Mon-Fri 08:60-17:00",
        "Mon-Fri 00:00-24:00",  # a window ends on its own day: 23:59 at the latest
        "Mon-Fri 08:00:00-17:00:00",
    ],
)
def test_parse_hours_bad(value: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_hours(value)
    assert HOURS_FORM in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("15min", timedelta(minutes=15)),
        ("5 min", timedelta(minutes=5)),
        ("1h", timedelta(hours=1)),
        ("1hr", timedelta(hours=1)),
        ("2hrs", timedelta(hours=2)),
        ("24h", timedelta(hours=24)),
        ("120h", timedelta(hours=120)),
        (" 1.5H ", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("2day", timedelta(days=2)),
        ("2 days", timedelta(days=2)),
        ("0.5d", timedelta(hours=12)),
        ("none", None),
        ("NONE", None),
        ("n/a", None),
        ("N/A", None),
        ("-", None),
        ("", None),
    ],
)
def test_parse_duration_good(value: str, expected: timedelta | None) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "15",
        "m",
        "1w",
        "1 hour",
        "2 weeks",
        "fifteen minutes",
        "-1h",
        "+1h",
        "1e3h",
        "1,5h",
        "1h30m",
        "99999999999d",
    ],
)
def test_parse_duration_bad(value: str) -> None:
    with pytest.raises(PolicyError) as caught:  # never OverflowError/ValueError of another kind
        parse_duration(value)
    assert "e.g. 15m, 1h, 24h, 2d, none" in str(caught.value)


SEVERITY_FORM = "'1:<value>,2:<value>,3:<value>,4:<value>'"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1:15m,2:1h,3:24h,4:2d", {1: "15m", 2: "1h", 3: "24h", 4: "2d"}),
        (" 4 : 2d , 3:24h,2:1h,1:15m ,", {1: "15m", 2: "1h", 3: "24h", 4: "2d"}),
        (
            "1:calendar,2:business,3:Business,4:calendar",
            {1: "calendar", 2: "business", 3: "Business", 4: "calendar"},
        ),
        ("1:8h,2:24h,3:120h,4:none", {1: "8h", 2: "24h", 3: "120h", 4: "none"}),
    ],
)
def test_parse_severity_map_good(value: str, expected: dict[int, str]) -> None:
    parsed = parse_severity_map(value, "SLA_RESPONSE")
    assert parsed == {Severity(k): v for k, v in expected.items()}
    assert all(isinstance(k, Severity) for k in parsed)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "missing 1, 2, 3, 4"),
        ("1:15m,2:1h,3:24h", "missing 4"),
        ("1=15m,2:1h,3:24h,4:2d", "'1=15m'"),
        ("0:15m,1:15m,2:1h,3:24h,4:2d", "'0:15m'"),
        ("1:15m,2:1h,3:24h,5:2d", "'5:2d'"),
        ("sev1:15m,2:1h,3:24h,4:2d", "'sev1:15m'"),
        ("1:15m,1:1h,3:24h,4:2d,2:1h", "severity 1 twice"),  # was: the last one silently won
    ],
)
def test_parse_severity_map_bad(value: str, fragment: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_severity_map(value, "SLA_RESPONSE")
    message = str(caught.value)
    assert fragment in message
    assert SEVERITY_FORM in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1:redirect_phone,2:web_request,3:web_request,4:live_chat", DEFAULT_ROUTING[Channel.CHAT]),
        ("1:phone_engineer,2:web_request,3:web_request,4:web_request", DEFAULT_ROUTING[Channel.PHONE]),
        (
            "4:LIVE_CHAT, 3:Live_Chat, 2:redirect_phone, 1:phone_engineer",
            {
                Severity.SEV1: Outcome.PHONE_ENGINEER,
                Severity.SEV2: Outcome.REDIRECT_PHONE,
                Severity.SEV3: Outcome.LIVE_CHAT,
                Severity.SEV4: Outcome.LIVE_CHAT,
            },
        ),
    ],
)
def test_parse_routing_good(value: str, expected: dict[Severity, Outcome]) -> None:
    parsed = parse_routing(value, "ROUTING_CHAT")
    assert parsed == dict(expected)
    assert all(isinstance(o, Outcome) for o in parsed.values())


@pytest.mark.parametrize(
    ("value", "form"),
    [
        ("1:redirect,2:web_request,3:web_request,4:live_chat", ROUTING_FORM),
        ("1:redirect_phone,2:web_request,3:web_request,4:", ROUTING_FORM),
        ("1:redirect_phone,2:email,3:web_request,4:live_chat", ROUTING_FORM),
        ("1:redirect_phone,2:web_request,3:web_request", SEVERITY_FORM),
        ("redirect_phone,web_request,web_request,live_chat", SEVERITY_FORM),
    ],
)
def test_parse_routing_bad(value: str, form: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_routing(value, "ROUTING_CHAT")
    message = str(caught.value)
    assert "ROUTING_CHAT" in message
    assert form in message
    if form == ROUTING_FORM:  # an unknown outcome lists the known ones
        assert all(o.value in message for o in Outcome)


@pytest.mark.parametrize(
    ("value", "countries", "dates"),
    [
        ("", (), frozenset()),
        (" , ", (), frozenset()),
        ("US", ("US",), frozenset()),
        ("us", ("US",), frozenset()),
        ("US,2026-12-24", ("US",), frozenset({date(2026, 12, 24)})),
        (" US , 2026-12-24 ,2026-12-31", ("US",), frozenset({date(2026, 12, 24), date(2026, 12, 31)})),
        ("2026-12-24", (), frozenset({date(2026, 12, 24)})),
        ("US,CA", ("US", "CA"), frozenset()),
    ],
)
def test_parse_holidays_good(value: str, countries: tuple[str, ...], dates: frozenset[date]) -> None:
    assert parse_holidays(value) == HolidayCalendar(countries=countries, dates=dates)


@pytest.mark.parametrize(
    "value", ["XX", "Christmas", "US;CA", "US CA", "2026-2-3", "2026-02-30", "2026-13-01", "12/24/2026"]
)
def test_parse_holidays_bad(value: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_holidays(value)
    assert "YYYY-MM-DD" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "key"),
    [("America/New_York", "America/New_York"), (" Europe/London ", "Europe/London"), ("UTC", "UTC")],
)
def test_parse_zone_good(value: str, key: str) -> None:
    assert parse_zone(value) == ZoneInfo(key)


@pytest.mark.parametrize(
    "value", ["", "Eastern", "Nowhere/Zone", "America", "../etc/passwd", "/etc/localtime", "UTC+5"]
)
def test_parse_zone_bad(value: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_zone(value)
    message = str(caught.value)
    assert "IANA time zone" in message
    assert "America/New_York" in message


# --------------------------------------------------------------------------------------------------------
# The K#: AccountFormat
# --------------------------------------------------------------------------------------------------------

K = AccountFormat()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my account is K123456", "K123456"),
        ("k#123456", "K123456"),
        ("K 123456", "K123456"),
        ("K-123456", "K123456"),
        ("K# 123456", "K123456"),
        ("K #: 123456", "K123456"),
        ("my k: 1234, thanks", "K1234"),
        ("K no. 123456", "K123456"),
        ("K number 123456 please", "K123456"),
        ("(K123456)", "K123456"),
        ("account K1234567890.", "K1234567890"),  # 10 digits: the maximum
        ("K1234 is mine", "K1234"),  # 4 digits: the minimum
        ("first K12 then K5678", "K5678"),  # the first that fits
        # Rejected: too short, too long, or glued to a word or number.
        ("K12", None),
        ("K123", None),
        ("K12345678901", None),  # 11 digits is not a K# with its tail cut off
        ("OK1234567", None),
        ("BACK123456", None),
        ("x5K123456", None),
        ("weekend 12345", None),
        ("call 555-1234", None),
        ("no account number here", None),
        ("", None),
        # Other scripts' digits are read but the K# is always ASCII (was: returned K + those characters).
        ("K\u0661\u0662\u0663\u0664\u0665\u0666", "K123456"),  # Arabic-Indic
        ("k#\uff11\uff12\uff13\uff14", "K1234"),  # full-width
    ],
)
def test_account_find(text: str, expected: str | None) -> None:
    assert K.find(text) == expected


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("123456", "K123456"),
        ("123456#", "K123456"),
        ("*123456#", "K123456"),
        (" 1234 ", "K1234"),
        ("1234567890", "K1234567890"),
        ("\u0661\u0662\u0663\u0664", "K1234"),
        ("123", None),
        ("12345678901", None),
        ("12 3456", None),
        ("12-3456", None),
        ("K123456", None),
        ("", None),
        ("#", None),
    ],
)
def test_account_from_digits(digits: str, expected: str | None) -> None:
    assert K.from_digits(digits) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("K123456", "K123456"),
        ("k123456", "K123456"),
        (" k#123456 ", "K123456"),
        ("K-123456", "K123456"),
        ("K:123456", "K123456"),
        ("K 123456", "K123456"),
        ("K1234", "K1234"),
        ("K\uff11\uff12\uff13\uff14", "K1234"),
        ("K123", None),
        ("K12345678901", None),
        ("123456", None),
        ("OK123456", None),
        ("my account is K123456", None),  # a whole value, not free text
        ("K123456 K654321", None),
        ("K123456x", None),
        ("", None),
    ],
)
def test_account_normalise(value: str, expected: str | None) -> None:
    assert K.normalise(value) == expected


@pytest.mark.parametrize(
    ("value", "matches"),
    [
        ("K123456", True),
        ("K1234", True),
        ("K1234567890", True),
        ("K123", False),
        ("k123456", False),
        ("K12345678901", False),
        ("K\u0661\u0662\u0663\u0664", False),
    ],
)
def test_account_canonical_pattern(value: str, matches: bool) -> None:
    assert (K.pattern.fullmatch(value) is not None) is matches


ACC = AccountFormat(prefix="acc", min_digits=6, max_digits=8)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: ACC.find("my ACC#12345678"), "ACC12345678"),
        (lambda: ACC.find("acc 123456 please"), "ACC123456"),
        (lambda: ACC.find("Acc-1234567"), "ACC1234567"),
        (lambda: ACC.find("ACC12345"), None),  # 5 digits < 6
        (lambda: ACC.find("ACC123456789"), None),  # 9 digits > 8
        (lambda: ACC.find("K123456"), None),  # the default prefix no longer applies
        (lambda: ACC.find("TACC123456"), None),
        (lambda: ACC.from_digits("1234567"), "ACC1234567"),
        (lambda: ACC.from_digits("12345"), None),
        (lambda: ACC.normalise("acc-123456"), "ACC123456"),
        (lambda: ACC.normalise("K123456"), None),
        (lambda: ACC.example, "ACC123456"),
        (lambda: AccountFormat("K", 6, 6).find("K1234567"), None),
        (lambda: AccountFormat("K", 6, 6).find("K123456"), "K123456"),
        (lambda: AccountFormat("K", 8, 10).example, "K12345600"),
        (lambda: AccountFormat("K", 2, 3).example, "K123"),
        (lambda: K.example, "K123456"),
    ],
)
def test_account_custom_format(call: Callable[[], str | None], expected: str | None) -> None:
    assert call() == expected


@pytest.mark.parametrize(
    ("prefix", "low", "high"),
    [("", 4, 10), ("K1", 4, 10), ("ABCD", 4, 10), ("K#", 4, 10), ("K", 0, 4), ("K", 5, 4), ("K", 1, 21)],
)
def test_account_format_rejects(prefix: str, low: int, high: int) -> None:
    with pytest.raises(PolicyError):
        AccountFormat(prefix, low, high)


# --------------------------------------------------------------------------------------------------------
# SLA due times
# --------------------------------------------------------------------------------------------------------

CREATED = z("2026-07-15T14:00:00Z")  # Wednesday 10:00 EDT


@pytest.mark.parametrize(
    ("severity", "response", "fix"),
    [
        (Severity.SEV1, "2026-07-15T14:15:00+00:00", "2026-07-15T22:00:00+00:00"),  # 15m / 8h
        (Severity.SEV2, "2026-07-15T15:00:00+00:00", "2026-07-16T14:00:00+00:00"),  # 1h / 24h
        (Severity.SEV3, "2026-07-16T14:00:00+00:00", "2026-07-20T14:00:00+00:00"),  # 24h / 120h
        (Severity.SEV4, "2026-07-17T14:00:00+00:00", None),  # 2 days / none
    ],
)
def test_due_calendar_defaults(severity: Severity, response: str, fix: str | None) -> None:
    response_due, fix_due = Policy().due(severity, CREATED)
    assert response_due.isoformat() == response  # returned in UTC
    assert (fix_due.isoformat() if fix_due is not None else None) == fix
    # The same instant given with another offset gives the same due times.
    assert Policy().due(severity, CREATED.astimezone(ET)) == (response_due, fix_due)


@pytest.mark.parametrize(
    ("severity", "created", "response", "fix"),
    [
        # Fall back: 01:30 EDT (05:30Z) + 24 real hours = 05:30Z = 00:30 EST, not 01:30 EST.
        (
            Severity.SEV3,
            "2026-11-01T01:30:00-04:00",
            "2026-11-02T05:30:00+00:00",
            "2026-11-06T05:30:00+00:00",
        ),
        # The second 01:30 (EST, 06:30Z) is a different instant an hour later.
        (
            Severity.SEV3,
            "2026-11-01T01:30:00-05:00",
            "2026-11-02T06:30:00+00:00",
            "2026-11-06T06:30:00+00:00",
        ),
        # Spring forward: Sat 12:00 EST (17:00Z) + 24h = Sun 17:00Z = 13:00 EDT, not 12:00 EDT.
        (
            Severity.SEV2,
            "2026-03-07T12:00:00-05:00",
            "2026-03-07T18:00:00+00:00",
            "2026-03-08T17:00:00+00:00",
        ),
        (
            Severity.SEV1,
            "2026-03-08T01:50:00-05:00",
            "2026-03-08T07:05:00+00:00",
            "2026-03-08T14:50:00+00:00",
        ),
        (Severity.SEV4, "2026-10-31T12:00:00-04:00", "2026-11-02T16:00:00+00:00", None),
    ],
)
def test_due_calendar_is_real_elapsed_time_across_dst(
    severity: Severity, created: str, response: str, fix: str | None
) -> None:
    response_due, fix_due = Policy().due(severity, z(created))
    assert response_due.isoformat() == response
    assert (fix_due.isoformat() if fix_due is not None else None) == fix
    assert response_due - z(created) == DEFAULT_SLA[severity].response


def test_due_calendar_24h_across_fall_back_is_24_real_hours_from_zoneinfo_input() -> None:
    created = datetime(2026, 11, 1, 1, 30, tzinfo=ET)  # fold=0: the first 01:30, EDT
    response_due, _ = Policy().due(Severity.SEV3, created)
    assert response_due == z("2026-11-02T05:30:00Z")
    assert response_due.astimezone(ET).replace(tzinfo=None) == datetime(2026, 11, 2, 0, 30)


def business(
    severity: Severity,
    response: timedelta,
    fix: timedelta | None,
    *,
    chat: WeeklySchedule = CHAT,
    hours: WeeklySchedule | None = None,
) -> Policy:
    """A policy whose `severity` runs on the business clock (the chat hours unless `hours` is given)."""
    sla = {**DEFAULT_SLA, severity: SlaTarget(response, fix, SlaClock.BUSINESS)}
    return Policy(sla=sla, chat=chat, business=hours)


H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("created", "response", "fix"),
    [
        # Fri 07-17 16:00 EDT, 24 business hours (days are 08:00-17:00 = 9h):
        #   Fri 16-17 = 1h (23 left), Mon 07-20 = 9h (14), Tue 07-21 = 9h (5),
        #   Wed 07-22 08:00 + 5h = 13:00 EDT = 17:00Z.
        # 120 business hours: 1h Friday (119 left) = 13 full days (117h) + 2h:
        #   Mon 07-20..Fri 07-24 (5), Mon 07-27..Fri 07-31 (10), Mon 08-03..Wed 08-05 (13),
        #   Thu 08-06 08:00 + 2h = 10:00 EDT = 14:00Z.
        (et(2026, 7, 17, 16), "2026-07-22T17:00:00+00:00", "2026-08-06T14:00:00+00:00"),
        # Created Saturday: counting starts Mon 08:00. 24h = Mon 9 + Tue 9 + Wed 6 -> Wed 14:00 EDT = 18:00Z.
        # 120h = 13 full days (117h, through Wed 08-05) + 3h -> Thu 08-06 11:00 EDT = 15:00Z.
        (et(2026, 7, 18, 10), "2026-07-22T18:00:00+00:00", "2026-08-06T15:00:00+00:00"),
        # Created Friday 17:00 exactly (closed): same as Saturday.
        (et(2026, 7, 17, 17), "2026-07-22T18:00:00+00:00", "2026-08-06T15:00:00+00:00"),
        # Created Friday 16:59:59 EDT: 1s Friday, then 23:59:59 -> Wed 07-22 13:59:59 EDT = 17:59:59Z.
        (et(2026, 7, 17, 16, 59, 59), "2026-07-22T17:59:59+00:00", "2026-08-06T14:59:59+00:00"),
        # Across the end of DST: Fri 10-30 16:00 EDT: 1h Fri, Mon 11-02 9h, Tue 11-03 9h,
        #   Wed 11-04 08:00 EST + 5h = 13:00 EST = 18:00Z (a UTC-4 reading would give 17:00Z).
        # 120h: 1h Fri + 13 full days (Mon 11-02..Wed 11-18) + 2h -> Thu 11-19 10:00 EST = 15:00Z.
        (et(2026, 10, 30, 16), "2026-11-04T18:00:00+00:00", "2026-11-19T15:00:00+00:00"),
        # Across the start of DST: Fri 03-06 16:00 EST: 1h Fri, Mon 03-09 9h, Tue 03-10 9h,
        #   Wed 03-11 08:00 EDT + 5h = 13:00 EDT = 17:00Z.
        # 120h: 1h + 13 full days (Mon 03-09..Wed 03-25) + 2h -> Thu 03-26 10:00 EDT = 14:00Z.
        (et(2026, 3, 6, 16), "2026-03-11T17:00:00+00:00", "2026-03-26T14:00:00+00:00"),
    ],
)
def test_due_business_clock(created: datetime, response: str, fix: str) -> None:
    policy = business(Severity.SEV3, 24 * H, 120 * H)
    response_due, fix_due = policy.due(Severity.SEV3, created)
    assert response_due.isoformat() == response
    assert fix_due is not None
    assert fix_due.isoformat() == fix
    # Other severities keep the calendar clock.
    assert policy.due(Severity.SEV2, created) == Policy().due(Severity.SEV2, created)


@pytest.mark.parametrize(
    ("holidays", "created", "response"),
    [
        # Wed 11-25 16:00 EST: 1h Wed (23 left), Thu 11-26 Thanksgiving skipped, Fri 11-27 9h (14),
        #   Mon 11-30 9h (5), Tue 12-01 08:00 + 5h = 13:00 EST = 18:00Z.
        ("US", et(2026, 11, 25, 16), "2026-12-01T18:00:00+00:00"),
        # Without holidays Thursday counts: 1h + Thu 9h + Fri 9h (19) + Mon 5h -> Mon 11-30 13:00 EST.
        ("", et(2026, 11, 25, 16), "2026-11-30T18:00:00+00:00"),
        # Wed 12-23 16:00 EST with Dec 24 added: 1h Wed, Thu 24 and Fri 25 closed, Mon 12-28 9h (14),
        #   Tue 12-29 9h (5), Wed 12-30 13:00 EST = 18:00Z.
        ("US,2026-12-24", et(2026, 12, 23, 16), "2026-12-30T18:00:00+00:00"),
        # Created on Christmas: counting starts Mon 12-28 08:00; 24h -> Wed 12-30 14:00 EST = 19:00Z.
        ("US", et(2026, 12, 25, 10), "2026-12-30T19:00:00+00:00"),
    ],
)
def test_due_business_clock_skips_holidays(holidays: str, created: datetime, response: str) -> None:
    policy = business(Severity.SEV3, 24 * H, None, chat=default_chat_schedule(parse_holidays(holidays)))
    response_due, fix_due = policy.due(Severity.SEV3, created)
    assert response_due.isoformat() == response
    assert fix_due is None


@pytest.mark.parametrize(
    ("created", "amount", "expected"),
    [
        # Exactly one business day from the opening ends at that day's close, not the next morning.
        (et(2026, 7, 20, 8), 9 * H, et(2026, 7, 20, 17)),
        (et(2026, 7, 20, 8), 9 * H + timedelta(seconds=1), et(2026, 7, 21, 8, 0, 1)),
        (et(2026, 7, 20, 16, 45), timedelta(minutes=15), et(2026, 7, 20, 17)),
        (et(2026, 7, 20, 16, 45), timedelta(minutes=30), et(2026, 7, 21, 8, 15)),
        (et(2026, 7, 20, 7, 59, 59), timedelta(minutes=15), et(2026, 7, 20, 8, 15)),
        (et(2026, 7, 20, 10), timedelta(0), et(2026, 7, 20, 10)),
        (et(2026, 7, 18, 10), timedelta(0), et(2026, 7, 20, 8)),  # closed: the clock starts at the opening
        (et(2026, 7, 17, 16), 2 * 9 * H, et(2026, 7, 21, 16)),  # Fri 1h + Mon 9h + Tue 8h
    ],
)
def test_add_business_time(created: datetime, amount: timedelta, expected: datetime) -> None:
    assert CHAT.add_business_time(created, amount) == expected


def test_due_business_clock_uses_configured_business_hours() -> None:
    # Business hours Mon-Fri 09:00-12:00 ET, independent of the chat hours (08:00-17:00).
    hours = WeeklySchedule(ET, WEEKDAYS, time(9), time(12))
    policy = business(Severity.SEV2, 4 * H, 6 * H, hours=hours)
    assert policy.business_hours is hours
    # Mon 07-20 09:00 EDT: 3h Monday, then Tue 09:00 + 1h = 10:00 EDT (14:00Z); fix: 3h + 3h = Tue 12:00.
    response_due, fix_due = policy.due(Severity.SEV2, et(2026, 7, 20, 9))
    assert response_due == z("2026-07-21T14:00:00Z")
    assert fix_due == z("2026-07-21T16:00:00Z")
    default = Policy()
    assert default.business_hours is default.chat


def test_due_business_sev4_has_no_fix_target() -> None:
    policy = business(Severity.SEV4, 2 * 9 * H, None)
    # Fri 07-17 16:00: 1h Fri + 9h Mon + 8h Tue -> Tue 07-21 16:00 EDT = 20:00Z.
    assert policy.due(Severity.SEV4, et(2026, 7, 17, 16)) == (z("2026-07-21T20:00:00Z"), None)


def test_due_returns_utc() -> None:
    for severity in Severity:
        for policy in (Policy(), business(severity, H, H)):
            response_due, fix_due = policy.due(severity, et(2026, 7, 15, 10))
            assert response_due.utcoffset() == timedelta(0)
            assert fix_due is None or fix_due.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "sla",
    [
        {Severity.SEV1: DEFAULT_SLA[Severity.SEV1]},
        {s: t for s, t in DEFAULT_SLA.items() if s is not Severity.SEV4},
    ],
)
def test_policy_requires_sla_for_every_severity(sla: dict[Severity, SlaTarget]) -> None:
    with pytest.raises(PolicyError, match="SLA targets must cover severities 1 to 4"):
        Policy(sla=sla)


def test_find_span_locates_the_k_number_for_cutting_out() -> None:
    fmt = AccountFormat()
    assert fmt.find_span("hi K#123456 the viewer is down") == ("K123456", 3, 11)
    # Non-ASCII digits are canonicalised, and the span still covers exactly what the customer typed.
    text = "hi K\u0661\u0662\u0663\u0664\u0665\u0666 down"
    k_number, start, end = fmt.find_span(text) or ("", 0, 0)
    assert k_number == "K123456" and text[:start] + text[end:] == "hi  down"
    assert fmt.find_span("no account here") is None
