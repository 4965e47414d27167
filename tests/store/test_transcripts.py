"""Transcripts: the Bot Framework TranscriptStore and the app's own helpers share one table."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from store.db import SessionMaker
from store.errors import TranscriptRoleError
from store.transcripts import (
    PAGE_SIZE,
    SqlTranscriptStore,
    add_lines,
    append_transcript,
    end_conversation,
    get_transcript,
)

from .helpers import T0


def _activity(
    n: int,
    *,
    conversation: str = "conv-1",
    channel: str = "directline",
    role: str = "user",
    kind: str = ActivityTypes.message,
) -> Activity:
    return Activity(
        type=kind,
        id=f"a{n}",
        channel_id=channel,
        conversation=ConversationAccount(id=conversation),
        from_property=ChannelAccount(id="someone", role=role),
        text=f"line {n}" if kind == ActivityTypes.message else None,
        timestamp=T0 + timedelta(seconds=n),
    )


async def test_log_and_read_back(session_maker: SessionMaker) -> None:
    store = SqlTranscriptStore(session_maker)
    await store.log_activity(_activity(1))
    await store.log_activity(_activity(2, role="bot"))
    await store.log_activity(_activity(3, conversation="conv-2"))
    page = await store.get_transcript_activities("directline", "conv-1")
    assert [a.id for a in page.items] == ["a1", "a2"]
    assert [a.text for a in page.items] == ["line 1", "line 2"]
    assert page.items[0].timestamp == T0 + timedelta(seconds=1)
    assert page.continuation_token is None
    assert (await store.get_transcript_activities("webchat", "conv-1")).items == []
    async with session_maker() as session:
        lines = await get_transcript(session, conversation_id="conv-1")
    assert [(line.role, line.text) for line in lines] == [("customer", "line 1"), ("bot", "line 2")]


async def test_activities_are_paged(session_maker: SessionMaker) -> None:
    store = SqlTranscriptStore(session_maker)
    for n in range(PAGE_SIZE + 5):
        await store.log_activity(_activity(n))
    first = await store.get_transcript_activities("directline", "conv-1")
    assert len(first.items) == PAGE_SIZE
    assert first.continuation_token
    second = await store.get_transcript_activities("directline", "conv-1", first.continuation_token)
    assert [a.id for a in second.items] == [f"a{n}" for n in range(PAGE_SIZE, PAGE_SIZE + 5)]
    assert second.continuation_token is None
    recent = await store.get_transcript_activities(
        "directline", "conv-1", start_date=T0 + timedelta(seconds=PAGE_SIZE + 3)
    )
    assert [a.id for a in recent.items] == [f"a{PAGE_SIZE + 3}", f"a{PAGE_SIZE + 4}"]
    everything = await store.get_transcript_activities("directline", "conv-1", None, datetime.min)
    assert len(everything.items) == PAGE_SIZE


async def test_list_and_delete_transcripts(session_maker: SessionMaker) -> None:
    store = SqlTranscriptStore(session_maker)
    await store.log_activity(_activity(1, conversation="old"))
    await store.log_activity(_activity(5, conversation="new"))
    await store.log_activity(_activity(9, conversation="elsewhere", channel="twilio-voice"))
    listed = await store.list_transcripts("directline")
    assert [(t.id, t.channel_id, t.created) for t in listed.items] == [
        ("new", "directline", T0 + timedelta(seconds=5)),
        ("old", "directline", T0 + timedelta(seconds=1)),
    ]
    await store.delete_transcript("twilio-voice", "old")  # wrong channel: nothing happens
    await store.delete_transcript("directline", "old")
    assert [t.id for t in (await store.list_transcripts("directline")).items] == ["new"]
    assert (await store.get_transcript_activities("directline", "old")).items == []


async def test_outgoing_activity_without_timestamp_uses_the_clock(session_maker: SessionMaker) -> None:
    store = SqlTranscriptStore(session_maker, clock=lambda: T0)
    activity = _activity(1, role="bot")
    activity.timestamp = None
    activity.from_property.role = None
    await store.log_activity(activity)
    async with session_maker() as session:
        (line,) = await get_transcript(session, conversation_id="conv-1")
    assert (line.role, line.at) == ("bot", T0)


async def test_helpers_append_and_filter(session_maker: SessionMaker) -> None:
    store = SqlTranscriptStore(session_maker)
    await store.log_activity(_activity(1, kind=ActivityTypes.typing))
    async with session_maker() as session, session.begin():
        await append_transcript(session, conversation_id="conv-1", role="agent", text="Hello, Ada here", at=T0)
        lines = [("customer", "hi"), ("bot", "What is your K#?")]
        later = T0 + timedelta(seconds=3)
        await session.run_sync(
            lambda s: add_lines(s.connection(), conversation_id="conv-1", channel="directline", at=later, lines=lines)
        )
        await end_conversation(session, conversation_id="conv-1", ended_at=T0 + timedelta(minutes=1))
    async with session_maker() as session:
        everything = await get_transcript(session, conversation_id="conv-1")
        messages = await get_transcript(session, conversation_id="conv-1", messages_only=True)
    assert [line.activity_type for line in everything] == ["typing", None, None, None]
    assert [(line.role, line.text) for line in messages] == [
        ("agent", "Hello, Ada here"),
        ("customer", "hi"),
        ("bot", "What is your K#?"),
    ]


async def test_unknown_role_is_refused(session_maker: SessionMaker) -> None:
    async with session_maker() as session:
        with pytest.raises(TranscriptRoleError):
            await append_transcript(session, conversation_id="c", role="user", text="x", at=T0)
