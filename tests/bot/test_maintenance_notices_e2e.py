"""A maintenance window's notices end to end: scheduled through bot/maintenance.py, delivered by the notice worker
through a real SMTP server (aiosmtpd on loopback), times in each account's own zone; the reminder is due at its
instant, 3 days before at the same local time across the end of daylight time; a cancellation is told and the
cancelled version's start and end notices never go; an override is mailed to the supervisors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import maintenance as service
from bot.mail import SmtpConfig
from bot.notice_worker import NoticeConfig, NoticeWorker
from intake.maintenance import Window
from store.accounts import import_accounts_csv
from store.db import SessionMaker
from tests.bot.smtp import Received, SmtpServer, smtp_server
from tests.bot.voice.harness import FakeClock, voice_config

ACCOUNTS = """k_number,name,phones,emails,timezone,notify
K123456,North Clinic,,pacs@north.example,America/Chicago,email
K7654,South Imaging,,it@south.example,Europe/Berlin,email
"""
NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")
# 9:00 in Chicago on Tuesday Nov 3 2026, after daylight time ends (Sunday Nov 1): 15:00 UTC.
START = datetime(2026, 11, 3, 9, 0, tzinfo=CHICAGO)
# The reminder 3 days before at the same local time: Saturday Oct 31 at 9:00, still daylight time (14:00 UTC),
# 73 hours before the start, not 72.
REMINDER = datetime(2026, 10, 31, 14, 0, tzinfo=UTC)


@dataclass
class Rig:
    worker: NoticeWorker
    clock: FakeClock
    smtp: SmtpServer
    sessions: SessionMaker
    config: service.MaintenanceConfig

    async def mail(self) -> Received:
        """Run the worker once at the clock's instant; the one message it sent."""
        assert await self.worker.run_once() == 1
        return await self.smtp.next()


@pytest.fixture
async def rig(session_maker: SessionMaker) -> AsyncIterator[Rig]:
    await import_accounts_csv(session_maker, ACCOUNTS, now=NOW)
    clock = FakeClock(NOW)
    async with smtp_server() as smtp:
        config = NoticeConfig(
            smtp=SmtpConfig(host=smtp.host, port=smtp.port, sender="support@desk.example", tls="off"),
            sms=voice_config(public_base_url="https://desk.example", account_sid=""),  # email only: no Twilio
            link_secret="test-link-secret-0123456789abcdef-0123456789",
            company="Vue Cloud Support",
            desk_tz=ZoneInfo("America/New_York"),
        )
        worker = NoticeWorker(config=config, session_maker=session_maker, clock=clock)
        rules = service.MaintenanceConfig(desk_tz=ZoneInfo("America/New_York"), supervisors=("lead@desk.example",))
        try:
            yield Rig(worker, clock, smtp, session_maker, rules)
        finally:
            worker.close()


def _window(start: datetime = START, accounts: frozenset[str] | None = frozenset({"K123456"})) -> Window:
    return Window(
        start=start, end=start + timedelta(hours=4), accounts=accounts, components=("viewer",), downtime=True,
        summary="Database upgrade",
    )  # fmt: skip


async def test_scheduled_reminded_at_its_instant_across_the_dst_change_then_cancelled(rig: Rig) -> None:
    done = await service.schedule(rig.sessions, rig.config, window=_window(), override="", actor="cli", at=NOW)
    scheduled = await rig.mail()
    assert scheduled.rcpt_tos == ["pacs@north.example"]  # only the account the window names
    assert scheduled.message["Subject"] == "Planned maintenance: Database upgrade"
    assert "We have scheduled maintenance that affects your service: Database upgrade." in scheduled.text
    assert "From Nov 3 at 9:00 AM Central until Nov 3 at 1:00 PM Central." in scheduled.text  # the account's zone
    assert "unavailable" in scheduled.text and "Affected: viewer." in scheduled.text

    rig.clock.now = REMINDER - timedelta(seconds=1)
    assert await rig.worker.run_once() == 0  # not yet: one second before its instant nothing is due
    rig.clock.now = REMINDER
    reminder = await rig.mail()
    assert "A reminder: maintenance that affects your service is coming up: Database upgrade." in reminder.text
    assert "From Tuesday at 9:00 AM Central" in reminder.text
    assert timedelta(hours=73) == START - REMINDER

    await service.cancel(rig.sessions, rig.config, window_id=done.window.id, actor="cli", at=REMINDER)
    cancelled = await rig.mail()
    assert "is cancelled for your service: Database upgrade." in cancelled.text
    assert "Nothing will change for you." in cancelled.text
    rig.clock.now = START + timedelta(hours=5)
    assert await rig.worker.run_once() == 0  # the cancelled version's start and end notices never go


async def test_a_window_started_and_ended_is_told_at_each_and_an_override_reaches_the_supervisors(rig: Rig) -> None:
    soon = NOW + timedelta(days=2)
    done = await service.schedule(
        rig.sessions, rig.config, window=_window(soon, None), override="security fix", actor="cli", at=NOW
    )
    first = [await rig.smtp.next() for _ in range(await rig.worker.run_once())]
    to_supervisors = [m for m in first if m.rcpt_tos == ["lead@desk.example"]]
    assert len(to_supervisors) == 1 and f"window {done.window.id}" in to_supervisors[0].message["Subject"]
    assert "security fix" in to_supervisors[0].text
    customers = sorted(m.rcpt_tos[0] for m in first if m not in to_supervisors)
    assert customers == ["it@south.example", "pacs@north.example"]  # all accounts, each told
    berlin = next(m for m in first if m.rcpt_tos == ["it@south.example"])
    assert "Europe/Berlin" in berlin.text  # in that account's own zone

    rig.clock.now = soon
    started = [await rig.smtp.next() for _ in range(await rig.worker.run_once())]
    assert len(started) == 2 and all("The maintenance has started: Database upgrade." in m.text for m in started)
    rig.clock.now = soon + timedelta(hours=4)
    ended = [await rig.smtp.next() for _ in range(await rig.worker.run_once())]
    assert len(ended) == 2 and all("The maintenance is over: Database upgrade." in m.text for m in ended)
