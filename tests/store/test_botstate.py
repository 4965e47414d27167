"""Bot Framework Storage on SQL: MemoryStorage's eTag semantics, across processes."""

from __future__ import annotations

import pytest
from botbuilder.core import ConversationState, MemoryStorage, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from store.botstate import SqlStorage
from store.db import SessionMaker
from store.errors import StorageConflictError, StorageItemError


async def test_write_read_delete(session_maker: SessionMaker) -> None:
    storage = SqlStorage(session_maker)
    await storage.write({"a": {"count": 1, "nested": {"x": [1, 2]}}, "b": {"name": "bee"}})
    items = await storage.read(["a", "b", "missing"])
    assert set(items) == {"a", "b"}
    assert items["a"]["count"] == 1
    assert items["a"]["nested"] == {"x": [1, 2]}
    assert items["a"]["e_tag"]
    assert items["a"]["e_tag"] != items["b"]["e_tag"]
    await storage.delete(["a", "missing"])
    assert set(await storage.read(["a", "b"])) == {"b"}
    assert await storage.read([]) == {}


async def test_every_write_gets_a_new_etag(session_maker: SessionMaker) -> None:
    storage = SqlStorage(session_maker)
    await storage.write({"k": {"n": 1}})
    first = (await storage.read(["k"]))["k"]
    first["n"] = 2
    await storage.write({"k": first})
    second = (await storage.read(["k"]))["k"]
    assert second["n"] == 2
    assert second["e_tag"] != first["e_tag"]


async def test_stale_etag_write_raises_and_keeps_the_newer_item(session_maker: SessionMaker) -> None:
    one, two = SqlStorage(session_maker), SqlStorage(session_maker)
    await one.write({"conv": {"turn": 0}})
    seen_by_one = (await one.read(["conv"]))["conv"]
    seen_by_two = (await two.read(["conv"]))["conv"]
    seen_by_two["turn"] = 2
    await two.write({"conv": seen_by_two})
    seen_by_one["turn"] = 1
    with pytest.raises(StorageConflictError):
        await one.write({"conv": seen_by_one})
    with pytest.raises(KeyError):  # what MemoryStorage raises, for code written against it
        await one.write({"conv": seen_by_one})
    assert (await one.read(["conv"]))["conv"]["turn"] == 2


async def test_conflicting_batch_writes_nothing(session_maker: SessionMaker) -> None:
    storage = SqlStorage(session_maker)
    await storage.write({"x": {"v": 1}})
    await storage.write({"x": {"v": 2}})
    with pytest.raises(StorageConflictError):
        await storage.write({"y": {"v": 1}, "x": {"v": 3, "e_tag": "stale"}})
    assert set(await storage.read(["x", "y"])) == {"x"}


async def test_star_and_missing_etags_overwrite(session_maker: SessionMaker) -> None:
    storage = SqlStorage(session_maker)
    await storage.write({"k": {"v": 1}})
    await storage.write({"k": {"v": 2, "e_tag": "*"}})
    await storage.write({"k": {"v": 3}})
    assert (await storage.read(["k"]))["k"]["v"] == 3
    # Like MemoryStorage, an eTag on an item that does not exist yet is no conflict.
    await storage.write({"new": {"v": 1, "e_tag": "from-elsewhere"}})
    assert (await storage.read(["new"]))["new"]["v"] == 1


async def test_empty_etag_is_refused(session_maker: SessionMaker) -> None:
    with pytest.raises(StorageItemError):
        await SqlStorage(session_maker).write({"k": {"e_tag": ""}})


async def test_store_items_come_back_as_objects(session_maker: SessionMaker) -> None:
    storage = SqlStorage(session_maker)
    await storage.write({"item": StoreItem(counter=3, label="x")})
    item = (await storage.read(["item"]))["item"]
    assert isinstance(item, StoreItem)
    assert (item.counter, item.label) == (3, "x")
    item.counter = 4
    await storage.write({"item": item})
    item.counter = 5  # its e_tag is stale now
    with pytest.raises(StorageConflictError):
        await storage.write({"item": item})


async def test_semantics_match_memory_storage(session_maker: SessionMaker) -> None:
    for storage in (MemoryStorage(), SqlStorage(session_maker)):
        await storage.write({"k": {"v": 1, "e_tag": "*"}})
        await storage.write({"k": {"v": 2, "e_tag": "*"}})
        read = (await storage.read(["k"]))["k"]
        await storage.write({"k": dict(read, v=3)})
        with pytest.raises(KeyError):
            await storage.write({"k": dict(read, v=4)})


async def test_conversation_state_round_trip(session_maker: SessionMaker) -> None:
    storage = SqlStorage(session_maker)
    adapter = TestAdapter()
    activity = Activity(
        type=ActivityTypes.message,
        channel_id="directline",
        conversation=ConversationAccount(id="conv-1"),
        from_property=ChannelAccount(id="user-1"),
        recipient=ChannelAccount(id="bot"),
        text="hi",
    )
    for turn in range(1, 3):
        state = ConversationState(storage)
        counter = state.create_property("counter")
        context = TurnContext(adapter, activity)
        await state.load(context)
        await counter.set(context, await counter.get(context, lambda: 0) + 1)
        await state.save_changes(context)
        assert await counter.get(context) == turn
    stored = await storage.read(["directline/conversations/conv-1"])
    assert stored["directline/conversations/conv-1"]["counter"] == 2
