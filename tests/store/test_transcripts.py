"""Transcripts: the lines a turn adds and an agent relays, read back in order, filtered to messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from store.db import SessionMaker
from store.errors import TranscriptRoleError
from store.transcripts import add_lines, append_transcript, end_conversation, get_transcript

from .helpers import T0


def _typing() -> dict[str, object]:
    activity = Activity(
        type=ActivityTypes.typing,
        id="a1",
        channel_id="directline",
        conversation=ConversationAccount(id="conv-1"),
        from_property=ChannelAccount(id="someone", role="user"),
        timestamp=T0,
    )
    return dict(activity.serialize())


async def test_helpers_append_and_filter(session_maker: SessionMaker) -> None:
    async with session_maker() as session, session.begin():
        await append_transcript(
            session, conversation_id="conv-1", role="customer", text="", at=T0, activity=_typing(), channel="directline"
        )
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
    assert [line.at for line in messages] == [T0, later, later]


async def test_unknown_role_is_refused(session_maker: SessionMaker) -> None:
    async with session_maker() as session:
        with pytest.raises(TranscriptRoleError):
            await append_transcript(session, conversation_id="c", role="user", text="x", at=T0)


async def test_add_lines_keeps_the_activity_of_the_first_line(session_maker: SessionMaker) -> None:
    # A customer's message relayed to a live agent keeps the activity it came in, as append_transcript does.
    message = {"type": "message", "id": "m1", "text": "hello?"}
    lines = [("customer", "hello?"), ("bot", "noted")]
    async with session_maker() as session, session.begin():
        await session.run_sync(
            lambda s: add_lines(
                s.connection(), conversation_id="conv-1", channel="directline", at=T0, lines=lines, activity=message
            )
        )
    async with session_maker() as session:
        stored = await get_transcript(session, conversation_id="conv-1")
    assert [(line.role, line.text, line.activity_type, line.activity) for line in stored] == [
        ("customer", "hello?", "message", message),
        ("bot", "noted", None, None),
    ]
