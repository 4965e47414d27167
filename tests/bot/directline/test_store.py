"""The gateway's tables: ordered positions, ids, updates, deletes, once-only start."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from store.db import SessionMaker
from store.directline import (
    append_activities,
    append_activity,
    create_conversation,
    delete_activity,
    get_conversation,
    last_seqs,
    list_activities,
    mark_started,
    replace_activity,
)

NOW = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)


async def _conversation(session_maker: SessionMaker, conversation_id: str = "C1") -> None:
    await create_conversation(session_maker, conversation_id=conversation_id, user_id="dl_alice", now=NOW)


async def test_positions_and_ids_follow_each_other(session_maker: SessionMaker) -> None:
    await _conversation(session_maker)
    first = await append_activity(session_maker, conversation_id="C1", activity={"type": "message"}, now=NOW)
    second = await append_activity(session_maker, conversation_id="C1", activity={"type": "typing"}, now=NOW)
    assert first is not None and second is not None
    assert (first.seq, first.activity_id, first.body["id"]) == (1, "C1|0000001", "C1|0000001")
    assert (second.seq, second.activity_id) == (2, "C1|0000002")
    after_first = await list_activities(session_maker, conversation_id="C1", after_seq=1)
    assert [a.body["type"] for a in after_first] == ["typing"]
    conversation = await get_conversation(session_maker, conversation_id="C1")
    assert conversation is not None and conversation.last_seq == 2
    assert conversation.created_at == NOW


async def test_unknown_conversation(session_maker: SessionMaker) -> None:
    assert await get_conversation(session_maker, conversation_id="nope") is None
    assert await append_activity(session_maker, conversation_id="nope", activity={"type": "m"}, now=NOW) is None
    assert await mark_started(session_maker, conversation_id="nope", now=NOW) is False


async def test_concurrent_appends_get_distinct_consecutive_positions(session_maker: SessionMaker) -> None:
    await _conversation(session_maker)
    stored = await asyncio.gather(
        *(
            append_activity(session_maker, conversation_id="C1", activity={"type": "message", "n": n}, now=NOW)
            for n in range(20)
        )
    )
    assert sorted(s.seq for s in stored if s is not None) == list(range(1, 21))


async def test_a_batch_skips_keys_already_stored_and_takes_consecutive_positions(session_maker: SessionMaker) -> None:
    await _conversation(session_maker)
    before = await append_activity(session_maker, conversation_id="C1", activity={"n": 0}, now=NOW, client_key="k1")
    items = [({"n": 1}, "k1"), ({"n": 2}, None), ({"n": 3}, "k2"), ({"n": 4}, "k2"), ({"n": 5}, "k3")]
    stored = await append_activities(session_maker, conversation_id="C1", items=items, now=NOW)
    assert before is not None and stored is not None
    # k1 is the activity stored before; k2's second use is its first; the rest take the next positions.
    assert [one.seq for one in stored] == [1, 2, 3, 3, 4]
    assert [one.body["n"] for one in stored] == [0, 2, 3, 3, 5]
    listed = await list_activities(session_maker, conversation_id="C1", after_seq=0)
    assert [a.body["n"] for a in listed] == [0, 2, 3, 5]
    again = await append_activities(session_maker, conversation_id="C1", items=items, now=NOW)
    assert again is not None
    # The keyed items are the ones stored; the keyless one is a new activity each time.
    ids = [one.activity_id for one in stored]
    assert [one.activity_id for one in again] == [ids[0], "C1|0000005", *ids[2:]]


async def test_a_long_batch_repeated_is_found_whole(session_maker: SessionMaker) -> None:
    # More keys than one lookup statement takes: looked up in several.
    await _conversation(session_maker)
    items = [({"n": n}, f"k{n}") for n in range(40)]
    stored = await append_activities(session_maker, conversation_id="C1", items=items, now=NOW)
    again = await append_activities(session_maker, conversation_id="C1", items=items, now=NOW)
    assert stored is not None and again is not None
    assert [one.activity_id for one in again] == [one.activity_id for one in stored]
    conversation = await get_conversation(session_maker, conversation_id="C1")
    assert conversation is not None and conversation.last_seq == 40


async def test_writers_racing_with_one_key_store_it_once(session_maker: SessionMaker) -> None:
    await _conversation(session_maker)
    racing = [
        append_activities(
            session_maker, conversation_id="C1", items=[({"n": n}, f"other-{n}"), ({"n": "x"}, "shared")], now=NOW
        )
        for n in range(8)
    ]
    stored = [one for one in await asyncio.gather(*racing) if one is not None]
    shared = {batch[1].activity_id for batch in stored}
    assert len(stored) == 8 and len(shared) == 1
    rows = await list_activities(session_maker, conversation_id="C1", after_seq=0)
    assert sorted(str(a.body["n"]) for a in rows) == sorted([*(str(n) for n in range(8)), "x"])


async def test_conversations_count_separately(session_maker: SessionMaker) -> None:
    await _conversation(session_maker, "C1")
    await _conversation(session_maker, "C2")
    await append_activity(session_maker, conversation_id="C1", activity={"type": "m"}, now=NOW)
    other = await append_activity(session_maker, conversation_id="C2", activity={"type": "m"}, now=NOW)
    assert other is not None and other.activity_id == "C2|0000001"
    assert await last_seqs(session_maker, conversation_ids=["C1", "C2", "C3"]) == {"C1": 1, "C2": 1}
    assert await last_seqs(session_maker, conversation_ids=[]) == {}


async def test_replace_moves_the_activity_to_a_new_position_under_the_same_id(session_maker: SessionMaker) -> None:
    await _conversation(session_maker)
    await append_activity(session_maker, conversation_id="C1", activity={"type": "message", "text": "a"}, now=NOW)
    await append_activity(session_maker, conversation_id="C1", activity={"type": "message", "text": "b"}, now=NOW)
    replaced = await replace_activity(
        session_maker, conversation_id="C1", activity_id="C1|0000001", activity={"type": "message", "text": "A"}
    )
    assert replaced is not None and replaced.seq == 3 and replaced.body["id"] == "C1|0000001"
    fresh = await list_activities(session_maker, conversation_id="C1", after_seq=2)
    assert [a.body["text"] for a in fresh] == ["A"]
    assert (
        await replace_activity(session_maker, conversation_id="C1", activity_id="C1|0000009", activity={"type": "m"})
        is None
    )


async def test_delete(session_maker: SessionMaker) -> None:
    await _conversation(session_maker)
    await append_activity(session_maker, conversation_id="C1", activity={"type": "message"}, now=NOW)
    assert await delete_activity(session_maker, conversation_id="C1", activity_id="C1|0000001") is True
    assert await delete_activity(session_maker, conversation_id="C1", activity_id="C1|0000001") is False
    assert await list_activities(session_maker, conversation_id="C1", after_seq=0) == []


async def test_started_once(session_maker: SessionMaker) -> None:
    await _conversation(session_maker)
    results = await asyncio.gather(*(mark_started(session_maker, conversation_id="C1", now=NOW) for _ in range(5)))
    assert results.count(True) == 1
    conversation = await get_conversation(session_maker, conversation_id="C1")
    assert conversation is not None and conversation.started_at == NOW


async def test_page_limit(session_maker: SessionMaker) -> None:
    await _conversation(session_maker)
    for _ in range(5):
        await append_activity(session_maker, conversation_id="C1", activity={"type": "m"}, now=NOW)
    page = await list_activities(session_maker, conversation_id="C1", after_seq=0, limit=3)
    assert [a.seq for a in page] == [1, 2, 3]
