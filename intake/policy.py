"""The support policy as immutable data: SLA targets, severity definitions, K# format, routing, hours."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

from intake.catalog import N_
from intake.domain import Channel, Outcome, PolicyError, Severity, require_aware
from intake.limits import TextLimits
from intake.schedule import WeeklySchedule, default_chat_schedule


class SlaClock(StrEnum):
    """How an SLA target is counted (SLA_CLOCK's values; not a source of the time: see intake/clock.py)."""

    CALENDAR = "calendar"  # real elapsed time: the service runs 24x7
    BUSINESS = "business"  # only the business-hours schedule counts


# Message ids (intake/catalog.py): the customer hears a definition in the conversation's locale.
SEVERITY_DEFINITIONS: Mapping[Severity, str] = MappingProxyType(
    {
        Severity.SEV1: N_(
            "The service is not delivered, and requires an immediate solution. "
            "Incident widely impacts customer operations."
        ),
        Severity.SEV2: N_("The service is delivered with limited functions or severe degradation."),
        Severity.SEV3: N_(
            "The service is delivered with limited function or constraints which are not "
            "critical to the overall working of the system."
        ),
        Severity.SEV4: N_(
            "Question related to the use of the service or operation, or requests for changes in the services."
        ),
    }
)


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
    """Response, fix and update targets of one severity, and the clock they run on.

    `update`: how often the customer hears from us while the case is open (None: no update target).
    """

    response: timedelta
    fix: timedelta | None
    clock: SlaClock = SlaClock.CALENDAR
    update: timedelta | None = None


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
        Severity.SEV1: SlaTarget(timedelta(minutes=15), timedelta(hours=8), update=timedelta(hours=1)),
        Severity.SEV2: SlaTarget(timedelta(hours=1), timedelta(hours=24), update=timedelta(hours=4)),
        Severity.SEV3: SlaTarget(timedelta(hours=24), timedelta(hours=120), update=timedelta(hours=24)),
        Severity.SEV4: SlaTarget(timedelta(days=2), None),
    }
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
            if target.clock is SlaClock.BUSINESS:
                return self.business_hours.add_business_time(created, amount).astimezone(utc)
            # Calendar time is elapsed time: add on UTC so a DST change never stretches a target.
            return created.astimezone(utc) + amount

        return add(target.response), (add(target.fix) if target.fix is not None else None)
