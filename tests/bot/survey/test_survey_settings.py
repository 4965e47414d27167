"""SURVEY_* settings: the policy they describe, and a clear error naming the setting when one cannot run."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from bot.settings import ConfigError, load_settings


def test_the_defaults_describe_the_issue_s_survey() -> None:
    policy = load_settings().survey_policy()
    assert (policy.delay, policy.window, policy.call_tries, policy.retry_gap) == (
        timedelta(days=1),
        timedelta(days=10),
        2,
        timedelta(hours=4),
    )
    assert (policy.days, policy.opens, policy.closes) == (frozenset(range(5)), time(10), time(17))
    assert policy.link_ttl == timedelta(days=14)


def test_settings_shape_the_policy() -> None:
    settings = load_settings(
        survey_delay="30m", survey_window="3d", survey_hours="Mon,Wed 09:00-12:30", survey_call_tries=3,
        survey_retry_gap="2h", survey_link_days=7,
    )  # fmt: skip
    policy = settings.survey_policy()
    assert (policy.delay, policy.window, policy.days) == (timedelta(minutes=30), timedelta(days=3), frozenset({0, 2}))
    assert (policy.opens, policy.closes, policy.call_tries) == (time(9), time(12, 30), 3)
    assert (policy.retry_gap, policy.link_ttl) == (timedelta(hours=2), timedelta(days=7))


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("survey_delay", "none", "SURVEY_DELAY: a duration is needed"),
        ("survey_window", "soon", "SURVEY_WINDOW: 'soon' is not a duration"),
        ("survey_retry_gap", "", "SURVEY_RETRY_GAP: a duration is needed"),
        ("survey_hours", "weekdays", "SURVEY_HOURS: 'weekdays' is not of the form"),
        ("survey_hours", "Mon-Fri 17:00-10:00", "SURVEY_HOURS: 'Mon-Fri 17:00-10:00': opening time must be before"),
        ("survey_call_tries", 0, "SURVEY_CALL_TRIES"),
        ("survey_link_days", 0, "SURVEY_LINK_DAYS"),
        ("survey_watch_seconds", 0, "SURVEY_WATCH_SECONDS"),
    ],
)
def test_a_setting_that_cannot_run_is_named(setting: str, value: object, said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        load_settings(**{setting: value})


def test_the_window_must_outlast_the_delay() -> None:
    with pytest.raises(ConfigError, match=r"SURVEY_WINDOW \(2d\) must be longer than SURVEY_DELAY \(3d\)"):
        load_settings(survey_delay="3d", survey_window="2d")
