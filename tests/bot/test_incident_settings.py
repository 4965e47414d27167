"""Incident settings: the reports rule's threshold and window and the components file, checked at start-up
and honoured by the running service (chat turns over /api/messages, the real dialogue and store)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot.settings import ConfigError, load_settings
from store import incidents as incident_store
from store.models import IncidentStatus
from tests.bot.conftest import FakeClock, Service, start_service, texts

COMPONENTS = {"billing": {"label": "billing portal", "words": ["billing portal", "invoices"]}}


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("INCIDENT_MIN_ACCOUNTS", "INCIDENT_WINDOW_MINUTES", "INCIDENT_COMPONENTS_FILE"):
        monkeypatch.delenv(name, raising=False)


def _file(tmp_path: Path, content: str) -> str:
    path = tmp_path / "components.json"
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_defaults_are_three_accounts_in_fifteen_minutes_and_the_built_in_components() -> None:
    config = load_settings().incident_config()
    assert config.rule.min_accounts == 3 and config.rule.window.total_seconds() == 15 * 60
    assert "viewer" in config.components.keys


def test_a_components_file_replaces_the_components(tmp_path: Path) -> None:
    settings = load_settings(
        incident_min_accounts=2,
        incident_window_minutes=5,
        incident_components_file=_file(tmp_path, json.dumps(COMPONENTS)),
    )
    config = settings.incident_config()
    assert config.components.keys == ("billing",) and config.rule.min_accounts == 2
    assert config.components.named_in("our INVOICES page is down") == ("billing",)


@pytest.mark.parametrize(
    ("content", "hint"),
    [
        (None, "cannot read"),
        ("{not json", "cannot read"),
        ("[1, 2]", "expected a JSON object"),
        ("{}", "at least one component"),
        ('{"Bad Key": {"label": "x", "words": ["x"]}}', "lower-case letters"),
        ('{"billing": {"label": "billing", "words": []}}', "at least one word"),
        ('{"billing": {"label": "billing", "words": "invoices"}}', "a list of texts"),
    ],
)
def test_a_bad_components_file_is_a_clear_start_up_error(tmp_path: Path, content: str | None, hint: str) -> None:
    path = str(tmp_path / "missing.json") if content is None else _file(tmp_path, content)
    with pytest.raises(ConfigError) as caught:
        load_settings(incident_components_file=path)
    message = str(caught.value)
    assert "INCIDENT_COMPONENTS_FILE:" in message and hint in message, message
    assert message.count("INCIDENT_COMPONENTS_FILE") == 1, message


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"incident_min_accounts": 1}, "INCIDENT_MIN_ACCOUNTS"),
        ({"incident_min_accounts": "many"}, "INCIDENT_MIN_ACCOUNTS"),
        ({"incident_window_minutes": 0}, "INCIDENT_WINDOW_MINUTES"),
    ],
)
def test_a_bad_threshold_or_window_names_its_setting(overrides: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigError, match=setting):
        load_settings(**overrides)


@pytest.fixture
async def service_of_two(db_url: str, tmp_path: Path) -> AsyncIterator[Service]:
    """The service with INCIDENT_MIN_ACCOUNTS=2 and a components file of its own."""
    clock = FakeClock()
    path = _file(tmp_path, json.dumps(COMPONENTS))
    runner, base_url = await start_service(db_url, clock, incident_min_accounts=2, incident_components_file=path)
    async with ClientSession() as http:
        yield Service(base_url=base_url, http=http, app=runner.app, clock=clock, db_url=db_url)
    await runner.cleanup()


async def _report(service: Service, k_number: str) -> str:
    conversation = f"outage-{k_number}"
    proposal = texts(
        await service.say(
            f"{k_number} the billing portal is down, nobody at any site can open invoices", conversation=conversation
        )
    )
    assert "Severity 1" in proposal, proposal
    return texts(await service.say("yes", conversation=conversation))


async def test_the_configured_threshold_and_components_open_an_incident(service_of_two: Service) -> None:
    from bot.keys import SESSION_MAKER

    sessions = service_of_two.app[SESSION_MAKER]
    await _report(service_of_two, "K123456")
    async with sessions() as session:
        assert await incident_store.list_incidents(session) == []
    # The second account is enough here (the default needs three), for a component only the file names.
    await _report(service_of_two, "K654321")
    async with sessions() as session:
        [incident] = await incident_store.list_incidents(session)
    assert incident.component == "billing" and incident.status is IncidentStatus.OPEN
    assert len(incident.cases) == 2
    later = await _report(service_of_two, "K777777")
    assert "We know about an outage of the billing portal since" in later, later
