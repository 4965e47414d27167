"""The gateway hands activities to the bot in process: exactly once, replies kept, nothing stored unread."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.directline import DIRECTLINE_SERVICE
from bot.directline.adapter import reply_key
from store.db import SessionMaker
from store.directline import append_activity, pending_activities
from tests.bot.directline.harness import GREETING, FakeClock, Gateway, auth, is_text, running_gateway


async def _started(gw: Gateway) -> tuple[str, str]:
    issued = await gw.token()
    await gw.start(issued["token"])
    await gw.app[DIRECTLINE_SERVICE].greeted(issued["conversationId"])
    return issued["token"], issued["conversationId"]


def _texts(activities: list[dict[str, Any]]) -> list[str | None]:
    return [a.get("text") for a in activities]


async def test_a_resent_activity_is_stored_and_answered_once(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _started(gw)
        activity = {"type": "message", "text": "hello", "channelData": {"clientActivityID": "web-1"}}
        first = await gw.post(token, conversation_id, activity)
        again = await gw.post(token, conversation_id, activity)
        assert first.status == again.status == 200
        activities = (await gw.activities(token, conversation_id))["activities"]
    assert (await first.json())["id"] == (await again.json())["id"]
    assert _texts(activities) == [GREETING, "hello", "echo: hello"]
    assert len(gw.bot.turns) == 2  # the greeting and one message


async def test_concurrent_resends_wait_for_the_one_turn(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _started(gw)
        activity = {"type": "message", "text": "at once", "channelData": {"clientActivityID": "web-2"}}
        responses = await asyncio.gather(*(gw.post(token, conversation_id, activity) for _ in range(20)))
        ids = {(await response.json())["id"] for response in responses}
        activities = (await gw.activities(token, conversation_id))["activities"]
    assert [response.status for response in responses] == [200] * 20
    assert len(ids) == 1
    assert _texts(activities) == [GREETING, "at once", "echo: at once"]


async def test_activities_without_a_client_id_are_each_taken(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _started(gw)
        for _ in range(2):
            assert (await gw.post(token, conversation_id, {"type": "message", "text": "twice"})).status == 200
        activities = (await gw.activities(token, conversation_id))["activities"]
    assert _texts(activities) == [GREETING, "twice", "echo: twice", "twice", "echo: twice"]


async def test_a_pending_activity_left_by_a_dead_process_is_taken_at_start(session_maker: SessionMaker) -> None:
    clock = FakeClock()
    async with running_gateway(session_maker, clock=clock) as gw:
        token, conversation_id = await _started(gw)
    # What a process that died after storing the customer's words, before the bot took them, leaves behind.
    stored = await append_activity(
        session_maker,
        conversation_id=conversation_id,
        activity={**_user(conversation_id), "text": "lost?"},
        now=clock.now,
        client_key="client:web-3",
        pending=True,
    )
    assert stored is not None
    clock.advance(timedelta(minutes=1))
    async with running_gateway(session_maker, clock=clock) as gw:
        reply = await gw.wait_for(token, conversation_id, is_text("echo: lost?"))
        activities = (await gw.activities(token, conversation_id))["activities"]
        # Whatever the client resends now is the same activity, already answered.
        resent = await gw.post(
            token, conversation_id, {"type": "message", "text": "lost?", "channelData": {"clientActivityID": "web-3"}}
        )
        assert (await resent.json())["id"] == stored.activity_id
    assert reply["from"]["role"] == "bot"
    assert _texts(activities) == [GREETING, "lost?", "echo: lost?"]
    assert not await pending_activities(session_maker, created_before=clock.now + timedelta(days=1))


async def test_a_replayed_turn_does_not_repeat_replies_already_stored(session_maker: SessionMaker) -> None:
    clock = FakeClock()
    async with running_gateway(session_maker, clock=clock) as gw:
        token, conversation_id = await _started(gw)
    stored = await append_activity(
        session_maker,
        conversation_id=conversation_id,
        activity={**_user(conversation_id), "text": "half"},
        now=clock.now,
        pending=True,
    )
    assert stored is not None
    # The process died after storing the bot's reply but before marking the activity taken.
    await append_activity(
        session_maker,
        conversation_id=conversation_id,
        activity={"type": "message", "text": "echo: half", "from": {"id": "intake-bot", "role": "bot"}},
        now=clock.now,
        client_key=reply_key(stored.activity_id, 0),
    )
    clock.advance(timedelta(minutes=1))
    async with running_gateway(session_maker, clock=clock) as gw:
        await _nothing_pending(session_maker, clock)  # the sweep at start has taken it again
        activities = (await gw.activities(token, conversation_id))["activities"]
    assert _texts(activities) == [GREETING, "half", "echo: half"]


async def test_an_activity_still_in_its_turn_is_not_recovered(session_maker: SessionMaker) -> None:
    clock = FakeClock()
    async with running_gateway(session_maker, clock=clock) as gw:
        _token, conversation_id = await _started(gw)
        await append_activity(
            session_maker,
            conversation_id=conversation_id,
            activity={**_user(conversation_id), "text": "young"},
            now=clock.now,
            pending=True,
        )
        # Younger than the bot's timeout: its own process may still be running its turn.
        assert await gw.app[DIRECTLINE_SERVICE].recover() == 0


@pytest.mark.parametrize(
    "extra",
    [{"membersAdded": 0}, {"localTimestamp": "yesterday"}, {"attachments": [1]}, {"entities": [3]}],
    ids=["members-added", "local-timestamp", "attachments", "entities"],
)
async def test_what_the_bot_cannot_read_is_refused_before_anything_is_stored(
    session_maker: SessionMaker, extra: dict[str, Any]
) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _started(gw)
        response = await gw.post(token, conversation_id, {"type": "message", "text": "x", **extra})
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "BadArgument"
        activities = (await gw.activities(token, conversation_id))["activities"]
    assert _texts(activities) == [GREETING]


async def test_text_no_database_can_store_is_replaced(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _started(gw)
        url = f"{gw.base}/v3/directline/conversations/{conversation_id}/activities"
        raw = b'{"type": "message", "text": "a\\u0000b\\ud800c"}'
        headers = {**auth(token), "Content-Type": "application/json"}
        async with gw.http.post(url, data=raw, headers=headers) as response:
            assert response.status == 200
        activities = (await gw.activities(token, conversation_id))["activities"]
    assert _texts(activities) == [GREETING, "a\ufffdb\ufffdc", "echo: a\ufffdb\ufffdc"]


async def test_the_bot_edits_and_deletes_its_own_activities(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _started(gw)
        await gw.post(token, conversation_id, {"type": "message", "text": "edit"})
        await gw.post(token, conversation_id, {"type": "message", "text": "delete"})
        activities = (await gw.activities(token, conversation_id))["activities"]
    # An edit moves the activity to a new position (streams see it again) under the same id.
    assert _texts(activities) == [GREETING, "edit", "final", "delete"]
    final = activities[2]
    assert final["id"] == f"{conversation_id}|0000003" and final["from"]["role"] == "bot"


async def _nothing_pending(session_maker: SessionMaker, clock: FakeClock, wait_s: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while await pending_activities(session_maker, created_before=clock.now + timedelta(days=1)):
        assert loop.time() < deadline, "a pending activity was never taken"
        await asyncio.sleep(0.02)


async def test_the_bot_learns_the_clients_address_from_the_gateway_alone(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _started(gw)
        spoofed = {"type": "message", "text": "where am I?", "channelData": {"intake_client": {"address": "1.2.3.4"}}}
        await gw.post(token, conversation_id, spoofed)
        activities = (await gw.activities(token, conversation_id))["activities"]
    # The address reaches the bot's turn but is not stored with the customer's activity.
    assert _texts(activities)[-1] == "from {'address': '127.0.0.1'}"
    assert "intake_client" not in activities[-2].get("channelData", {})


def _user(conversation_id: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channelId": "directline",
        "serviceUrl": "http://127.0.0.1/",
        "conversation": {"id": conversation_id},
        "from": {"id": "dl_user", "role": "user"},
        "recipient": {"id": "intake-bot", "role": "bot"},
    }
