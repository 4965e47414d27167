"""Numbers and times in the customer's terms: digits spelt for speech, phone numbers, due times, moments.

A due time or a moment is one whole phrase per kind of day (today, tomorrow, a weekday, a date), looked up in
the customer's locale (intake/catalog.py); the names of days and months are Babel's for the locale the phrase
is said in, so a phrase left in English names its day in English.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal

from intake.catalog import N_, lookup
from intake.schedule import format_clock, zone_label

# Translators: {time} is a time of day with its zone ("10:15 AM Eastern"); {weekday} and {month} are the
# names of the locale ("Monday", "Dec"); {day} the day of the month, {year} the year.
DUE_YESTERDAY = N_("by {time} yesterday")
DUE_TODAY = N_("by {time} today")
DUE_TOMORROW = N_("by {time} tomorrow")
DUE_WEEKDAY = N_("by {time} on {weekday}")
DUE_DATE = N_("by {time} on {month} {day}")
DUE_DATE_YEAR = N_("by {time} on {month} {day}, {year}")

AT_YESTERDAY = N_("yesterday at {time}")
AT_TODAY = N_("today at {time}")
AT_TOMORROW = N_("tomorrow at {time}")
AT_WEEKDAY = N_("{weekday} at {time}")
AT_DATE = N_("{month} {day} at {time}")
AT_DATE_YEAR = N_("{month} {day}, {year} at {time}")

_DUE = (DUE_YESTERDAY, DUE_TODAY, DUE_TOMORROW, DUE_WEEKDAY, DUE_DATE, DUE_DATE_YEAR)
_AT = (AT_YESTERDAY, AT_TODAY, AT_TOMORROW, AT_WEEKDAY, AT_DATE, AT_DATE_YEAR)


def spell(value: str) -> str:
    """`2611-0042` -> `2 6 1 1, 0 0 4 2`: digit by digit, groups separated by a pause."""
    groups = [g for g in re.split(r"[^0-9A-Za-z]+", value) if g]
    return ", ".join(" ".join(group) for group in groups)


def phone_text(number: str) -> str:
    """`+18005550100` -> `1-800-555-0100`; other forms are shown as configured."""
    match = re.fullmatch(r"\+?1?(\d{3})(\d{3})(\d{4})", re.sub(r"[\s().-]", "", number))
    return f"1-{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else number


def count(n: int, locale: str) -> str:
    """`12,000`: a number with the grouping of `locale` (the locale a sentence is said in)."""
    return format_decimal(n, locale=locale)


def _kind_of_day(local: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Which phrase: yesterday, today, tomorrow, a weekday (within 6 days), a date, a date of another year."""
    today = now.astimezone(tz).date()
    delta = (local.date() - today).days
    if -1 <= delta <= 1:
        return delta + 1
    if abs(delta) <= 6:
        return 3
    return 4 if local.year == today.year else 5


def _when(phrases: Sequence[str], at: datetime, now: datetime, tz: ZoneInfo, locale: str | None) -> str:
    local = at.astimezone(tz)
    said = lookup(phrases[_kind_of_day(local, now, tz)], locale)
    weekday, month = _day_names(local.date(), said.locale)
    return said.text.format(
        time=f"{format_clock(local.time())} {zone_label(tz)}",
        weekday=weekday,
        month=month,
        day=local.day,
        year=local.year,
    )


# A turn says a few due times and moments, nearly all on the same few days; Babel takes about 5 us a name.
@lru_cache(maxsize=512)
def _day_names(day: date, locale: str) -> tuple[str, str]:
    """The weekday's and the month's names of `day` in `locale` (a catalog's locale: a short, known list)."""
    return format_date(day, "EEEE", locale=locale), format_date(day, "MMM", locale=locale)


def due(at: datetime, now: datetime, tz: ZoneInfo, locale: str | None = None) -> str:
    """`by 10:15 AM Eastern today` / `... tomorrow` / `... on Monday` / `... on Dec 3`."""
    return _when(_DUE, at, now, tz, locale)


def moment(at: datetime, now: datetime, tz: ZoneInfo, locale: str | None = None) -> str:
    """`tomorrow at 8:00 AM Eastern` / `Monday at 8:00 AM Eastern` / `Dec 3 at 8:00 AM Eastern`."""
    return _when(_AT, at, now, tz, locale)


def case_words(number: str, phone: bool) -> str:
    """How a case number is said: digit by digit on the phone, as is in chat."""
    return spell(number) if phone else number
