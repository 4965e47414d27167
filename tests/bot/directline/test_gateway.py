"""The Direct Line gateway against a real botbuilder echo bot: tokens, conversations, activities, streams."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.directline import DIRECTLINE_SERVICE
from store.db import SessionMaker, create_engine, session_factory
from store.directline import pending_activities
from store.migrate import upgrade_async
from tests.bot.directline.harness import (
    FAILED,
    GREETING,
    SECRET,
    SHUTDOWN_TIMEOUT,
    FakeClock,
    Gateway,
    auth,
    frames_until,
    is_text,
    next_frame,
    running_gateway,
)


async def _started(gw: Gateway) -> tuple[str, str, dict[str, Any]]:
    issued = await gw.token()
    started = await gw.start(issued["token"])
    return issued["token"], issued["conversationId"], started


async def _error(response: aiohttp.ClientResponse) -> dict[str, Any]:
    body: dict[str, Any] = await response.json()
    error: dict[str, Any] = body["error"]
    assert set(body) == {"error"} and set(error) == {"code", "message"}
    return error


# --- tokens -------------------------------------------------------------------------------------------


async def test_website_token_endpoint_issues_a_token_for_a_new_conversation(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        first, second = await gw.token(), await gw.token()
    assert set(first) == {"token", "conversationId", "expires_in"}
    assert first["expires_in"] == 1800
    assert first["conversationId"] != second["conversationId"]
    payload = json.loads(base64.urlsafe_b64decode(first["token"].split(".")[1] + "=="))
    # Web Chat reads the user id from the token; Direct Line reserves "dl_" for ids a token vouches for.
    assert payload["user"].startswith("dl_")
    assert SECRET not in json.dumps(first)


async def test_token_endpoint_refuses_cross_site_requests(session_maker: SessionMaker) -> None:
    async with (
        running_gateway(session_maker) as gw,
        gw.http.post(f"{gw.base}/api/webchat/token", headers={"Sec-Fetch-Site": "cross-site"}) as response,
    ):
        assert response.status == 403
        assert (await _error(response))["code"] == "CrossSite"


async def test_generate_needs_the_secret(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        url = f"{gw.base}/v3/directline/tokens/generate"
        async with gw.http.post(url, headers=auth(SECRET)) as response:
            assert response.status == 200
            generated = await response.json()
        async with gw.http.post(url, headers=auth(SECRET), json={"user": {"id": "dl_known_user"}}) as response:
            assert response.status == 200
            named = await response.json()
        async with gw.http.post(url) as response:
            assert response.status == 401
            assert (await _error(response))["code"] == "TokenMissing"
        async with gw.http.post(url, headers=auth(generated["token"])) as response:
            assert response.status == 403
        async with gw.http.post(url, headers=auth(SECRET), json={"user": {"id": "alice"}}) as response:
            assert response.status == 400
        async with gw.http.post(url, headers=auth(SECRET), json={"user": "alice"}) as response:
            assert response.status == 400
        started = await gw.start(named["token"])
        assert started["conversationId"] == named["conversationId"]
        greeting = await gw.wait_for(named["token"], named["conversationId"], is_text(GREETING))
    assert greeting["recipient"]["id"] == "dl_known_user"


async def test_refresh_gives_a_new_token_for_the_same_conversation(session_maker: SessionMaker) -> None:
    clock = FakeClock()
    async with running_gateway(session_maker, clock=clock) as gw:
        token, conversation_id, started = await _started(gw)
        clock.advance(timedelta(minutes=20))
        async with gw.http.post(f"{gw.base}/v3/directline/tokens/refresh", headers=auth(token)) as response:
            assert response.status == 200
            refreshed = await response.json()
        assert refreshed["conversationId"] == conversation_id
        assert refreshed["token"] != token
        clock.advance(timedelta(minutes=15))
        # The old token is past its 30 minutes; the refreshed one has 15 left.
        assert (await gw.post(token, conversation_id, {"type": "message", "text": "old"})).status == 403
        response = await gw.post(refreshed["token"], conversation_id, {"type": "message", "text": "new"})
        assert response.status == 200
        async with gw.http.post(f"{gw.base}/v3/directline/tokens/refresh", headers=auth(token)) as response:
            assert response.status == 403
            assert (await _error(response))["code"] == "TokenExpired"
        stream_token = started["streamUrl"].split("t=")[1].split("&")[0]
        async with gw.http.post(f"{gw.base}/v3/directline/tokens/refresh", headers=auth(stream_token)) as response:
            # Only a conversation token refreshes (this one is also past its 2 minutes by now).
            assert response.status == 403


async def test_expired_token_is_refused_with_a_reason(session_maker: SessionMaker) -> None:
    clock = FakeClock()
    async with running_gateway(session_maker, clock=clock) as gw:
        token, conversation_id, _ = await _started(gw)
        clock.advance(timedelta(minutes=30))
        url = f"{gw.base}/v3/directline/conversations/{conversation_id}/activities"
        async with gw.http.get(url, headers=auth(token)) as response:
            assert response.status == 403
            assert (await _error(response))["code"] == "TokenExpired"


async def test_a_token_for_one_conversation_cannot_touch_another(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token_a, _, _ = await _started(gw)
        token_b, conversation_b, started_b = await _started(gw)
        base = f"{gw.base}/v3/directline/conversations/{conversation_b}"
        async with gw.http.get(f"{base}/activities", headers=auth(token_a)) as response:
            assert response.status == 403
            assert (await _error(response))["code"] == "TokenScope"
        async with gw.http.post(f"{base}/activities", headers=auth(token_a), json={"type": "message"}) as response:
            assert response.status == 403
        async with gw.http.get(base, headers=auth(token_a)) as response:
            assert response.status == 403
        stream_a = (await gw.start(token_a))["streamUrl"].split("t=")[1]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await gw.http.ws_connect(f"{gw.ws_base}/v3/directline/conversations/{conversation_b}/stream?t={stream_a}")
        assert refused.value.status == 403
        # A token for an id that does not exist gets the same answer: ids cannot be probed.
        async with gw.http.get(f"{gw.base}/v3/directline/conversations/nope/activities", headers=auth(token_a)) as r:
            assert r.status == 403
        # The stream-only token of B cannot post to B either.
        stream_b = started_b["streamUrl"].split("t=")[1]
        assert (await gw.post(stream_b, conversation_b, {"type": "message"})).status == 403
        assert (await gw.post(token_b, conversation_b, {"type": "message", "text": "ok"})).status == 200


# --- conversations and activities -----------------------------------------------------------------------


async def test_start_greets_and_is_idempotent(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        issued = await gw.token()
        url = f"{gw.base}/v3/directline/conversations"
        async with gw.http.post(url, headers=auth(issued["token"])) as response:
            assert response.status == 201
            first = await response.json()
        async with gw.http.post(url, headers=auth(issued["token"]), json={"locale": "en-GB"}) as response:
            assert response.status == 200
            again = await response.json()
        # The greeting's turn runs in this process: once it is over, everything the starts caused is stored.
        await gw.app[DIRECTLINE_SERVICE].greeted(issued["conversationId"])
        activities = (await gw.activities(issued["token"], issued["conversationId"]))["activities"]
    assert first["conversationId"] == again["conversationId"] == issued["conversationId"]
    assert first["token"] == issued["token"]
    assert first["streamUrl"].startswith(
        f"{gw.ws_base}/v3/directline/conversations/{issued['conversationId']}/stream?t="
    )
    assert [a["text"] for a in activities] == [GREETING]


async def test_start_with_the_secret_creates_a_conversation_and_never_echoes_the_secret(
    session_maker: SessionMaker,
) -> None:
    async with running_gateway(session_maker) as gw:
        async with gw.http.post(f"{gw.base}/v3/directline/conversations", headers=auth(SECRET)) as response:
            assert response.status == 201
            started = await response.json()
        assert SECRET not in json.dumps(started)
        await gw.wait_for(started["token"], started["conversationId"], is_text(GREETING))


async def test_resume_returns_a_stream_url_with_the_watermark(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id, _ = await _started(gw)
        url = f"{gw.base}/v3/directline/conversations/{conversation_id}"
        async with gw.http.get(url, params={"watermark": "3"}, headers=auth(token)) as response:
            assert response.status == 200
            resumed = await response.json()
        async with gw.http.get(url, params={"watermark": ""}, headers=auth(token)) as response:
            assert response.status == 200
    assert resumed["conversationId"] == conversation_id
    assert resumed["streamUrl"].endswith("&watermark=3")


async def test_post_echoes_forwards_and_the_reply_arrives_with_watermarks(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id, _ = await _started(gw)
        await gw.wait_for(token, conversation_id, is_text(GREETING))
        after_greeting = (await gw.activities(token, conversation_id))["watermark"]
        posted = {
            "type": "message",
            "text": "my server is down",
            "from": {"id": "spoofed", "name": "Alice"},
            "channelData": {"clientActivityID": "client-1"},
            "locale": "en-US",
        }
        response = await gw.post(token, conversation_id, posted)
        assert response.status == 200
        activity_id = (await response.json())["id"]
        reply = await gw.wait_for(token, conversation_id, is_text("echo: my server is down"))
        newer = await gw.activities(token, conversation_id, watermark=after_greeting)
        latest = await gw.activities(token, conversation_id, watermark=newer["watermark"])
    assert activity_id == f"{conversation_id}|0000002"
    echo, bot_reply = newer["activities"]
    assert echo["id"] == activity_id
    assert echo["channelData"] == {"clientActivityID": "client-1"}
    assert echo["from"]["role"] == "user" and echo["from"]["id"].startswith("dl_") and echo["from"]["name"] == "Alice"
    assert echo["recipient"] == {"id": "intake-bot", "role": "bot", "name": "Echo"}
    assert echo["serviceUrl"] == gw.config.service_url and echo["channelId"] == "directline"
    assert echo["timestamp"].endswith("Z") and echo["conversation"] == {"id": conversation_id}
    assert bot_reply == reply and reply["from"]["role"] == "bot"
    assert reply["id"] == f"{conversation_id}|0000003"
    assert newer["watermark"] == "3"
    assert latest == {"activities": [], "watermark": "3"}


async def test_websocket_stream_delivers_greeting_echo_and_reply(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id, started = await _started(gw)
        async with gw.http.ws_connect(started["streamUrl"]) as ws:
            greeting, _ = await frames_until(ws, is_text(GREETING))
            response = await gw.post(
                token, conversation_id, {"type": "message", "text": "hi", "channelData": {"clientActivityID": "c-9"}}
            )
            activity_id = (await response.json())["id"]
            reply, seen = await frames_until(ws, is_text("echo: hi"))
            await ws.send_str("")  # directlinejs's keep-alive must not disturb the stream
    echo = next(a for a in seen if a["id"] == activity_id)
    assert echo["channelData"]["clientActivityID"] == "c-9" and echo["from"]["role"] == "user"
    assert greeting["id"].endswith("|0000001") and reply["from"]["role"] == "bot"


async def test_websocket_resumes_after_its_watermark(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id, _ = await _started(gw)
        await gw.post(token, conversation_id, {"type": "message", "text": "one"})
        await gw.wait_for(token, conversation_id, is_text("echo: one"))
        url = f"{gw.base}/v3/directline/conversations/{conversation_id}"
        async with gw.http.get(url, params={"watermark": "2"}, headers=auth(token)) as response:
            stream_url = (await response.json())["streamUrl"]
        async with gw.http.ws_connect(stream_url) as ws:
            frame = await next_frame(ws)
    assert [a["text"] for a in frame["activities"]] == ["echo: one"]
    assert frame["watermark"] == "3"


async def test_stream_sees_activities_written_by_another_process(session_maker: SessionMaker) -> None:
    # Two gateways on one database stand for two processes: B's stream must learn of A's writes by polling.
    async with running_gateway(session_maker) as a, running_gateway(session_maker) as b:
        token, conversation_id, started = await _started(a)
        await a.wait_for(token, conversation_id, is_text(GREETING))
        stream_on_b = started["streamUrl"].replace(a.ws_base, b.ws_base)
        async with b.http.ws_connect(stream_on_b + "&watermark=1") as ws:
            await a.post(token, conversation_id, {"type": "message", "text": "via A"})
            _, seen = await frames_until(ws, is_text("echo: via A"))
    assert [x.get("text") for x in seen] == ["via A", "echo: via A"]


async def test_restart_keeps_conversations_and_activities(db_url: str) -> None:
    await upgrade_async(db_url)
    first_engine = create_engine(db_url)
    async with running_gateway(session_factory(first_engine)) as gw:
        token, conversation_id, _ = await _started(gw)
        await gw.wait_for(token, conversation_id, is_text(GREETING))
        await gw.post(token, conversation_id, {"type": "message", "text": "before"})
        await gw.wait_for(token, conversation_id, is_text("echo: before"))
    await first_engine.dispose()
    second_engine = create_engine(db_url)
    try:
        async with running_gateway(session_factory(second_engine)) as gw:
            before = await gw.activities(token, conversation_id)
            response = await gw.post(token, conversation_id, {"type": "message", "text": "after"})
            assert response.status == 200
            assert (await response.json())["id"] == f"{conversation_id}|0000004"
            await gw.wait_for(token, conversation_id, is_text("echo: after"))
            # Starting again does not greet twice.
            assert (await gw.start(token))["conversationId"] == conversation_id
    finally:
        await second_engine.dispose()
    assert [a["text"] for a in before["activities"]] == [GREETING, "before", "echo: before"]


async def test_shutdown_closes_open_streams_promptly(session_maker: SessionMaker) -> None:
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as browser:
        async with running_gateway(session_maker) as gw:
            _, _, started = await _started(gw)
            ws = await browser.ws_connect(started["streamUrl"])
            await next_frame(ws)
            # Like a browser, the client keeps reading, so it answers the server's close at once.
            closing = asyncio.create_task(ws.receive())
            begun = loop.time()
        # Leaving the block ran runner.cleanup(): it must not wait out the shutdown timeout for the socket.
        assert loop.time() - begun < SHUTDOWN_TIMEOUT / 2
        message = await asyncio.wait_for(closing, 2)
        assert message.type == aiohttp.WSMsgType.CLOSE
        assert message.data == aiohttp.WSCloseCode.GOING_AWAY


async def test_no_message_text_in_logs(session_maker: SessionMaker, caplog: pytest.LogCaptureFixture) -> None:
    # INFO everywhere (the driver's DEBUG log echoes SQL parameters by design), DEBUG for the gateway.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot.directline")
    async with running_gateway(session_maker) as gw:
        token, conversation_id, _ = await _started(gw)
        await gw.post(token, conversation_id, {"type": "message", "text": "PRIVATE-4242 my password is hunter2"})
        await gw.wait_for(token, conversation_id, is_text("echo: PRIVATE-4242 my password is hunter2"))
        await gw.post(token, conversation_id, {"type": "message", "text": 42})
    # The gateway's own lines and the refusal of the non-text message (logged by the error middleware).
    gateway_logs = [r.getMessage() for r in caplog.records if r.name.startswith(("bot.directline", "bot.errors"))]
    assert gateway_logs
    assert not [line for line in caplog.messages if "PRIVATE-4242" in line]


# --- the bot -------------------------------------------------------------------------------------------


async def test_a_failing_bot_turn_answers_with_the_error_handler_and_is_not_left_pending(
    session_maker: SessionMaker,
) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id, _ = await _started(gw)
        response = await gw.post(token, conversation_id, {"type": "message", "text": "crash"})
        assert response.status == 200
        activities = (await gw.activities(token, conversation_id))["activities"]
    assert [a.get("text") for a in activities] == [GREETING, "crash", FAILED]
    assert not await pending_activities(session_maker, created_before=datetime.now(UTC) + timedelta(days=1))
