"""Numbers and times in the customer's terms: digits spelt for speech, phone numbers, due times, moments."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from intake.schedule import format_clock, zone_label


def spell(value: str) -> str:
    """`2611-0042` -> `2 6 1 1, 0 0 4 2`: digit by digit, groups separated by a pause."""
    groups = [g for g in re.split(r"[^0-9A-Za-z]+", value) if g]
    return ", ".join(" ".join(group) for group in groups)


def phone_text(number: str) -> str:
    """`+18005550100` -> `1-800-555-0100`; other forms are shown as configured."""
    match = re.fullmatch(r"\+?1?(\d{3})(\d{3})(\d{4})", re.sub(r"[\s().-]", "", number))
    return f"1-{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else number


def _day(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """today / tomorrow / yesterday / on Monday (within 6 days) / on Dec 3 (2027 when another year)."""
    local, today = at.astimezone(tz), now.astimezone(tz).date()
    delta = (local.date() - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    if abs(delta) <= 6:
        return f"on {local:%A}"
    year = f", {local.year}" if local.year != today.year else ""
    return f"on {local:%b} {local.day}{year}"


def _clock(at: datetime, tz: ZoneInfo) -> str:
    return f"{format_clock(at.astimezone(tz).time())} {zone_label(tz)}"


def due(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """`by 10:15 AM Eastern today` / `... tomorrow` / `... on Monday` / `... on Dec 3`."""
    return f"by {_clock(at, tz)} {_day(at, now, tz)}"


def moment(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """`tomorrow at 8:00 AM Eastern` / `Monday at 8:00 AM Eastern` / `Dec 3 at 8:00 AM Eastern`."""
    return f"{_day(at, now, tz).removeprefix('on ')} at {_clock(at, tz)}"


def case_words(number: str, phone: bool) -> str:
    """How a case number is said: digit by digit on the phone, as is in chat."""
    return spell(number) if phone else number
