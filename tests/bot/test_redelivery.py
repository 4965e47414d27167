"""An activity delivered again after the conversation has moved on runs nothing again (issue #13).

The storm benchmark's doubled cases, seen in the stored rows: the customer's first message was answered
(a Severity 1 proposal) and their yes was answered (the case), but the slow process had not yet marked
either processed; another process's recovery sweep took both over. The conversation's last turn was the
yes, so the first message was not recognised as a redelivery and ran again on the finished intake (a new
proposal), and the recovered yes, no longer the last turn, confirmed it: a second case.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from store.db import create_engine, session_factory
from store.directline import pending_activities
from store.models import DirectLineActivity, TranscriptEntry
from tests.bot.conftest import FakeClock, Service, stored_cases, texts
from tests.bot.webchat_client import web_chat

OUTAGE = "K123456 the viewer is down, nobody at any site can open studies"
CASE_NUMBER = re.compile(r"\b\d{4}-\d{4,}\b")


async def _transcript(db_url: str, conversation_id: str) -> list[tuple[str, str]]:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.exec(
                select(TranscriptEntry)
                .where(col(TranscriptEntry.conversation_id) == conversation_id)
                .order_by(col(TranscriptEntry.id))
            )
            return [(row.role, row.text) for row in rows.all()]
    finally:
        await engine.dispose()


async def _pending_again(db_url: str, conversation_id: str) -> int:
    """Leave the customer's activities as a slow process leaves them: answered, not yet marked processed."""
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            result: Any = await session.exec(
                update(DirectLineActivity)
                .where(col(DirectLineActivity.conversation_id) == conversation_id)
                .where(col(DirectLineActivity.client_key).startswith("client:"))
                .values(pending=True)
            )
            return int(result.rowcount)
    finally:
        await engine.dispose()


async def test_turns_taken_over_after_they_were_answered_file_no_second_case(db_url: str) -> None:
    clock = FakeClock()
    async with web_chat(db_url, clock) as chat:
        for text in (OUTAGE, "Yes, that's right"):
            assert await chat.say(text) == 200  # answered once the turn is over (the gateway waits for it)
        before = await chat.shown()
        told = sorted(set(CASE_NUMBER.findall(texts(before))))
        assert len(told) == 1, texts(before)
        transcript = await _transcript(db_url, chat.conversation)

        assert await _pending_again(db_url, chat.conversation) == 2
        clock.now += timedelta(minutes=1)  # older than any bot timeout: another process's to take
        await chat.gateway.recover()
        await chat.gateway.finish_background()  # and whatever a periodic sweep took meanwhile

        assert await pending_activities(chat.gateway.session_maker, created_before=clock.now) == []
        assert await chat.shown() == before  # nothing said again, nothing new said
    cases = [case for case in await stored_cases(db_url) if case.conversation_id == chat.conversation]
    assert [case.number for case in cases] == told
    assert await _transcript(db_url, chat.conversation) == transcript  # no turn ran again


async def test_an_older_message_resent_after_a_newer_one_changes_nothing(service: Service) -> None:
    await service.join()  # act-1
    proposal = await service.say(OUTAGE)  # act-2
    assert "Is that right?" in texts(proposal)
    assert CASE_NUMBER.search(texts(await service.say("Yes, that's right")))  # act-3
    transcript = await _transcript(service.db_url, service.conversation)

    for activity_id, text in (("act-2", OUTAGE), ("act-3", "Yes, that's right")):
        status, body = await service.post_activity(
            {
                "type": "message",
                "id": activity_id,
                "text": text,
                "channelId": "webchat",
                "conversation": {"id": service.conversation},
                "from": {"id": "user-1", "role": "user"},
                "recipient": {"id": "bot"},
                "deliveryMode": "expectReplies",
            }
        )
        assert status == 200, body
        if activity_id == "act-2":
            assert body["activities"] == []  # its answer went out when it ran
        else:
            assert CASE_NUMBER.search(texts(body["activities"]))  # the last turn: answered as before

    assert len(await stored_cases(service.db_url)) == 1
    assert await _transcript(service.db_url, service.conversation) == transcript
