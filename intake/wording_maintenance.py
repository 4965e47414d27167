"""What customers are told of planned maintenance: the notices (scheduled, reminder, changed, cancelled, started,
ended) in their own time zone, and what the bot says to an affected customer during the notice period or the
window.

Each sentence is a message id (its English text, marked with `N_`) looked up in the locale through
intake/catalog.py, as in intake/wording.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from intake.catalog import N_, gettext
from intake.numbers_times import moment
from intake.prompts import Prompt, say, yes_no_prompt

# Translators: {title} is the maintenance's summary as the desk wrote it ("Database upgrade").
_LEADS = {
    "scheduled": N_("We have scheduled maintenance that affects your service: {title}."),
    "reminder": N_("A reminder: maintenance that affects your service is coming up: {title}."),
    "changed": N_("The maintenance we told you about has changed: {title}. Here is what now holds."),
    "cancelled": N_("The maintenance we told you about is cancelled for your service: {title}."),
    "started": N_("The maintenance has started: {title}."),
    "ended": N_("The maintenance is over: {title}. If anything is not working, reply to this message or call us."),
}
# Translators: {start} and {end} are moments ("Monday at 8:00 AM Eastern") in the customer's time zone.
WHEN = N_("From {start} until {end}.")
UNTIL = N_("Until {end}.")
DOWNTIME = N_("Your service will be unavailable during this time.")
NO_DOWNTIME = N_("Your service should stay available during this time.")
# Translators: {components} lists the parts of the service affected ("viewer, dictation").
PARTS = N_("Affected: {components}.")
NOTHING_CHANGES = N_("Nothing will change for you.")

# What the bot says to an affected customer.
AHEAD = N_("Please note: planned maintenance affects your service from {start} until {end}: {title}.")
UNDER_WAY = N_("Please note: planned maintenance of your service is under way until {end}: {title}.")
OUTAGE_IN_WINDOW = N_("That may well be the planned maintenance under way on your service until {end}: {title}.")
OUTAGE_IN_WINDOW_SPEAK = N_("That may well be the planned maintenance under way on your service, until {end}.")
SOMETHING_ELSE = N_("Is it something else? If it is, we will record it as a case.")
SOMETHING_ELSE_SPEAK = N_("Is it something else? Say yes, and we will record it as a case.")
JUST_MAINTENANCE = N_(
    "Then there is nothing to record: it should all work again once the maintenance is over. "
    "If it does not, contact us and we will record it."
)


def notice_paragraphs(extra: Mapping[str, str], now: datetime, tz: ZoneInfo, locale: str | None) -> list[str]:
    """The body of a maintenance notice from the facts the store queued (`extra`), times in `tz`."""
    stage = extra.get("stage", "scheduled")
    title = extra.get("title", "")
    lead = gettext(_LEADS.get(stage, _LEADS["scheduled"]), locale).format(title=title)
    if stage == "cancelled":
        return [lead, gettext(NOTHING_CHANGES, locale)]
    paragraphs = [lead]
    start, end = _instant(extra.get("start")), _instant(extra.get("end"))
    if start is not None and end is not None:
        if stage in ("started", "ended"):
            times = gettext(UNTIL, locale).format(end=moment(end, now, tz, locale)) if stage == "started" else ""
        else:
            start_at, end_at = moment(start, now, tz, locale), moment(end, now, tz, locale)
            times = gettext(WHEN, locale).format(start=start_at, end=end_at)
        if times:
            paragraphs.append(times)
    if stage != "ended":
        stops = extra.get("downtime") == "yes"
        paragraphs.append(gettext(DOWNTIME if stops else NO_DOWNTIME, locale))
        if extra.get("components"):
            paragraphs.append(gettext(PARTS, locale).format(components=extra["components"].replace(",", ", ")))
    return paragraphs


def _instant(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class MaintenanceNote:
    """A window the bot tells customers about: whom it affects (`accounts` None: everyone), when, what."""

    summary: str
    start: datetime
    end: datetime
    downtime: bool
    accounts: frozenset[str] | None

    def affects(self, k_number: str | None) -> bool:
        return bool(k_number) and (self.accounts is None or k_number in self.accounts)

    def under_way(self, at: datetime) -> bool:
        return self.start <= at < self.end


def affecting(notes: Sequence[MaintenanceNote], k_number: str | None, at: datetime) -> tuple[MaintenanceNote, ...]:
    """The notes that concern account `k_number` and are not over at `at`."""
    return tuple(n for n in notes if n.affects(k_number) and at < n.end)


def told(note: MaintenanceNote, now: datetime, tz: ZoneInfo, locale: str | None = None) -> Prompt:
    """An affected customer is told of a window ahead of it or under way."""
    end = moment(note.end, now, tz, locale)
    if note.under_way(now):
        return say(gettext(UNDER_WAY, locale).format(end=end, title=note.summary))
    start = moment(note.start, now, tz, locale)
    return say(gettext(AHEAD, locale).format(start=start, end=end, title=note.summary))


def outage_in_window(note: MaintenanceNote, now: datetime, tz: ZoneInfo, locale: str | None = None) -> Prompt:
    """An outage report during the customer's window: answered with the window (then: is it something else?)."""
    end = moment(note.end, now, tz, locale)
    text = gettext(OUTAGE_IN_WINDOW, locale).format(end=end, title=note.summary)
    return say(text, gettext(OUTAGE_IN_WINDOW_SPEAK, locale).format(end=end))


def something_else(phone: bool, locale: str | None = None) -> Prompt:
    """Whether the outage is something other than the window: yes records the case."""
    return yes_no_prompt(gettext(SOMETHING_ELSE, locale), gettext(SOMETHING_ELSE_SPEAK, locale), phone, locale)


def just_maintenance(locale: str | None = None) -> Prompt:
    """The customer says it is the maintenance: no case."""
    return say(gettext(JUST_MAINTENANCE, locale))
