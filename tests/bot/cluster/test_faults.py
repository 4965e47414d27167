"""Faults with real processes behind nginx on PostgreSQL (issue #13 item 3): a process killed with SIGKILL
while customers are mid-intake."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import col, select

from store.db import create_engine, session_factory
from store.models import Outbox
from tests.bot.cluster.customers import (
    CASE_NUMBER,
    OUTAGE_CHAT,
    WebChatCustomer,
    k_number,
)
from tests.bot.cluster.harness import running_cluster
from tests.bot.conftest import stored_cases
from tests.bot.voice.harness import ACCOUNT_SID, FakeTwilio, fake_twilio_api
from tests.bot.voice.harness import TOKEN as TWILIO_TOKEN
from tests.conftest import BACKENDS

ONCALL = "+14155550101,+14155550102"
CUSTOMERS = 12


def phone_env(twilio_url: str) -> dict[str, str]:
    """The processes' phone settings: webhooks signed with the test's token, pages to the fake API."""
    return {
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_FROM_NUMBER": "+18005550199",
        "TWILIO_API_BASE": twilio_url,
        "ONCALL_NUMBERS": ONCALL,
        "SMTP_HOST": "",
        "METRICS": "off",  # one port fewer to race other runs for
    }


async def pages_pending(db_url: str) -> list[Outbox]:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            query = select(Outbox).where(col(Outbox.kind) == "sms_page", col(Outbox.status) != "sent")
            return list((await session.exec(query)).all())
    finally:
        await engine.dispose()


async def until_pages_sent(db_url: str) -> None:
    """The outbox delivers in the background: wait until no page is left (each check is a state read)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while await pages_pending(db_url):
        assert loop.time() < deadline, "pages still pending a minute after the burst"
        await asyncio.sleep(0.2)


def sent_once(twilio: FakeTwilio) -> None:
    twice = [k for k, n in Counter((m["to"], m["body"]) for m in twilio.messages).items() if n > 1]
    assert twilio.messages and not twice, twice


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_a_process_killed_mid_burst_loses_and_doubles_nothing(db_url: str, tmp_path: Path) -> None:
    async with fake_twilio_api() as (twilio, twilio_url):
        env = phone_env(twilio_url)
        async with running_cluster(db_url, tmp_path, processes=3, env=env) as cluster:
            http, base = cluster.http, cluster.base
            customers = [WebChatCustomer(http=http, base=base) for _ in range(CUSTOMERS)]
            await asyncio.gather(*(c.start() for c in customers))
            proposals = await asyncio.gather(
                *(
                    c.says(f"{k_number(n)} {OUTAGE_CHAT}", until=lambda t: "Is that right?" in t)
                    for n, c in enumerate(customers)
                )
            )
            assert all("Severity 1" in p for p in proposals)
            victim = cluster.processes[1]
            first_told = asyncio.Event()

            async def confirm(customer: WebChatCustomer) -> str:
                told = await customer.says("Yes, that's right", until=lambda t: CASE_NUMBER.search(t) is not None)
                first_told.set()
                return told

            confirming = [asyncio.ensure_future(confirm(c)) for c in customers]
            # The first case is announced while the other confirmations are in flight: kill a process then.
            await first_told.wait()
            await victim.kill()
            told = await asyncio.gather(*confirming)
            # The conversations go on through the two left: each customer says goodbye.
            for customer in customers:
                await customer.says("That's all", until=bool)
            survivors = [p for p in cluster.processes if p is not victim]
            assert all(p.popen.returncode is None for p in survivors)
            await until_pages_sent(db_url)
            await asyncio.gather(*(c.close() for c in customers))
        retries = sum(c.retries for c in customers)
    announced = {c.conversation: CASE_NUMBER.findall(t)[0] for c, t in zip(customers, told, strict=True)}
    cases = await stored_cases(db_url)
    # Every case announced is stored, once, for its own conversation; nothing the customers did not confirm.
    assert sorted(announced.values()) == sorted(c.number for c in cases)
    assert {c.conversation_id: c.number for c in cases} == announced
    assert len({c.idempotency_key for c in cases}) == len(cases) == CUSTOMERS
    sent_once(twilio)
    # The kill was felt: at least one stream or request had to be resent to another process.
    assert victim.popen.returncode == -9
    assert retries >= 1, "no customer was on the killed process: the test proved nothing"
