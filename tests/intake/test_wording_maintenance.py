"""Maintenance notices in the customer's own time zone, and what the bot tells an affected customer."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from intake.notices import NoticeFacts, NoticeKind, render
from intake.wording_maintenance import (
    MaintenanceNote,
    affecting,
    just_maintenance,
    outage_in_window,
    something_else,
    told,
)

START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # 10:00 in New York (daylight time), 15:00 in Berlin
END = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
NOW = datetime(2026, 2, 20, 15, 0, tzinfo=UTC)


def _notice(stage: str, tz: str) -> str:
    extra = {
        "title": "Database upgrade", "stage": stage, "start": START.isoformat(), "end": END.isoformat(),
        "downtime": "yes", "components": "viewer,dictation",
    }  # fmt: skip
    facts = NoticeFacts(kind=NoticeKind.MAINTENANCE, company="Acme Imaging", now=NOW, tz=ZoneInfo(tz), extra=extra)
    notice = render(facts)
    assert notice.subject == "Planned maintenance: Database upgrade"
    return notice.text


def test_the_notice_gives_the_times_in_the_customers_zone() -> None:
    ny = _notice("scheduled", "America/New_York")
    berlin = _notice("scheduled", "Europe/Berlin")
    assert "We have scheduled maintenance that affects your service: Database upgrade." in ny
    assert "From Mar 10 at 10:00 AM Eastern until Mar 10 at 2:00 PM Eastern." in ny
    assert "From Mar 10 at 3:00 PM Europe/Berlin until Mar 10 at 7:00 PM Europe/Berlin." in berlin
    assert "unavailable" in ny and "Affected: viewer, dictation." in ny


def test_each_step_has_its_own_words() -> None:
    assert "A reminder" in _notice("reminder", "America/New_York")
    assert "has changed" in _notice("changed", "America/New_York")
    cancelled = _notice("cancelled", "America/New_York")
    assert "cancelled" in cancelled and "unavailable" not in cancelled
    assert "has started" in _notice("started", "America/New_York")
    assert "is over" in _notice("ended", "America/New_York")


def test_the_bot_tells_only_affected_customers_until_the_end() -> None:
    note = MaintenanceNote("Database upgrade", START, END, True, frozenset({"K100001"}))
    everyone = MaintenanceNote("Network work", START, END, False, None)
    assert affecting([note, everyone], "K100001", NOW) == (note, everyone)
    assert affecting([note, everyone], "K100002", NOW) == (everyone,)
    assert affecting([note], "K100001", END) == ()
    tz = ZoneInfo("America/New_York")
    ahead = told(note, NOW, tz)
    assert ahead.text.startswith("Please note: planned maintenance affects your service from ")
    during = told(note, START, tz)
    assert "under way until" in during.text
    outage = outage_in_window(note, START, tz)
    assert "Database upgrade" in outage.text and "until today at 2:00 PM Eastern" in outage.speak
    assert "something else" in something_else(phone=True).speak and "nothing to record" in just_maintenance().text
