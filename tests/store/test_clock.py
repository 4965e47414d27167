"""The service reads the time in one place, and the clock it passes around has one definition."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from pathlib import Path

from intake.policy import SlaClock
from store.clock import utc_now

ROOT = Path(__file__).parents[2]
PACKAGES = ("intake", "store", "bot")


def _sources() -> dict[str, str]:
    return {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def test_utc_now_is_aware_and_in_utc() -> None:
    now = utc_now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert now.tzinfo is UTC


def test_only_the_system_clock_reads_the_time() -> None:
    readers = {
        name
        for name, text in _sources().items()
        if re.search(r"\bdatetime\.(now|utcnow|today)\(|\btime\.time\(\)|\bdate\.today\(", text)
    }
    assert readers == {"store/clock.py"}


def test_one_clock_type_one_system_clock_and_one_agents_online_type() -> None:
    # Each used to be defined in several modules (and `Clock` also named the SLA enum, now SlaClock).
    definition = re.compile(r"(?m)^(?:(Clock|AgentsOnline)\b[^=\n]*=|def (utc_now)\b|class (Clock)\b)")
    where = sorted(
        ("".join(match.groups(default="")), name)
        for name, text in _sources().items()
        for match in definition.finditer(text)
    )
    assert [what for what, _ in where] == ["AgentsOnline", "Clock", "utc_now"], where
    assert ("Clock", "intake/clock.py") in where and ("utc_now", "store/clock.py") in where


def test_sla_clock_keeps_its_configured_values() -> None:
    # SLA_CLOCK in .env files and the policy say these words; renaming the enum must not change them.
    assert [c.value for c in SlaClock] == ["calendar", "business"]
