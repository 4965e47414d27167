"""The running service tells customers of their planned maintenance: chat over /api/messages and the phone line
over signed Twilio webhooks, the real IntakeBot, dialogue and store. A window scheduled through bot/maintenance.py
is told to its accounts once the K# is known; an outage reported during it is answered with it and recorded only
when the customer says it is something else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from aiohttp import ClientSession

from bot import maintenance as service
from bot.keys import SESSION_MAKER, SETTINGS
from intake.maintenance import Window
from store.db import SessionMaker
from store.models import Account
from tests.bot.conftest import TUESDAY_10AM, FakeClock, Service, start_service, stored_cases, texts
from tests.bot.voice.real_harness import PhoneLine, key_for, phone_line, said

OUTAGE = "the viewer is down, nobody at any site can open studies"
HOUR = timedelta(hours=1)


async def _accounts(sessions: SessionMaker, now: datetime, *k_numbers: str) -> None:
    async with sessions() as session, session.begin():
        for k in k_numbers:
            session.add(
                Account(k_number=k, name=f"Clinic {k}", timezone="America/Chicago", created_at=now, updated_at=now)
            )


async def _window(sessions: SessionMaker, config: service.MaintenanceConfig, now: datetime, start: datetime) -> int:
    window = Window(
        start=start, end=start + 3 * HOUR, accounts=frozenset({"K123456"}), components=("viewer",), downtime=True,
        summary="Database upgrade",
    )  # fmt: skip
    done = await service.schedule(sessions, config, window=window, override="urgent fix", actor="test", at=now)
    return done.window.id


@pytest.fixture
async def chat(db_url: str) -> AsyncIterator[Service]:
    clock = FakeClock(TUESDAY_10AM)
    runner, base_url = await start_service(db_url, clock)
    async with ClientSession() as http:
        yield Service(base_url=base_url, http=http, app=runner.app, clock=clock, db_url=db_url)
    await runner.cleanup()


def _config(svc: Service) -> service.MaintenanceConfig:
    return service.MaintenanceConfig.from_settings(svc.app[SETTINGS])


async def _to_the_question(chat: Service, conversation: str) -> str:
    told = texts(await chat.say(f"K123456 {OUTAGE}", conversation=conversation))
    assert "That may well be the planned maintenance under way on your service until " in told, told
    assert "Database upgrade" in told and "Is it something else?" in told
    return told


async def test_a_chat_customer_is_told_and_an_outage_in_their_window_is_recorded_only_if_something_else(
    chat: Service,
) -> None:
    sessions = chat.app[SESSION_MAKER]
    now = chat.clock()
    await _accounts(sessions, now, "K123456", "K654321")
    await _window(sessions, _config(chat), now, now - HOUR)

    told = texts(await chat.say("K123456", conversation="told"))
    assert "Please note: planned maintenance of your service is under way until " in told, told
    assert "Database upgrade" in told
    other = texts(await chat.say("K654321", conversation="other"))
    assert "maintenance" not in other, other

    await _to_the_question(chat, "maintenance-only")
    answer = texts(await chat.say("no", conversation="maintenance-only"))
    assert "nothing to record" in answer, answer
    assert await stored_cases(chat.db_url) == []

    await _to_the_question(chat, "something-else")
    proposal = texts(await chat.say("yes", conversation="something-else"))
    assert "Severity 1" in proposal, proposal
    await chat.say("yes", conversation="something-else")
    [case] = await stored_cases(chat.db_url)
    assert case.k_number == "K123456" and "the customer says it is something else" in case.description


async def test_an_outage_before_the_window_starts_is_filed_as_usual(chat: Service) -> None:
    sessions = chat.app[SESSION_MAKER]
    now = chat.clock()
    await _accounts(sessions, now, "K123456")
    await _window(sessions, _config(chat), now, now + 2 * HOUR)
    proposal = texts(await chat.say(f"K123456 {OUTAGE}", conversation="ahead"))
    assert "Please note: planned maintenance affects your service from " in proposal, proposal
    assert "something else" not in proposal and "Severity 1" in proposal


async def test_a_cancelled_window_is_no_longer_told(chat: Service) -> None:
    sessions = chat.app[SESSION_MAKER]
    now = chat.clock()
    await _accounts(sessions, now, "K123456")
    window_id = await _window(sessions, _config(chat), now, now - HOUR)
    await service.cancel(sessions, _config(chat), window_id=window_id, actor="test", at=now)
    told = texts(await chat.say(f"K123456 {OUTAGE}", conversation="cancelled"))
    assert "maintenance" not in told, told


@pytest.fixture
async def day(db_url: str) -> AsyncIterator[PhoneLine]:
    async with phone_line(db_url, TUESDAY_10AM) as line:
        yield line


async def test_a_caller_during_their_window_presses_the_key_for_no_and_no_case_is_recorded(day: PhoneLine) -> None:
    now = day.clock()
    await _accounts(day.sessions, now, "K123456")
    await _window(day.sessions, service.MaintenanceConfig(), now, now - HOUR)
    call = day.call()
    await call.answer()
    thanks = said(await call.keys("123456"))
    assert "planned maintenance of your service is under way until" in thanks, thanks
    asked = said(await call.says(OUTAGE))
    assert "That may well be the planned maintenance under way on your service, until" in asked, asked
    assert "something else" in asked
    answer = said(await call.keys(key_for(asked, "no")))
    assert "nothing to record" in answer, answer
    assert await day.cases() == []


async def test_the_notice_period_setting_reaches_the_bot(db_url: str) -> None:
    # MAINTENANCE_NOTICE_DAYS=1: a window two days ahead is not yet in its notice period, so nobody is told.
    clock = FakeClock(TUESDAY_10AM)
    runner, base_url = await start_service(db_url, clock, maintenance_notice_days=1)
    try:
        async with ClientSession() as http:
            chat = Service(base_url=base_url, http=http, app=runner.app, clock=clock, db_url=db_url)
            sessions = chat.app[SESSION_MAKER]
            await _accounts(sessions, clock(), "K123456")
            await _window(sessions, _config(chat), clock(), clock() + timedelta(days=2))
            assert "maintenance" not in texts(await chat.say("K123456", conversation="early"))
            clock.now += timedelta(days=1, hours=1)  # now inside the one-day notice period
            assert "Please note: planned maintenance" in texts(await chat.say("K123456", conversation="later"))
    finally:
        await runner.cleanup()
