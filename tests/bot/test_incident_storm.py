"""An outage storm through the whole service: 20 accounts report the same viewer outage within 10 minutes,
over the website's Direct Line gateway and the phone line (signed Twilio webhooks), on an injected clock.

One incident opens, paged once; all 20 cases are linked; every reporter after it opened is told at once;
an update reaches all 20 (an INCIDENT_UPDATE notice each); resolving it resolves all 20.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot import incident_work as bot_incidents
from intake.domain import CaseStatus, Channel
from store import cases as case_store
from store import incidents as incident_store
from store.models import IncidentStatus, Outbox
from tests.bot.voice.real_harness import SUNDAY_3AM, PhoneLine, phone_line, said

OUTAGE_CHAT = "the viewer is down, nobody at any site can open studies"
OUTAGE_PHONE = "the viewer is down nobody at any site can open studies"


@pytest.fixture
async def line(db_url: str) -> AsyncIterator[PhoneLine]:
    async with phone_line(db_url, SUNDAY_3AM) as running:
        yield running


class Chat:
    """One customer on the website: a Direct Line conversation of the service's own gateway."""

    def __init__(self, line: PhoneLine) -> None:
        self.line, self.token, self.conversation, self.seen = line, "", "", 0

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def open(self) -> None:
        http, base = self.line.http, self.line.base_url
        async with http.post(f"{base}/api/webchat/token") as response:
            assert response.status == 200, await response.text()
            self.token = (await response.json())["token"]
        async with http.post(f"{base}/v3/directline/conversations", headers=self._auth) as response:
            assert response.status in (200, 201), await response.text()
            self.conversation = (await response.json())["conversationId"]

    async def says(self, text: str) -> str:
        """Post a message (answered before the POST returns) and return the bot's text since the last one."""
        url = f"{self.line.base_url}/v3/directline/conversations/{self.conversation}/activities"
        activity = {"type": "message", "from": {"id": "customer"}, "text": text}
        async with self.line.http.post(url, json=activity, headers=self._auth) as response:
            assert response.status == 200, await response.text()
        async with self.line.http.get(url, headers=self._auth) as response:
            activities: list[dict[str, Any]] = (await response.json())["activities"]
        replies = [a for a in activities[self.seen :] if a.get("from", {}).get("role") != "user"]
        self.seen = len(activities)
        return "\n".join(
            a.get("text") or "" for a in replies if a.get("type") == "message" and a["from"]["id"] != "customer"
        )


async def _report_by_chat(line: PhoneLine, k_number: str) -> str:
    chat = Chat(line)
    await chat.open()
    proposal = await chat.says(f"{k_number} {OUTAGE_CHAT}")
    assert "Severity 1" in proposal, proposal
    return await chat.says("yes")


async def _report_by_phone(line: PhoneLine, k_number: str) -> str:
    call = line.call()
    await call.answer()
    await call.keys(k_number.removeprefix("K") + "#")
    proposal = await call.says(OUTAGE_PHONE, confidence=0.93)
    assert "severity 1" in said(proposal).lower()
    return said(await call.keys("1"))


async def _pages(line: PhoneLine) -> list[Outbox]:
    async with line.sessions() as session:
        rows = await session.exec(select(Outbox).where(Outbox.kind == "sms_page").order_by(col(Outbox.id)))
        return list(rows.all())


async def test_an_outage_storm_is_one_incident_paged_once_with_every_case_linked(line: PhoneLine) -> None:
    told: dict[str, str] = {}
    for i in range(20):
        line.clock.now = SUNDAY_3AM + timedelta(seconds=30 * i)  # 20 reports in 9.5 minutes
        k_number = f"K{100001 + i}"
        report = _report_by_chat if i % 2 == 0 else _report_by_phone
        told[k_number] = await report(line, k_number)
    cases = await line.cases()
    assert len(cases) == 20 and {c.channel for c in cases} == {Channel.CHAT, Channel.PHONE}
    async with line.sessions() as session:
        [incident] = await incident_store.list_incidents(session)
    assert incident.component == "viewer" and incident.status is IncidentStatus.OPEN
    assert incident.opened_at == SUNDAY_3AM + timedelta(minutes=1)  # the third account's report
    assert sorted(incident.cases) == sorted(c.number for c in cases)
    # The on-call engineer is paged once for the incident; after it opened, no report pages or dials.
    pages = await _pages(line)
    incident_pages = [p for p in pages if p.dedupe_key == f"incident:{incident.id}:page"]
    assert len(incident_pages) == 1
    assert all(p.created_at < incident.opened_at for p in pages if p not in incident_pages)
    for case in cases[3:]:
        words = told[case.k_number]
        assert "We know about an outage of the viewer since" in words or "already know about an outage" in words, words
        assert "3:01 AM Eastern" in words
        assert case.number in words or " ".join(case.number.replace("-", "")) in words.replace(",", "")
    chat_told = told[cases[4].k_number]
    assert f"your case {cases[4].number} is linked to it and you will get every update" in chat_told

    at = line.clock.now + timedelta(minutes=5)
    _, reached = await bot_incidents.post_update(
        line.sessions, incident_id=incident.id, text="A fix is being deployed.", actor="alice", at=at
    )
    assert reached == 20
    async with line.sessions() as session:
        updates = select(Outbox).where(col(Outbox.dedupe_key).like(f"incident:{incident.id}:update:%"))
        notices = (await session.exec(updates)).all()
        news = [e for c in cases for e in await case_store.list_events(session, number=c.number)]
    assert sorted(n.case_id or 0 for n in notices) == sorted(c.id for c in cases)
    said = {(n.payload["notice"], n.payload["text"]) for n in notices}
    assert said == {("incident_update", "A fix is being deployed.")}
    # Each counts as the case's update (it restarts the case's update clock).
    assert sum(e.kind == "customer_update" for e in news) == 20

    fixed = "The viewer's cache cluster was restarted."
    resolved = await bot_incidents.resolve(
        line.sessions, incident_id=incident.id, resolution=fixed, actor="alice", at=at
    )
    assert resolved.status is IncidentStatus.RESOLVED
    assert {c.status for c in await line.cases()} == {CaseStatus.RESOLVED}
