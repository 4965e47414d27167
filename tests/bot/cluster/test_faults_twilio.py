"""Twilio sending the same webhooks again (same CallSid, same parameters, same signature) to real processes
behind nginx while other callers and website customers keep them busy (issue #13 item 3): each copy gets
the first delivery's answer, no case is filed twice, no engineer is paged twice."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import col, select

from store.db import create_engine, session_factory
from store.models import TranscriptEntry
from tests.bot.cluster.customers import (
    PhoneSettings,
    WebChatCustomer,
    report_by_chat,
    report_by_phone,
)
from tests.bot.cluster.harness import running_cluster
from tests.bot.cluster.test_faults import phone_env, sent_once, until_pages_sent
from tests.bot.conftest import stored_cases
from tests.bot.voice.harness import TOKEN as TWILIO_TOKEN
from tests.bot.voice.harness import fake_twilio_api
from tests.conftest import BACKENDS

CALLERS = 8
CHATTERS = 6
# A case number as <Say> reads it: "2 6 1 2, 0 0 1 3" for 2612-0013.
SPOKEN_CASE = re.compile(r"\b((?:\d ){3}\d), ((?:\d ){3,}\d)\b")
RACING = 2  # copies sent at once: Twilio's retry racing its first delivery through nginx to any process


@dataclass
class _Answer:
    status: int
    body: str

    async def text(self) -> str:
        return self.body

    async def __aenter__(self) -> _Answer:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None


@dataclass
class ResendingTwilio:
    """The HTTP side of Twilio for the call simulator, sending every webhook RACING times at once and once more
    after it was answered (a late retry), each copy byte for byte the same; the simulator goes on with the
    first copy's answer. Every copy's (status, body) is kept by (URL, parameters)."""

    http: aiohttp.ClientSession
    copies: dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[int, str]]] = field(default_factory=dict)

    def post(self, url: str, *, data: Mapping[str, str], headers: Mapping[str, str]) -> _Delivery:
        return _Delivery(self, url, dict(data), dict(headers))


class _Delivery:
    def __init__(self, twilio: ResendingTwilio, url: str, data: dict[str, str], headers: dict[str, str]) -> None:
        self._twilio, self._url, self._data, self._headers = twilio, url, data, headers

    async def _once(self) -> tuple[int, str]:
        async with self._twilio.http.post(self._url, data=self._data, headers=self._headers) as response:
            return response.status, await response.text()

    async def __aenter__(self) -> _Answer:
        racing = await asyncio.gather(*(self._once() for _ in range(RACING)))
        late = await self._once()
        key = (self._url, tuple(sorted(self._data.items())))
        self._twilio.copies.setdefault(key, []).extend([*racing, late])
        return _Answer(*racing[0])

    async def __aexit__(self, *_: object) -> None:
        return None


async def _customer_lines(db_url: str, conversation_id: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.exec(
                select(TranscriptEntry)
                .where(col(TranscriptEntry.conversation_id) == conversation_id, col(TranscriptEntry.role) == "customer")
                .order_by(col(TranscriptEntry.id))
            )
            return [row.text for row in rows.all()]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_resent_webhooks_under_load_get_the_first_answer_and_file_one_case(db_url: str, tmp_path: Path) -> None:
    async with fake_twilio_api() as (twilio, twilio_url):
        async with running_cluster(db_url, tmp_path, processes=2, env=phone_env(twilio_url)) as cluster:
            resending = ResendingTwilio(cluster.http)
            phone = PhoneSettings(auth_token=TWILIO_TOKEN, public_base_url=cluster.base)

            async def call(n: int) -> str:
                return await report_by_phone(resending, cluster.base, phone, n)  # type: ignore[arg-type]

            async def chat(n: int) -> tuple[str, str]:
                customer = WebChatCustomer(http=cluster.http, base=cluster.base)
                try:
                    number = await report_by_chat(customer, n)
                    return customer.conversation, number
                finally:
                    await customer.close()

            calls = [asyncio.ensure_future(call(n)) for n in range(CALLERS)]
            chats = [asyncio.ensure_future(chat(100 + n)) for n in range(CHATTERS)]
            sids = await asyncio.gather(*calls)
            chatted = dict(await asyncio.gather(*chats))
            await until_pages_sent(db_url)
        cases = await stored_cases(db_url)
        lines = {sid: await _customer_lines(db_url, sid) for sid in sids}

    # Every copy of every webhook had the first delivery's answer: a 200 with the same TwiML (never a 5xx, never
    # the "still working on it, say that again" a resend gets when the first delivery does not finish).
    assert resending.copies
    for (url, _params), answers in resending.copies.items():
        assert len(answers) == RACING + 1
        assert {status for status, _ in answers} == {200}, (url, answers)
        assert len({body for _, body in answers}) == 1, (url, answers)
    webhooks = Counter(re.sub(r"\?.*", "", url.split("/twilio/")[1]) for url, _ in resending.copies)
    assert webhooks["voice"] == webhooks["status"] == CALLERS
    told: dict[str, set[str]] = {}
    for (_url, params), answers in resending.copies.items():
        found = [re.sub(r"\D", "", a) + "-" + re.sub(r"\D", "", b) for a, b in SPOKEN_CASE.findall(answers[0][1])]
        if found and dict(params)["CallSid"] in sids:  # said to the caller (not whispered to an engineer)
            told.setdefault(dict(params)["CallSid"], set()).update(found)
    # One case a call, the one the caller was told; one a chat; nothing else.
    by_conversation = Counter(c.conversation_id for c in cases)
    assert set(by_conversation.values()) == {1}
    assert {c.conversation_id: {c.number} for c in cases if c.conversation_id in sids} == told
    assert {c.conversation_id: c.number for c in cases if c.conversation_id in chatted} == chatted
    assert len(cases) == CALLERS + CHATTERS
    # Each thing a caller said reached the dialogue once, however many copies carried it.
    gathered = Counter(dict(params)["CallSid"] for url, params in resending.copies if "/twilio/gather" in url)
    assert {sid: len(said) for sid, said in lines.items()} == gathered
    sent_once(twilio)
