"""Planned maintenance rules: the notice period and its override, the reminder across DST, the yearly cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.maintenance import (
    NoticeTooShort,
    OverBudget,
    Rules,
    Stage,
    Window,
    WindowInvalid,
    budget,
    check_budget,
    check_notice,
    downtime_hours_by_year,
    notice_plan,
    reminder_at,
    telling,
)

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
RULES = Rules()
NOW = datetime(2025, 3, 1, 15, 0, tzinfo=UTC)


def window(
    start: datetime, hours: float = 4, *, accounts: frozenset[str] | None = None, downtime: bool = True
) -> Window:
    return Window(
        start=start,
        end=start + timedelta(hours=hours),
        accounts=accounts,
        components=("viewer",),
        downtime=downtime,
        summary="Database upgrade",
    )


def test_a_window_needs_aware_instants_an_end_after_its_start_and_a_summary() -> None:
    with pytest.raises(WindowInvalid):
        window(datetime(2025, 4, 1, 9, 0))
    with pytest.raises(WindowInvalid):
        window(NOW, hours=0)
    with pytest.raises(WindowInvalid):
        Window(start=NOW, end=NOW + timedelta(hours=1), accounts=None, components=(), downtime=True, summary=" ")
    with pytest.raises(WindowInvalid):
        window(NOW, accounts=frozenset())


@pytest.mark.parametrize(
    ("lead", "refused"),
    [
        (timedelta(days=14), False),  # exactly the notice period is enough
        (timedelta(days=14) - timedelta(seconds=1), True),
        (timedelta(days=2), True),
        (timedelta(days=30), False),
    ],
)
def test_downtime_inside_the_notice_period_is_refused(lead: timedelta, refused: bool) -> None:
    w = window(NOW + lead)
    if refused:
        with pytest.raises(NoticeTooShort) as caught:
            check_notice(w, now=NOW, rules=RULES)
        assert caught.value.earliest == NOW + timedelta(days=14)
    else:
        check_notice(w, now=NOW, rules=RULES)


def test_an_override_with_a_reason_lets_a_short_notice_window_through_and_a_blank_one_does_not() -> None:
    w = window(NOW + timedelta(days=1))
    check_notice(w, now=NOW, rules=RULES, override="security patch CVE-2025-1")
    with pytest.raises(NoticeTooShort):
        check_notice(w, now=NOW, rules=RULES, override="   ")


def test_a_window_without_downtime_needs_no_notice_but_a_past_one_is_refused() -> None:
    check_notice(window(NOW + timedelta(hours=1), downtime=False), now=NOW, rules=RULES)
    with pytest.raises(WindowInvalid):
        check_notice(window(NOW - timedelta(hours=5)), now=NOW, rules=RULES, override="late")


def test_the_notice_period_is_configurable() -> None:
    rules = Rules.build(notice_days=7, reminder_days=3, yearly_hours=96)
    check_notice(window(NOW + timedelta(days=7)), now=NOW, rules=rules)
    with pytest.raises(NoticeTooShort):
        check_notice(window(NOW + timedelta(days=6)), now=NOW, rules=rules)


def test_the_reminder_keeps_the_local_wall_time_across_the_spring_change() -> None:
    # New York moves to daylight time on Sunday 9 March 2025. A window at 09:00 EDT on Tuesday the 11th is
    # reminded at 09:00 EST on Saturday the 8th: 71 hours earlier, not 72.
    start = datetime(2025, 3, 11, 9, 0, tzinfo=NY)
    remind = reminder_at(start, timedelta(days=3), NY)
    assert remind.astimezone(NY) == datetime(2025, 3, 8, 9, 0, tzinfo=NY)
    assert remind.astimezone(NY).utcoffset() == timedelta(hours=-5)
    assert start - remind == timedelta(hours=71)


def test_the_reminder_keeps_the_local_wall_time_across_the_autumn_change() -> None:
    # Berlin returns to standard time on Sunday 26 October 2025: 73 hours between 09:00 CEST and 09:00 CET.
    start = datetime(2025, 10, 28, 9, 0, tzinfo=BERLIN)
    remind = reminder_at(start, timedelta(days=3), BERLIN)
    assert remind.astimezone(BERLIN).replace(tzinfo=None) == datetime(2025, 10, 25, 9, 0)
    assert start - remind == timedelta(hours=73)


def test_a_reminder_time_that_does_not_exist_moves_forward() -> None:
    # 02:30 on 9 March 2025 does not exist in New York: the reminder goes at 03:30 EDT (07:30 UTC).
    start = datetime(2025, 3, 12, 2, 30, tzinfo=NY)
    assert reminder_at(start, timedelta(days=3), NY) == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)


def test_the_reminder_is_in_the_accounts_zone_so_two_zones_differ() -> None:
    start = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)  # after both zones' spring change
    ny, berlin = reminder_at(start, timedelta(days=3), NY), reminder_at(start, timedelta(days=3), BERLIN)
    assert start - ny == timedelta(hours=72)  # New York changed on 9 March, before both instants
    assert start - berlin == timedelta(hours=71)  # Berlin changes on 30 March, between them


def test_the_notice_plan_is_now_the_reminder_the_start_and_the_end() -> None:
    w = window(NOW + timedelta(days=20))
    plan = notice_plan(w, first=True, now=NOW, tz=NY, rules=RULES)
    assert [p.stage for p in plan] == [Stage.SCHEDULED, Stage.REMINDER, Stage.STARTED, Stage.ENDED]
    assert [p.due for p in plan] == [NOW, reminder_at(w.start, RULES.reminder, NY), w.start, w.end]
    changed = notice_plan(w, first=False, now=NOW, tz=NY, rules=RULES)
    assert changed[0].stage is Stage.CHANGED


def test_a_window_sooner_than_the_reminder_lead_gets_no_reminder() -> None:
    plan = notice_plan(window(NOW + timedelta(days=1)), first=True, now=NOW, tz=NY, rules=RULES)
    assert [p.stage for p in plan] == [Stage.SCHEDULED, Stage.STARTED, Stage.ENDED]


def test_a_window_over_new_year_counts_in_both_years_in_the_accounts_zone() -> None:
    # 22:00 on 31 December to 04:00 on 1 January in New York: 2 hours in 2025, 4 in 2026.
    start = datetime(2025, 12, 31, 22, 0, tzinfo=NY)
    w = window(start, hours=6)
    assert downtime_hours_by_year(w, NY) == {2025: 2.0, 2026: 4.0}
    # In UTC the whole window is already in 2026.
    assert downtime_hours_by_year(w, ZoneInfo("UTC")) == {2026: 6.0}
    assert downtime_hours_by_year(window(start, downtime=False), NY) == {}


def test_the_ledger_sums_the_windows_that_affect_the_account() -> None:
    a = window(datetime(2025, 5, 1, 0, 0, tzinfo=UTC), hours=10, accounts=frozenset({"K1"}))
    b = window(datetime(2025, 6, 1, 0, 0, tzinfo=UTC), hours=5)  # all accounts
    c = window(datetime(2025, 7, 1, 0, 0, tzinfo=UTC), hours=7, accounts=frozenset({"K2"}))
    mine = budget([a, b, c], k_number="K1", tz=NY, rules=RULES)
    assert list(mine) == [2025]
    assert mine[2025].used_hours == 15.0
    assert mine[2025].left_hours == 81.0


def test_scheduling_past_the_yearly_cap_is_refused_without_an_override() -> None:
    used = [window(datetime(2025, m, 1, 0, 0, tzinfo=UTC), hours=30, accounts=frozenset({"K1"})) for m in (5, 6, 7)]
    fits = window(datetime(2025, 8, 1, 0, 0, tzinfo=UTC), hours=6, accounts=frozenset({"K1", "K2"}))
    assert check_budget(fits, used, accounts=[("K1", NY), ("K2", NY)], rules=RULES) == ()  # exactly 96 h
    over = window(datetime(2025, 8, 1, 0, 0, tzinfo=UTC), hours=7)
    with pytest.raises(OverBudget) as caught:
        check_budget(over, used, accounts=[("K1", NY), ("K2", NY)], rules=RULES)
    assert [(b.k_number, b.year, b.used_hours) for b in caught.value.over] == [("K1", 2025, 97.0)]
    passed = check_budget(over, used, accounts=[("K1", NY)], rules=RULES, override="contract amendment")
    assert [b.k_number for b in passed] == ["K1"]


def test_the_cap_counts_a_new_year_window_against_the_year_it_falls_in() -> None:
    used = [window(datetime(2025, 6, 1, 0, 0, tzinfo=UTC), hours=94, accounts=frozenset({"K1"}))]
    # 22:00-02:00 New York over New Year: 2 h in 2025 (96, fits) and 2 h in 2026.
    fits = window(datetime(2025, 12, 31, 22, 0, tzinfo=NY), hours=4)
    assert check_budget(fits, used, accounts=[("K1", NY)], rules=RULES) == ()
    over = window(datetime(2025, 12, 31, 21, 0, tzinfo=NY), hours=5)  # 3 h in 2025
    with pytest.raises(OverBudget) as caught:
        check_budget(over, used, accounts=[("K1", NY)], rules=RULES)
    assert [(b.year, b.used_hours) for b in caught.value.over] == [(2025, 97.0)]


def test_the_bot_tells_from_the_notice_period_until_the_end() -> None:
    w = window(NOW + timedelta(days=20), accounts=frozenset({"K1"}))
    assert not telling(w, k_number="K1", at=NOW, rules=RULES)
    assert telling(w, k_number="K1", at=w.start - timedelta(days=14), rules=RULES)
    assert telling(w, k_number="K1", at=w.end - timedelta(seconds=1), rules=RULES)
    assert not telling(w, k_number="K1", at=w.end, rules=RULES)
    assert not telling(w, k_number="K2", at=w.start, rules=RULES)
