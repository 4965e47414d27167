"""How the command line shows instants: one rule for every command.

Every instant is shown in the support desk's time zone (CHAT_TIMEZONE, the zone the bot speaks in) as
ISO-8601 with its offset. Text output shows it to the minute followed by the zone's abbreviation
(`2026-11-24T10:00-05:00 EST`); JSON output keeps the full ISO-8601 value (`2026-11-24T10:00:00-05:00`),
so a script reads the same instant the database holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo


def json_instant(value: datetime | str | None, zone: ZoneInfo) -> str | None:
    """`value` (an aware datetime or its ISO-8601 text) in `zone`, ISO-8601 with offset; None stays None."""
    if value is None:
        return None
    return _aware(value).astimezone(zone).isoformat()


def text_instant(value: datetime | str | None, zone: ZoneInfo) -> str:
    """`value` in `zone` to the minute, with its offset and the zone's abbreviation; "-" for None."""
    if value is None:
        return "-"
    local = _aware(value).astimezone(zone)
    label = local.tzname() or zone.key
    if label[:1] in "+-":
        label = zone.key  # zones without a letter abbreviation have only "+03"-style names
    return f"{local.isoformat(timespec='minutes')} {label}"


def localise(record: Mapping[str, object], zone: ZoneInfo, keys: Iterable[str]) -> dict[str, object]:
    """A copy of a JSON record with its instant fields `keys` moved to `zone`."""
    result = dict(record)
    for key in keys:
        value = result.get(key)
        result[key] = json_instant(value if isinstance(value, datetime | str) else None, zone)
    return result


def _aware(value: datetime | str) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    if at.tzinfo is None:
        raise ValueError(f"instant {value!r} has no UTC offset")
    return at
