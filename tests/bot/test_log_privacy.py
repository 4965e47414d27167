"""Privacy of the logs: no customer words, K# or phone number at any level, no SQL parameters, no forged lines."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession
from sqlalchemy import text

from bot.keys import BOT
from bot.logs import EscapingFormatter, escape_controls
from bot.voice.signature import SIGNATURE_HEADER, sign
from store.db import create_engine
from tests.bot.agents import AgentService, bearer, running
from tests.bot.conftest import FakeClock as ServiceClock
from tests.bot.conftest import Service, start_service
from tests.bot.logcheck import service_logging

# Markers: what a customer says, their account number and their phone number, each unlike anything else.
WORDS = "zebraquartz"
K_NUMBER = "K735194"
PHONE = "+14155559876"
MARKERS = (WORDS, K_NUMBER, K_NUMBER[1:], PHONE, PHONE[2:])

PUBLIC = "https://intake.example.test"
TWILIO_TOKEN = "test-auth-token-0123456789abcdef"
# A log line starts with a timestamp; a forged one would too.
_RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def _leaks(written: str, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Markers found in the service's log output or in any record's message."""
    messages = "\n".join(r.getMessage() for r in caplog.records)
    return [m for m in MARKERS if m in written or m in messages]


@pytest.fixture
async def phone_and_chat(db_url: str) -> AsyncIterator[Service]:
    clock = ServiceClock()
    runner, base_url = await start_service(db_url, clock, twilio_auth_token=TWILIO_TOKEN, public_base_url=PUBLIC)
    async with ClientSession() as http:
        yield Service(base_url=base_url, http=http, app=runner.app, clock=clock, db_url=db_url)
    await runner.cleanup()


async def _webhook(service: Service, path: str, params: dict[str, str]) -> ET.Element:
    headers = {SIGNATURE_HEADER: sign(auth_token=TWILIO_TOKEN, url=PUBLIC + path, params=params)}
    async with service.http.post(service.base_url + path, data=params, headers=headers) as response:
        body = await response.text()
        assert response.status == 200, body
        return ET.fromstring(body)


async def test_chat_and_phone_at_debug_log_no_words_k_number_or_phone(
    phone_and_chat: Service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = phone_and_chat
    with service_logging(logging.DEBUG) as written:
        await service.join()
        await service.say(f"{K_NUMBER} the {WORDS} module is down for everyone, nobody can open studies")
        await service.say(f"yes, call me on {PHONE}")
        await service.say(f"status of my case please, {K_NUMBER}")

        call = {"AccountSid": "AC" + "1" * 32, "CallSid": "CA" + "3" * 32, "From": PHONE, "To": "+18005550100"}
        await _webhook(service, "/twilio/voice", call)
        await _webhook(service, "/twilio/gather?step=1", {**call, "Digits": K_NUMBER[1:]})
        await _webhook(service, "/twilio/gather?step=2", {**call, "SpeechResult": f"the {WORDS} screen is blank"})
        await _webhook(service, "/twilio/gather?step=3", {**call, "SpeechResult": f"yes {WORDS}"})
        await _webhook(service, "/twilio/status", {**call, "CallStatus": "completed"})
    assert written.getvalue()  # the service did log (at DEBUG), just not the customer
    assert _leaks(written.getvalue(), caplog) == []


@pytest.fixture
async def agents(db_url: str) -> AsyncIterator[AgentService]:
    async with running(db_url) as service:
        yield service


async def test_the_agent_api_at_debug_logs_no_account_or_words(
    agents: AgentService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await agents.add_agent("ann", "supervisor")
    token = await agents.token("ann")
    chat = Service(base_url=agents.base_url, http=agents.http, app=agents.app, clock=agents.clock, db_url="")
    await chat.join()
    await chat.say(f"{K_NUMBER} one user sees a {WORDS} font in the worklist, cosmetic")
    await chat.say("Yes, that's right")
    with service_logging(logging.DEBUG) as written:
        async with agents.http.get(agents.url(f"/api/cases?account={K_NUMBER}"), headers=bearer(token)) as response:
            listed = await response.json()
            assert response.status == 200, listed
        number = listed["cases"][0]["number"] if isinstance(listed, dict) else listed[0]["number"]
        async with agents.http.get(agents.url(f"/api/cases/{number}"), headers=bearer(token)) as response:
            assert response.status == 200
            etag = response.headers["ETag"]
        patch: dict[str, Any] = {"note": f"called back about {WORDS}, reached {PHONE}"}
        async with agents.http.patch(
            agents.url(f"/api/cases/{number}"), json=patch, headers={**bearer(token), "If-Match": etag}
        ) as response:
            assert response.status == 200, await response.text()
    assert _leaks(written.getvalue(), caplog) == []


async def test_a_failed_turn_logs_neither_parameters_nor_the_database_error_text(
    phone_and_chat: Service, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = phone_and_chat
    engine = create_engine(service.db_url)

    async def failing_turn(context: Any) -> None:
        # Drivers quote a value they refuse in their own messages (asyncpg: "invalid input for query
        # argument $1: 'K735194'"), and SQLAlchemy would add the parameters.
        # (A statement error, not an outage: an unreachable database answers 503 instead of an apology.)
        statement = "SELECT CAST(:value AS INTEGER) + :n"
        try:
            async with engine.connect() as connection:
                if engine.dialect.name == "sqlite":
                    await connection.execute(text("CREATE TEMP TABLE probe (k TEXT PRIMARY KEY, n TEXT)"))
                    statement = "INSERT INTO probe VALUES (:value, :n), (:value, :n)"  # a UNIQUE violation
                await connection.execute(text(statement), {"value": K_NUMBER, "n": WORDS})
        finally:
            await engine.dispose()

    monkeypatch.setattr(service.app[BOT], "on_turn", failing_turn)
    with service_logging(logging.INFO) as written:
        replies = await service.say(f"{K_NUMBER} {WORDS}")
    assert "something went wrong" in " ".join(r.get("text") or "" for r in replies)
    assert "turn failed" in written.getvalue()
    assert _leaks(written.getvalue(), caplog) == []


async def test_statement_errors_never_carry_their_parameters(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("CREATE TABLE probe (k TEXT PRIMARY KEY)"))
            await connection.execute(text("INSERT INTO probe VALUES (:k)"), {"k": K_NUMBER})
            with pytest.raises(Exception) as caught:
                await connection.execute(text("INSERT INTO probe VALUES (:k)"), {"k": K_NUMBER})
    finally:
        await engine.dispose()
    assert "hidden due to hide_parameters" in str(caught.value)
    assert K_NUMBER not in str(caught.value)


async def test_a_forged_activity_type_stays_on_its_own_line(
    phone_and_chat: Service, caplog: pytest.LogCaptureFixture
) -> None:
    forged = "message\n2026-12-04 10:00:00,000 ERROR bot.app: forged line"
    with service_logging(logging.DEBUG) as written:
        await phone_and_chat.post_activity(
            {
                "type": forged,
                "id": "forged-1",
                "conversation": {"id": "forged-conv"},
                "from": {"id": "u"},
                "recipient": {"id": "bot"},
                "deliveryMode": "expectReplies",
            }
        )
        logging.getLogger("tests.privacy").warning("activity type %s", forged)
    lines = written.getvalue().splitlines()
    assert not [line for line in lines if "forged line" in line and line.startswith("2026-12-04 10:00:00")]
    escaped = "activity type message\\n2026-12-04 10:00:00,000 ERROR bot.app: forged line"
    assert any(line.endswith(escaped) for line in lines)
    assert all(_RECORD_START.match(line) or line.startswith("    ") for line in lines)


def test_the_formatter_escapes_controls_and_withholds_exception_text() -> None:
    formatter = EscapingFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError(f"{K_NUMBER}\nERROR forged")
    except ValueError as error:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "bad %s", ("a\r\nb\x1b[31m\u2028",), None)
        record.exc_info = (type(error), error, error.__traceback__)
    output = formatter.format(record)
    first, *rest = output.splitlines()
    assert first == "ERROR bad a\\r\\nb\\x1b[31m\\u2028"
    assert rest and all(line.startswith("    ") for line in rest)
    assert "ValueError (message not logged)" in output and K_NUMBER not in output
    assert escape_controls("tab\there \udcff") == "tab\\there \\udcff"
