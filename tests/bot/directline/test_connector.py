"""The connector endpoints the bot replies to: loopback only, and send/reply/update/delete."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.directline.connector import connector_peer_allowed
from store.db import SessionMaker
from tests.bot.directline.harness import GREETING, Gateway, frames_until, is_text, running_gateway


def _request_from(peer: tuple[str, int] | None, headers: dict[str, str] | None = None) -> web.Request:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: peer if name == "peername" else default
    return make_mocked_request("POST", "/v3/conversations/c/activities", headers=headers, transport=transport)


@pytest.mark.parametrize(
    ("peer", "headers", "allowed"),
    [
        (("127.0.0.1", 5000), None, True),
        (("::1", 5000, 0, 0), None, True),
        (("203.0.113.9", 5000), None, False),
        (("10.1.2.3", 5000), None, False),
        (("127.0.0.1", 5000), {"X-Forwarded-For": "203.0.113.9"}, False),
        (("127.0.0.1", 5000), {"Forwarded": "for=203.0.113.9"}, False),
        (("127.0.0.1", 5000), {"X-Real-IP": "203.0.113.9"}, False),
    ],
    ids=["v4-loopback", "v6-loopback", "public", "private", "x-forwarded-for", "forwarded", "x-real-ip"],
)
def test_peer_check(peer: tuple[Any, ...], headers: dict[str, str] | None, allowed: bool) -> None:
    assert connector_peer_allowed(_request_from(peer, headers)) is allowed


async def _conversation(gw: Gateway) -> tuple[str, str]:
    issued = await gw.token()
    await gw.start(issued["token"])
    await gw.wait_for(issued["token"], issued["conversationId"], is_text(GREETING))
    return issued["token"], issued["conversationId"]


async def test_non_loopback_peer_is_refused(session_maker: SessionMaker) -> None:
    seen: list[str | None] = []

    def remote_peer(request: web.Request) -> bool:
        seen.append(request.remote)
        return False

    async with running_gateway(session_maker, peer_allowed=remote_peer) as gw:
        issued = await gw.token()
        for method, suffix in [("POST", ""), ("POST", "/x|1"), ("PUT", "/x|1"), ("DELETE", "/x|1")]:
            url = f"{gw.base}/v3/conversations/{issued['conversationId']}/activities{suffix}"
            async with gw.http.request(method, url, json={"type": "message", "text": "spoof"}) as response:
                assert response.status == 403
                assert (await response.json())["error"]["code"] == "PeerNotAllowed"
        assert (await gw.activities(issued["token"], issued["conversationId"]))["activities"] == []
    assert seen and all(remote == "127.0.0.1" for remote in seen)


async def test_proxied_request_is_refused(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        issued = await gw.token()
        url = f"{gw.base}/v3/conversations/{issued['conversationId']}/activities"
        headers = {"X-Forwarded-For": "203.0.113.9"}
        async with gw.http.post(url, json={"type": "message", "text": "spoof"}, headers=headers) as response:
            assert response.status == 403


async def test_send_reply_update_delete(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _conversation(gw)
        base = f"{gw.base}/v3/conversations/{conversation_id}/activities"
        async with gw.http.post(base, json={"type": "message", "text": "proactive"}) as response:
            assert response.status == 200
            sent_id = (await response.json())["id"]
        async with gw.http.post(f"{base}/{conversation_id}|0000001", json={"type": "typing"}) as response:
            reply_id = (await response.json())["id"]
        started = await gw.start(token)
        async with gw.http.ws_connect(started["streamUrl"] + "&watermark=3") as ws:
            async with gw.http.put(f"{base}/{sent_id}", json={"type": "message", "text": "edited"}) as response:
                assert response.status == 200
                assert (await response.json())["id"] == sent_id
            edited, _ = await frames_until(ws, is_text("edited"))
        async with gw.http.delete(f"{base}/{reply_id}") as response:
            assert response.status == 200
        async with gw.http.delete(f"{base}/{reply_id}") as response:
            assert response.status == 404
        async with gw.http.put(f"{base}/{conversation_id}|0000099", json={"type": "message"}) as response:
            assert response.status == 404
        activities = (await gw.activities(token, conversation_id))["activities"]
    assert edited["id"] == sent_id and edited["from"]["role"] == "bot"
    assert [(a["id"], a.get("text")) for a in activities] == [
        (f"{conversation_id}|0000001", GREETING),
        (sent_id, "edited"),
    ]


async def test_reply_path_sets_reply_to_id(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _conversation(gw)
        url = f"{gw.base}/v3/conversations/{conversation_id}/activities/{conversation_id}|0000001"
        async with gw.http.post(url, json={"type": "message", "text": "threaded"}) as response:
            assert response.status == 200
        reply = await gw.wait_for(token, conversation_id, is_text("threaded"))
    assert reply["replyToId"] == f"{conversation_id}|0000001"


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"{", "application/json", 400),
        (b'{"text": "no type"}', "application/json", 400),
        (b'{"type": "message"}', "text/plain", 415),
        (b'{"type": "message", "text": "' + b"a" * (256 * 1024) + b'"}', "application/json", 413),
    ],
    ids=["malformed", "missing-type", "content-type", "too-large"],
)
async def test_connector_bad_input(session_maker: SessionMaker, data: bytes, content_type: str, status: int) -> None:
    async with running_gateway(session_maker) as gw:
        issued = await gw.token()
        url = f"{gw.base}/v3/conversations/{issued['conversationId']}/activities"
        async with gw.http.post(url, data=data, headers={"Content-Type": content_type}) as response:
            assert response.status == status
            assert "error" in await response.json()


async def test_connector_unknown_conversation(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        url = f"{gw.base}/v3/conversations/nope/activities"
        async with gw.http.post(url, json={"type": "message"}) as response:
            assert response.status == 404
            assert (await response.json())["error"]["code"] == "ConversationNotFound"
        async with gw.http.delete(f"{url}/nope|0000001") as response:
            assert response.status == 404
