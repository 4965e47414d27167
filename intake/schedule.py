"""Opening hours as immutable data: weekly windows in a zone, holidays, business-time arithmetic, clock words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from intake.domain import PolicyError, require_aware

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class HolidayCalendar:
    """Closed days: whole country calendars from the `holidays` package plus explicit dates."""

    countries: tuple[str, ...] = ()
    dates: frozenset[date] = frozenset()

    def is_holiday(self, day: date) -> bool:
        if day in self.dates:
            return True
        return any(day in _country_calendar(code, day.year) for code in self.countries)

    def name(self, day: date) -> str | None:
        """The holiday's name, for telling customers why chat is closed."""
        if day in self.dates:
            return "holiday"
        for code in self.countries:
            found = _country_calendar(code, day.year).get(day)
            if found:
                return str(found)
        return None


@cache
def _country_calendar(code: str, year: int) -> holidays_lib.HolidayBase:
    # One calendar object per (country, year): building one is far slower than a lookup.
    return holidays_lib.country_holidays(code, years=year)


def parse_holidays(value: str) -> HolidayCalendar:
    """`US,2026-12-24` -> calendar. Empty -> no holidays."""
    countries: list[str] = []
    dates: set[date] = set()
    for raw in value.split(","):
        item = raw.strip()
        if not item:
            continue
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", item):
            try:
                dates.add(date.fromisoformat(item))
            except ValueError as exc:
                raise PolicyError(f"{item!r} is not a valid date (use YYYY-MM-DD)") from exc
            continue
        code = item.upper()
        if code not in holidays_lib.list_supported_countries():
            raise PolicyError(
                f"{item!r} is neither an ISO date (YYYY-MM-DD) nor a country code known to the "
                "`holidays` package (e.g. US, CA, GB)"
            )
        countries.append(code)
    return HolidayCalendar(countries=tuple(countries), dates=frozenset(dates))


@dataclass(frozen=True)
class WeeklySchedule:
    """Opening hours: the same local window on a set of weekdays, minus holidays."""

    tz: ZoneInfo
    days: frozenset[int]  # 0 = Monday
    opens: time
    closes: time
    holidays: HolidayCalendar = field(default_factory=HolidayCalendar)

    def __post_init__(self) -> None:
        if not self.days:
            raise PolicyError("a schedule needs at least one open day")
        if self.opens >= self.closes:
            raise PolicyError("a schedule must open before it closes on the same day")

    def _open_on(self, day: date) -> bool:
        return day.weekday() in self.days and not self.holidays.is_holiday(day)

    def is_open(self, at: datetime) -> bool:
        """Open means opens <= local time < closes on an open, non-holiday day."""
        local = require_aware(at).astimezone(self.tz)
        return self._open_on(local.date()) and self.opens <= local.time() < self.closes

    def _instants(self, day: date, wall: time) -> list[datetime]:
        # The real instants (UTC) a local wall time names on `day`: two in a DST fall-back hour, one
        # otherwise; a wall time skipped by spring-forward yields both readings, filtered by the callers.
        local = datetime.combine(day, wall, self.tz)
        return sorted({local.replace(fold=fold).astimezone(_UTC) for fold in (0, 1)})

    def next_open(self, at: datetime) -> datetime:
        """The next opening instant strictly after `at` (in the schedule's zone)."""
        instant = require_aware(at).astimezone(_UTC)
        day = instant.astimezone(self.tz).date()
        for _ in range(3 * 366):  # a year of holidays on every open day would be a configuration error
            if self._open_on(day):
                # Compare real instants: aware datetimes sharing a tzinfo compare by wall clock, which is
                # wrong in the repeated hour of a DST change; is_open drops readings that are not open.
                for start in self._instants(day, self.opens):
                    if start > instant and self.is_open(start):
                        return start.astimezone(self.tz)
            day += timedelta(days=1)
        raise PolicyError("the schedule never opens within three years")

    def window_end(self, at: datetime) -> datetime:
        """When the window containing `at` closes (only meaningful while open)."""
        instant = require_aware(at).astimezone(_UTC)
        ends = self._instants(instant.astimezone(self.tz).date(), self.closes)
        return next((end for end in ends if end > instant), ends[0]).astimezone(self.tz)

    def add_business_time(self, start: datetime, amount: timedelta) -> datetime:
        """`start` plus `amount` of open time, skipping closed hours, weekends and holidays."""
        remaining = amount
        cursor = require_aware(start).astimezone(self.tz)
        if not self.is_open(cursor):
            cursor = self.next_open(cursor)
        while True:
            # Arithmetic on UTC instants: wall-clock arithmetic would be off across DST changes.
            end = self.window_end(cursor)
            available = end.astimezone(_UTC) - cursor.astimezone(_UTC)
            if remaining <= available:
                return (cursor.astimezone(_UTC) + remaining).astimezone(self.tz)
            remaining -= available
            cursor = self.next_open(end)

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The open time between `start` and `end` (zero if `end` is not after `start`): the inverse of
        add_business_time, so `add_business_time(start, business_time_between(start, end))` is `end` when
        `end` is open."""
        stop = require_aware(end).astimezone(_UTC)
        cursor = require_aware(start).astimezone(self.tz)
        total = timedelta(0)
        if not self.is_open(cursor):
            cursor = self.next_open(cursor)
        while cursor.astimezone(_UTC) < stop:
            window_end = self.window_end(cursor).astimezone(_UTC)
            total += min(window_end, stop) - cursor.astimezone(_UTC)
            cursor = self.next_open(window_end)
        return total

    def describe(self) -> str:
        """`Monday-Friday 8:00 AM-5:00 PM Eastern`-style summary for customers."""
        names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        ordered = sorted(self.days)
        if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 1:
            days = f"{names[ordered[0]]}-{names[ordered[-1]]}"
        else:
            days = ", ".join(names[d] for d in ordered)
        return f"{days} {format_clock(self.opens)}-{format_clock(self.closes)} {zone_label(self.tz)}"


def format_clock(t: time) -> str:
    """8:00 AM style."""
    hour = t.hour % 12 or 12
    return f"{hour}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


_ZONE_LABELS = {
    "America/New_York": "Eastern",
    "America/Chicago": "Central",
    "America/Denver": "Mountain",
    "America/Phoenix": "Mountain",
    "America/Los_Angeles": "Pacific",
}


def zone_label(tz: ZoneInfo) -> str:
    return _ZONE_LABELS.get(tz.key, tz.key)


def parse_zone(value: str) -> ZoneInfo:
    """An IANA region zone; fixed-offset abbreviations like EST are refused (they ignore DST)."""
    name = value.strip()
    if "/" not in name and name.upper() not in {"UTC", "ETC/UTC"}:
        # "EST" in the brochure means US Eastern local time; the EST zone would be an hour off all summer.
        raise PolicyError(
            f"{value!r} is not an IANA time zone of a region (e.g. America/New_York; EST would ignore DST)"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyError(f"{value!r} is not an IANA time zone (e.g. America/New_York)") from exc


def parse_hours(value: str) -> tuple[frozenset[int], time, time]:
    """`Mon-Fri 08:00-17:00` (also `Mon,Wed,Fri 9:00-12:30`) -> (days, opens, closes)."""
    match = re.fullmatch(
        r"\s*([A-Za-z]{3}(?:\s*[-,]\s*[A-Za-z]{3})*)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value
    )
    form = "the form 'Mon-Fri 08:00-17:00' (days Mon..Sun as a range or list, 24-hour times)"
    if not match:
        raise PolicyError(f"{value!r} is not of {form}")
    days: set[int] = set()
    for part in re.split(r"\s*,\s*", match.group(1)):
        ends = [p.strip().lower() for p in part.split("-")]
        if any(e not in DAY_NAMES for e in ends):
            raise PolicyError(f"{value!r}: unknown day in {part!r}; use {form}")
        if len(ends) > 2:  # 'Mon-Wed-Fri' is neither a range nor a list
            raise PolicyError(f"{value!r}: {part!r} is not a day range; use {form}")
        first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        if last < first:
            raise PolicyError(f"{value!r}: day range {part!r} runs backwards; use {form}")
        days.update(range(first, last + 1))
    h1, m1, h2, m2 = (int(match.group(i)) for i in range(2, 6))
    if (h2, m2) == (24, 0):
        # A WeeklySchedule window lies within one day; 24:00 would be 00:00, before any opening time.
        raise PolicyError(f"{value!r}: 24:00 is not a closing time (23:59 at the latest); use {form}")
    try:
        opens = time(h1, m1)
        closes = time(h2, m2)
    except ValueError as exc:
        raise PolicyError(f"{value!r}: invalid time; use {form}") from exc
    if closes <= opens:
        raise PolicyError(f"{value!r}: opening time must be before closing time; use {form}")
    return frozenset(days), opens, closes


EASTERN = ZoneInfo("America/New_York")


def default_chat_schedule(holidays: HolidayCalendar | None = None) -> WeeklySchedule:
    return WeeklySchedule(
        tz=EASTERN,
        days=frozenset(range(5)),
        opens=time(8, 0),
        closes=time(17, 0),
        holidays=holidays or HolidayCalendar(),
    )
