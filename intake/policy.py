"""The support policy as immutable data: SLA targets, channel schedules, holidays, K# format, routing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from intake.domain import Channel, IntakeError, Outcome, Severity, require_aware
from intake.limits import TextLimits


class PolicyError(IntakeError, ValueError):
    """A policy value cannot be understood; the message says the accepted form."""


class Clock(StrEnum):
    """How an SLA target is counted."""

    CALENDAR = "calendar"  # real elapsed time: the service runs 24x7
    BUSINESS = "business"  # only the business-hours schedule counts


DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UTC = ZoneInfo("UTC")

SEVERITY_DEFINITIONS: Mapping[Severity, str] = MappingProxyType(
    {
        Severity.SEV1: "The service is not delivered, and requires an immediate solution. "
        "Incident widely impacts customer operations.",
        Severity.SEV2: "The service is delivered with limited functions or severe degradation.",
        Severity.SEV3: "The service is delivered with limited function or constraints which are not "
        "critical to the overall working of the system.",
        Severity.SEV4: "Question related to the use of the service or operation, or requests for "
        "changes in the services.",
    }
)


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


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(m|min|h|hr|hrs|d|day|days)")


def parse_duration(value: str) -> timedelta | None:
    """`15m`, `1h`, `24h`, `2d`, `none` -> timedelta or None."""
    text = value.strip().lower()
    if text in {"none", "n/a", "-", ""}:
        return None
    match = _DURATION.fullmatch(text)
    if not match:
        raise PolicyError(f"{value!r} is not a duration (e.g. 15m, 1h, 24h, 2d, none)")
    amount = float(match.group(1))
    unit = match.group(2)[0]
    try:
        return timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})
    except OverflowError as exc:  # e.g. 99999999999d: beyond timedelta's range
        raise PolicyError(f"{value!r} is too long a duration (e.g. 15m, 1h, 24h, 2d, none)") from exc


def parse_severity_map(value: str, what: str) -> dict[Severity, str]:
    """`1:15m,2:1h,3:24h,4:2d` -> {Severity: '15m', ...}; all four severities required."""
    form = "the form '1:<value>,2:<value>,3:<value>,4:<value>'"
    result: dict[Severity, str] = {}
    for raw in value.split(","):
        item = raw.strip()
        if not item:
            continue
        key, sep, val = item.partition(":")
        if not sep or key.strip() not in {"1", "2", "3", "4"}:
            raise PolicyError(f"{item!r} in {what}: use {form}")
        severity = Severity(int(key))
        if severity in result:  # a silent last-one-wins would hide a typo in another severity
            raise PolicyError(f"{what} gives severity {int(severity)} twice; use {form}")
        result[severity] = val.strip()
    missing = [str(int(s)) for s in Severity if s not in result]
    if missing:
        raise PolicyError(f"{what} must give all four severities; missing {', '.join(missing)}; use {form}")
    return result


@dataclass(frozen=True)
class SlaTarget:
    """Response and fix targets of one severity, and the clock they run on."""

    response: timedelta
    fix: timedelta | None
    clock: Clock = Clock.CALENDAR


@dataclass(frozen=True)
class AccountFormat:
    """The K#: a prefix letter(s) followed by a bounded number of digits."""

    prefix: str = "K"
    min_digits: int = 4
    max_digits: int = 10

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z]{1,3}", self.prefix):
            raise PolicyError(f"account prefix {self.prefix!r} must be 1 to 3 letters")
        if not 1 <= self.min_digits <= self.max_digits <= 20:
            raise PolicyError("account digits must satisfy 1 <= min <= max <= 20")

    @property
    def pattern(self) -> re.Pattern[str]:
        """Canonical form, e.g. K[0-9]{4,10} (ASCII digits only)."""
        return re.compile(rf"{re.escape(self.prefix.upper())}[0-9]{{{self.min_digits},{self.max_digits}}}")

    def _canonical(self, digits: str) -> str:
        # `\d` also matches other scripts' digits (Arabic-Indic, full-width, ...): the K# stored and
        # compared is always ASCII, so K followed by Arabic-Indic or full-width 123456 becomes K123456.
        return self.prefix.upper() + "".join(str(unicodedata.decimal(c)) for c in digits)

    @property
    def example(self) -> str:
        return self.prefix.upper() + "123456"[: self.max_digits].ljust(self.min_digits, "0")

    def find(self, text: str) -> str | None:
        """Find a K# anywhere in free text: `K123456`, `k#123456`, `K 123456`, `K-123456`."""
        span = self.find_span(text)
        return span[0] if span else None

    def find_span(self, text: str) -> tuple[str, int, int] | None:
        """The canonical K# found in free text, with where it stands (start, end) so it can be cut out."""
        prefix = re.escape(self.prefix)
        match = re.search(
            # Possessive `\s*+`: plain `\s*`s side by side split a run of spaces every way (cubic time).
            rf"(?<![A-Za-z0-9]){prefix}\s*+(?:#|no\.?|number)?\s*+[-:]?\s*+(\d{{{self.min_digits},{self.max_digits}}})(?!\d)",
            text,
            re.IGNORECASE,
        )
        return (self._canonical(match.group(1)), match.start(), match.end()) if match else None

    def from_digits(self, digits: str) -> str | None:
        """Keypad entry (the prefix implied) -> canonical K#, or None if the length is wrong."""
        clean = re.sub(r"\D", "", digits)
        if self.min_digits <= len(clean) <= self.max_digits and clean == digits.strip().strip("#*"):
            return self._canonical(clean)
        return None

    def normalise(self, value: str) -> str | None:
        """A whole value (CSV cell, API field) -> canonical K#, or None if it is not exactly one."""
        prefix = re.escape(self.prefix)
        match = re.fullmatch(
            rf"{prefix}\s*+#?\s*+[-:]?\s*+(\d{{{self.min_digits},{self.max_digits}}})",
            value.strip(),
            re.IGNORECASE,
        )
        return self._canonical(match.group(1)) if match else None


ROUTING_FORM = "'1:redirect_phone,2:web_request,3:web_request,4:live_chat' (severity:outcome for all four)"


def parse_routing(value: str, what: str) -> dict[Severity, Outcome]:
    raw = parse_severity_map(value, what)
    result: dict[Severity, Outcome] = {}
    for sev, name in raw.items():
        try:
            result[sev] = Outcome(name.lower())
        except ValueError as exc:
            names = ", ".join(o.value for o in Outcome)
            raise PolicyError(f"{what}: {name!r} is not an outcome ({names}); use {ROUTING_FORM}") from exc
    return result


DEFAULT_ROUTING: Mapping[Channel, Mapping[Severity, Outcome]] = MappingProxyType(
    {
        Channel.CHAT: MappingProxyType(
            {
                Severity.SEV1: Outcome.REDIRECT_PHONE,
                Severity.SEV2: Outcome.WEB_REQUEST,
                Severity.SEV3: Outcome.WEB_REQUEST,
                Severity.SEV4: Outcome.LIVE_CHAT,
            }
        ),
        Channel.PHONE: MappingProxyType(
            {
                Severity.SEV1: Outcome.PHONE_ENGINEER,
                Severity.SEV2: Outcome.WEB_REQUEST,
                Severity.SEV3: Outcome.WEB_REQUEST,
                Severity.SEV4: Outcome.WEB_REQUEST,
            }
        ),
    }
)

DEFAULT_SLA: Mapping[Severity, SlaTarget] = MappingProxyType(
    {
        Severity.SEV1: SlaTarget(timedelta(minutes=15), timedelta(hours=8)),
        Severity.SEV2: SlaTarget(timedelta(hours=1), timedelta(hours=24)),
        Severity.SEV3: SlaTarget(timedelta(hours=24), timedelta(hours=120)),
        Severity.SEV4: SlaTarget(timedelta(days=2), None),
    }
)

EASTERN = ZoneInfo("America/New_York")


def default_chat_schedule(holidays: HolidayCalendar | None = None) -> WeeklySchedule:
    return WeeklySchedule(
        tz=EASTERN,
        days=frozenset(range(5)),
        opens=time(8, 0),
        closes=time(17, 0),
        holidays=holidays or HolidayCalendar(),
    )


@dataclass(frozen=True)
class Policy:
    """Everything the bot enforces, validated and immutable."""

    company_name: str = "Vue Cloud Support"
    support_phone: str = "+18005550100"
    web_url: str = "http://localhost:3978/"
    sla: Mapping[Severity, SlaTarget] = field(default_factory=lambda: DEFAULT_SLA)
    chat: WeeklySchedule = field(default_factory=default_chat_schedule)
    # Business hours for SLAs counted on the business clock; the chat schedule unless configured.
    business: WeeklySchedule | None = None
    account: AccountFormat = field(default_factory=AccountFormat)
    routing: Mapping[Channel, Mapping[Severity, Outcome]] = field(default_factory=lambda: DEFAULT_ROUTING)
    definitions: Mapping[Severity, str] = field(default_factory=lambda: SEVERITY_DEFINITIONS)
    text: TextLimits = field(default_factory=TextLimits)  # how much of the customer's text is read and kept

    def __post_init__(self) -> None:
        for channel in Channel:
            if set(self.routing.get(channel, {})) != set(Severity):
                raise PolicyError(f"routing for {channel.value} must cover severities 1 to 4")
        if set(self.sla) != set(Severity):
            raise PolicyError("SLA targets must cover severities 1 to 4")

    @property
    def business_hours(self) -> WeeklySchedule:
        return self.business or self.chat

    def due(self, severity: Severity, created: datetime) -> tuple[datetime, datetime | None]:
        """Response and fix due instants for a case created at `created` (tz-aware, returned in UTC)."""
        require_aware(created, "created")
        target = self.sla[severity]
        utc = ZoneInfo("UTC")

        def add(amount: timedelta) -> datetime:
            if target.clock is Clock.BUSINESS:
                return self.business_hours.add_business_time(created, amount).astimezone(utc)
            # Calendar time is elapsed time: add on UTC so a DST change never stretches a target.
            return created.astimezone(utc) + amount

        return add(target.response), (add(target.fix) if target.fix is not None else None)
