"""A conversation's state row: compare-and-set by eTag, in botbuilder ConversationState's layout."""

from __future__ import annotations

from functools import partial

import pytest
from botbuilder.core import ConversationState, MemoryStorage, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from sqlalchemy.engine import Connection

from store.agents import create_agent
from store.botstate import get_item, get_item_handed_off, swap_item
from store.db import SessionMaker
from store.errors import StorageConflictError
from store.handoffs import claim, close, create_handoff
from store.jobs import Jobs

from .helpers import T0

KEY = "directline/conversations/conv-1"


def _swap(conn: Connection, data: dict[str, object], expected: str | None) -> str:
    return swap_item(conn, KEY, data, expected=expected, now=T0)


async def test_every_write_gets_a_new_etag(jobs: Jobs) -> None:
    first = await jobs.write(partial(_swap, data={"n": 1}, expected=None))
    second = await jobs.write(partial(_swap, data={"n": 2}, expected=first))
    assert first != second
    item = await jobs.read(partial(get_item, key=KEY))
    assert item is not None and item.data == {"n": 2} and item.etag == second


async def test_an_etag_for_an_item_not_stored_yet_is_no_conflict(jobs: Jobs) -> None:
    # As botbuilder's MemoryStorage: the row may have been deleted since it was read.
    etag = await jobs.write(partial(_swap, data={"n": 1}, expected="read-elsewhere"))
    item = await jobs.read(partial(get_item, key=KEY))
    assert item is not None and item.etag == etag


async def test_a_conflict_is_a_key_error_as_with_memory_storage(jobs: Jobs) -> None:
    first = await jobs.write(partial(_swap, data={"n": 1}, expected=None))
    await jobs.write(partial(_swap, data={"n": 2}, expected=first))
    with pytest.raises(KeyError) as caught:
        await jobs.write(partial(_swap, data={"n": 3}, expected=first))
    assert isinstance(caught.value, StorageConflictError)
    assert str(caught.value).startswith("eTag conflict on")


async def test_rows_keep_conversation_state_layout(jobs: Jobs) -> None:
    # Rows written through botbuilder's ConversationState (as earlier versions did) read and write the same.
    activity = Activity(
        type=ActivityTypes.message,
        channel_id="directline",
        conversation=ConversationAccount(id="conv-1"),
        from_property=ChannelAccount(id="user-1"),
        recipient=ChannelAccount(id="bot"),
        text="hi",
    )
    memory = MemoryStorage()
    state = ConversationState(memory)
    counter = state.create_property("counter")
    context = TurnContext(TestAdapter(), activity)
    await state.load(context)
    await counter.set(context, 1)
    await state.save_changes(context)
    written = {k: v for k, v in (await memory.read([KEY]))[KEY].items() if k != "e_tag"}

    etag = await jobs.write(partial(_swap, data=written, expected=None))
    item = await jobs.read(partial(get_item, key=KEY))
    assert item is not None and item.data == {"counter": 1}
    await jobs.write(partial(_swap, data={**item.data, "counter": 2}, expected=etag))

    item = await jobs.read(partial(get_item, key=KEY))
    assert item is not None
    await memory.write({KEY: {**item.data, "e_tag": "*"}})
    fresh = TurnContext(TestAdapter(), activity)
    await state.load(fresh, force=True)
    assert await counter.get(fresh) == 2


async def test_the_row_and_whether_a_live_agent_has_the_conversation_in_one_read(
    jobs: Jobs, session_maker: SessionMaker
) -> None:
    read = partial(get_item_handed_off, key=KEY, conversation_id="conv-1")
    assert await jobs.read(read) == (None, False)  # a new conversation: no row, no handoff
    async with session_maker() as session, session.begin():
        handoff, _ = await create_handoff(
            session, conversation_id="conv-1", channel="directline", reason="question", reference={}, at=T0
        )
    assert await jobs.read(read) == (None, True)
    etag = await jobs.write(partial(_swap, data={"n": 1}, expected=None))
    item, handed_off = await jobs.read(read)
    assert item is not None and item.data == {"n": 1} and item.etag == etag and handed_off
    async with session_maker() as session, session.begin():
        agent = await create_agent(session, name="ada", email="", role="agent", password_hash="x", at=T0)
        assert await claim(session, handoff_id=handoff.id, agent_id=agent.id, at=T0)
    assert (await jobs.read(read))[1] is True  # an agent has it: still handed off
    async with session_maker() as session, session.begin():
        assert await close(session, handoff_id=handoff.id, agent_id=agent.id, at=T0)
    assert (await jobs.read(read))[1] is False
    assert (await jobs.read(partial(get_item_handed_off, key=KEY, conversation_id="conv-2")))[1] is False
