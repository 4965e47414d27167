"""PostgreSQL restarted while customers are mid-intake (issue #13 item 3), on a private server so the one
everyone's tests share is left alone: no 500, a resend is answered once, every case announced is stored and
the pages queued are delivered once after it is back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.bot.cluster.customers import CASE_NUMBER, OUTAGE_CHAT, WebChatCustomer, k_number
from tests.bot.cluster.harness import running_cluster
from tests.bot.cluster.postgres import private_postgres
from tests.bot.cluster.test_faults import CUSTOMERS, phone_env, sent_once, until_pages_sent
from tests.bot.conftest import stored_cases
from tests.bot.voice.harness import fake_twilio_api

UNAVAILABLE = 503


async def test_postgres_restarted_mid_burst_is_a_503_then_every_case_once(tmp_path: Path) -> None:
    statuses: list[int] = []
    refused = asyncio.Event()

    def seen(status: int) -> None:
        statuses.append(status)
        if status == UNAVAILABLE:
            refused.set()

    async with private_postgres() as server, fake_twilio_api() as (twilio, twilio_url):
        async with running_cluster(server.url, tmp_path, processes=2, env=phone_env(twilio_url)) as cluster:
            customers = [
                WebChatCustomer(http=cluster.http, base=cluster.base, on_status=seen) for _ in range(CUSTOMERS)
            ]
            await asyncio.gather(*(c.start() for c in customers))
            await asyncio.gather(
                *(
                    c.says(f"{k_number(n)} {OUTAGE_CHAT}", until=lambda t: "Is that right?" in t)
                    for n, c in enumerate(customers)
                )
            )
            await server.stop("fast")
            confirming = [
                asyncio.ensure_future(c.says("Yes, that's right", until=lambda t: CASE_NUMBER.search(t) is not None))
                for c in customers
            ]
            # The customers are refused while the database is down (and resend, as Web Chat does) ...
            await refused.wait()
            await server.start()
            # ... and once it is back every one of them is told their case.
            told = await asyncio.gather(*confirming)
            await until_pages_sent(server.url)
            await asyncio.gather(*(c.close() for c in customers))
        cases = await stored_cases(server.url)
    assert set(statuses) <= {200, 201, UNAVAILABLE}, sorted(set(statuses))  # never a 500 or a proxy's 502
    announced = {c.conversation: CASE_NUMBER.findall(t)[0] for c, t in zip(customers, told, strict=True)}
    assert {c.conversation_id: c.number for c in cases} == announced
    assert len({c.idempotency_key for c in cases}) == len(cases) == CUSTOMERS
    sent_once(twilio)
