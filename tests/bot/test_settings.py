"""Settings: defaults run with nothing set; every bad value names its setting and the accepted form."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.settings import DEV_DIRECTLINE_SECRET, ConfigError, load_settings
from intake.domain import Channel, Outcome, Severity
from intake.policy import SlaClock

ET = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No .env from the developer's tree, no stray variables.
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "SUPPORT_HOLIDAYS", "CHAT_HOURS", "INTAKE_ENV", "SLA_RESPONSE", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_policy_of_the_brochure(tmp_path: Path) -> None:
    settings = load_settings()
    policy = settings.policy()
    assert policy.chat.describe() == "Monday-Friday 8:00 AM-5:00 PM Eastern"
    assert policy.sla[Severity.SEV1].response == timedelta(minutes=15)
    assert policy.sla[Severity.SEV4].fix is None
    assert policy.sla[Severity.SEV1].update == timedelta(hours=1)  # the customer hears from us hourly
    assert policy.sla[Severity.SEV2].update == timedelta(hours=4)
    assert policy.sla[Severity.SEV4].update is None
    assert policy.routing[Channel.CHAT][Severity.SEV1] is Outcome.REDIRECT_PHONE
    assert policy.account.find("account k#123456 please") == "K123456"
    assert settings.effective_database_url() == f"sqlite+aiosqlite:///{(tmp_path / 'intake.db').as_posix()}"


def test_env_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("SUPPORT_HOLIDAYS=US,2026-12-24\nCOMPANY_NAME=Acme Imaging\n")
    monkeypatch.setenv("COMPANY_NAME", "From Env")
    settings = load_settings()
    assert settings.company_name == "From Env"  # the environment wins over .env
    policy = settings.policy()
    assert not policy.chat.is_open(datetime(2026, 12, 24, 10, tzinfo=ET))
    assert not policy.chat.is_open(datetime(2026, 11, 26, 10, tzinfo=ET))  # Thanksgiving from the US calendar
    assert policy.chat.is_open(datetime(2026, 12, 23, 10, tzinfo=ET))


def test_business_clock_and_custom_targets() -> None:
    settings = load_settings(
        sla_response="1:30m,2:2h,3:1d,4:3d", sla_clock="1:calendar,2:calendar,3:business,4:business"
    )
    policy = settings.policy()
    assert policy.sla[Severity.SEV2].response == timedelta(hours=2)
    assert policy.sla[Severity.SEV3].clock is SlaClock.BUSINESS
    friday_4pm = datetime(2026, 11, 27, 16, tzinfo=ET)
    response, _ = policy.due(Severity.SEV3, friday_4pm)
    # 1 business hour on Friday, then 23 more: Monday 9h, Tuesday 9h, Wednesday 5h -> Wed 13:00 ET.
    assert response == datetime(2026, 12, 2, 13, tzinfo=ET)


@pytest.mark.parametrize(
    ("overrides", "setting", "hint"),
    [
        ({"sla_response": "1:15x,2:1h,3:24h,4:2d"}, "SLA_RESPONSE", "15m"),
        ({"sla_response": "1:15m,2:1h"}, "SLA_RESPONSE", "missing 3, 4"),
        ({"sla_fix": "1:8h,2:24h,3:120h,4:forever"}, "SLA_FIX", "none"),
        ({"sla_update": "1:hourly,2:4h,3:24h,4:none"}, "SLA_UPDATE", "none"),
        ({"sla_clock": "1:calendar,2:calendar,3:calendar,4:sundial"}, "SLA_CLOCK", "business"),
        ({"chat_hours": "Mon-Fri 8-5"}, "CHAT_HOURS", "Mon-Fri 08:00-17:00"),
        ({"chat_timezone": "EST"}, "CHAT_TIMEZONE", "America/New_York"),
        ({"support_holidays": "XX"}, "SUPPORT_HOLIDAYS", "YYYY-MM-DD"),
        ({"support_holidays": "2026-13-01"}, "SUPPORT_HOLIDAYS", "YYYY-MM-DD"),
        ({"support_phone": "call us"}, "SUPPORT_PHONE", "E.164"),
        ({"oncall_numbers": "+15551234567,nope"}, "ONCALL_NUMBERS", "E.164"),
        ({"account_digits": "many"}, "ACCOUNT_DIGITS", "4-10"),
        ({"routing_chat": "1:teleport,2:web_request,3:web_request,4:live_chat"}, "ROUTING_CHAT", "web_request"),
        ({"port": "0"}, "PORT", "greater than or equal to 1"),
        ({"directline_secret": "short"}, "DIRECTLINE_SECRET", "32 characters"),
        ({"link_secret": "short"}, "LINK_SECRET", "32 characters"),
        ({"supervisor_emails": "boss@"}, "SUPERVISOR_EMAILS", "not an email address"),
    ],
)
def test_bad_setting_is_named_with_its_form(overrides: dict[str, str], setting: str, hint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**overrides)
    message = str(caught.value)
    assert setting in message
    assert hint in message


def test_bad_value_from_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_HOURS", "weekdays")
    with pytest.raises(ConfigError, match="CHAT_HOURS"):
        load_settings()


def test_production_refuses_placeholders() -> None:
    with pytest.raises(ConfigError, match="DIRECTLINE_SECRET"):
        load_settings(intake_env="production", public_base_url="https://support.example.com")
    with pytest.raises(ConfigError, match="LINK_SECRET"):
        load_settings(intake_env="production", directline_secret="x" * 40, public_base_url="https://s.example.com/")
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_settings(intake_env="production", directline_secret="x" * 40, link_secret="y" * 40)
    ok = load_settings(
        intake_env="production",
        directline_secret="x" * 40,
        link_secret="y" * 40,
        public_base_url="https://s.example.com/",
    )
    assert ok.base_url == "https://s.example.com"
    assert ok.directline_secret != DEV_DIRECTLINE_SECRET


def test_phone_numbers_normalised_to_e164() -> None:
    settings = load_settings(support_phone="(800) 555-0199", oncall_numbers="+1 212 555 0147, 415-555-2671")
    assert settings.support_phone == "+18005550199"
    assert settings.oncall == ("+12125550147", "+14155552671")


@pytest.mark.parametrize("setting", ["support_phone", "twilio_from_number", "oncall_numbers"])
def test_a_possible_but_invalid_number_is_refused_as_the_importer_refuses_it(setting: str) -> None:
    # Right length, but no 555 area code exists: settings used to take it (is_possible_number) while the
    # accounts importer refused it (is_valid_number). One rule now, intake.phones.to_e164.
    with pytest.raises(ConfigError, match=f"{setting.upper()}: .*not a valid phone number"):
        load_settings(**{setting: "+1 555 123 4567"})
