"""Planned maintenance as pure rules: a window, the notice it needs, when its notices go out, the yearly budget.

A window with downtime must be announced MAINTENANCE_NOTICE_DAYS (14) ahead unless an override with a reason
is given; an account's downtime per calendar year is capped at MAINTENANCE_YEARLY_HOURS (96), counted in the
account's own time zone (a window over New Year counts in both years). The reminder goes out
MAINTENANCE_REMINDER_DAYS (3) before the start at the same local wall time in the account's time zone, so a
window at 09:00 local is reminded at 09:00 local even when a DST change falls in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from intake.domain import IntakeError, require_aware

__all__ = [
    "Budget",
    "MaintenanceError",
    "NoticeTooShort",
    "OverBudget",
    "Planned",
    "Rules",
    "Stage",
    "Window",
    "WindowInvalid",
    "budget",
    "check_budget",
    "check_notice",
    "downtime_hours_by_year",
    "notice_plan",
    "reminder_at",
    "telling",
]

SUMMARY_MAX = 500
HOUR = timedelta(hours=1)


class MaintenanceError(IntakeError, ValueError):
    """A maintenance window that cannot be scheduled as asked; the message says why."""


class WindowInvalid(MaintenanceError):
    """The window itself is wrong: naive instants, an end not after the start, no summary."""


class NoticeTooShort(MaintenanceError):
    """A window with downtime starts sooner than the notice period allows, and no override was given."""

    def __init__(self, earliest: datetime, notice: timedelta) -> None:
        super().__init__(
            f"a window with downtime needs {notice.days} days' notice: start on or after {earliest.isoformat()}, "
            "or give an override with a reason"
        )
        self.earliest = earliest


class OverBudget(MaintenanceError):
    """The window would take accounts past their yearly downtime cap, and no override was given."""

    def __init__(self, over: Sequence[Budget]) -> None:
        worst = ", ".join(f"{b.k_number} {b.year}: {b.used_hours:g} of {b.cap_hours:g} h" for b in over[:5])
        more = f" and {len(over) - 5} more" if len(over) > 5 else ""
        super().__init__(f"the yearly downtime cap would be exceeded ({worst}{more}); give an override with a reason")
        self.over = tuple(over)


@dataclass(frozen=True)
class Rules:
    """The maintenance settings: notice period, reminder lead, yearly downtime cap."""

    notice: timedelta = timedelta(days=14)
    reminder: timedelta = timedelta(days=3)
    yearly_hours: float = 96.0

    @classmethod
    def build(cls, *, notice_days: float, reminder_days: float, yearly_hours: float) -> Rules:
        """From MAINTENANCE_NOTICE_DAYS, MAINTENANCE_REMINDER_DAYS, MAINTENANCE_YEARLY_HOURS."""
        if notice_days < 0 or reminder_days <= 0 or yearly_hours <= 0:
            raise MaintenanceError("maintenance notice days >= 0, reminder days > 0, yearly hours > 0")
        return cls(timedelta(days=notice_days), timedelta(days=reminder_days), yearly_hours)


@dataclass(frozen=True, kw_only=True)
class Window:
    """A planned maintenance window: when, whom (`accounts` None: every account), what, whether service stops."""

    start: datetime
    end: datetime
    accounts: frozenset[str] | None
    components: tuple[str, ...]
    downtime: bool
    summary: str

    def __post_init__(self) -> None:
        try:
            require_aware(self.start, "start")
            require_aware(self.end, "end")
        except IntakeError as exc:
            raise WindowInvalid(str(exc)) from exc
        if self.end <= self.start:
            raise WindowInvalid("the end must be after the start")
        if not self.summary.strip():
            raise WindowInvalid("a summary is needed")
        if len(self.summary) > SUMMARY_MAX:
            raise WindowInvalid(f"the summary is longer than {SUMMARY_MAX} characters")
        if self.accounts is not None and not self.accounts:
            raise WindowInvalid("name the accounts, or all")

    def affects(self, k_number: str) -> bool:
        """True when the window concerns account `k_number`."""
        return self.accounts is None or k_number in self.accounts

    @property
    def hours(self) -> float:
        return (self.end - self.start) / HOUR


def check_notice(window: Window, *, now: datetime, rules: Rules, override: str = "") -> None:
    """Raise NoticeTooShort when a window with downtime starts within the notice period and no override is given.

    A window without downtime needs no notice; a window already over cannot be scheduled at all.
    """
    require_aware(now)
    if window.end <= now:
        raise WindowInvalid("the window is already over")
    if window.downtime and window.start - now < rules.notice and not override.strip():
        raise NoticeTooShort(now + rules.notice, rules.notice)


def reminder_at(start: datetime, lead: timedelta, tz: ZoneInfo) -> datetime:
    """The reminder's instant: `lead` before `start` on the wall clock of `tz` (the account's zone).

    Counted in local days, not hours: a window at 09:00 after the spring change is reminded at 09:00 before
    it, 71 hours earlier, not at 08:00. A local time that does not exist (in the spring gap) moves forward.
    """
    local = require_aware(start).astimezone(tz)
    wall = local.replace(tzinfo=None) - lead
    return wall.replace(tzinfo=tz).astimezone(UTC)


class Stage(StrEnum):
    """Which of a window's notices: what the customer is told at each step."""

    SCHEDULED = "scheduled"
    REMINDER = "reminder"
    CHANGED = "changed"
    CANCELLED = "cancelled"
    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True)
class Planned:
    """One notice of a window to an account, and when it is due."""

    stage: Stage
    due: datetime


def notice_plan(window: Window, *, first: bool, now: datetime, tz: ZoneInfo, rules: Rules) -> tuple[Planned, ...]:
    """The notices of (a version of) a window to one account in `tz`: now, the reminder, the start, the end.

    `first` says scheduled (else changed). The reminder is left out when its instant is already past: the
    notice going out now says as much.
    """
    require_aware(now)
    plan = [Planned(Stage.SCHEDULED if first else Stage.CHANGED, now)]
    remind = reminder_at(window.start, rules.reminder, tz)
    if remind > now:
        plan.append(Planned(Stage.REMINDER, remind))
    if window.start > now:
        plan.append(Planned(Stage.STARTED, window.start))
    plan.append(Planned(Stage.ENDED, max(window.end, now)))
    return tuple(plan)


def downtime_hours_by_year(window: Window, tz: ZoneInfo) -> dict[int, float]:
    """Hours of downtime a window counts in each calendar year of `tz`; none if it has no downtime."""
    if not window.downtime:
        return {}
    hours: dict[int, float] = {}
    at = window.start
    while at < window.end:
        year = at.astimezone(tz).year
        new_year = datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC)
        until = min(window.end, new_year)
        hours[year] = hours.get(year, 0.0) + (until - at) / HOUR
        at = until
    return hours


@dataclass(frozen=True)
class Budget:
    """An account's scheduled downtime in a calendar year against the cap."""

    k_number: str
    year: int
    used_hours: float
    cap_hours: float

    @property
    def left_hours(self) -> float:
        return self.cap_hours - self.used_hours

    @property
    def over(self) -> bool:
        return self.used_hours > self.cap_hours


def budget(windows: Iterable[Window], *, k_number: str, tz: ZoneInfo, rules: Rules) -> dict[int, Budget]:
    """Account `k_number`'s downtime per calendar year (its zone `tz`) over `windows` (the live ones)."""
    used: dict[int, float] = {}
    for window in windows:
        if window.affects(k_number):
            for year, hours in downtime_hours_by_year(window, tz).items():
                used[year] = used.get(year, 0.0) + hours
    return {year: Budget(k_number, year, round(h, 4), rules.yearly_hours) for year, h in sorted(used.items())}


def check_budget(
    window: Window,
    others: Sequence[Window],
    *,
    accounts: Iterable[tuple[str, ZoneInfo]],
    rules: Rules,
    override: str = "",
) -> tuple[Budget, ...]:
    """The budgets `window` takes past the cap, given the other live windows; OverBudget without an override.

    `accounts` are the accounts the window affects with their time zones. With an override the budgets past
    the cap are returned (to log and show), not raised.
    """
    over: list[Budget] = []
    for k_number, tz in accounts:
        if not window.affects(k_number):
            continue
        mine = budget([*others, window], k_number=k_number, tz=tz, rules=rules)
        over.extend(mine[year] for year in downtime_hours_by_year(window, tz) if mine[year].over)
    if over and not override.strip():
        raise OverBudget(over)
    return tuple(over)


def telling(window: Window, *, k_number: str, at: datetime, rules: Rules) -> bool:
    """True when the bot tells account `k_number` about the window at `at`: from the notice period until its end."""
    return window.affects(k_number) and window.start - rules.notice <= at < window.end
