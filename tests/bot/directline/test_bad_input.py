"""Every kind of bad request gets a 4xx with a JSON reason, and the server stays healthy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from store.db import SessionMaker
from tests.bot.directline.harness import SECRET, Gateway, auth, is_text, running_gateway


async def _error(response: aiohttp.ClientResponse) -> dict[str, Any]:
    body: dict[str, Any] = await response.json()
    error: dict[str, Any] = body["error"]
    assert set(body) == {"error"} and set(error) == {"code", "message"}
    return error


async def _conversation(gw: Gateway) -> tuple[str, str]:
    issued = await gw.token()
    await gw.start(issued["token"])
    return issued["token"], issued["conversationId"]


async def _still_healthy(gw: Gateway, token: str, conversation_id: str) -> None:
    response = await gw.post(token, conversation_id, {"type": "message", "text": "still there?"})
    assert response.status == 200
    await gw.wait_for(token, conversation_id, is_text("echo: still there?"))


BAD_BODIES = [
    pytest.param(b"{not json", "application/json", 400, "MalformedJson", id="malformed-json"),
    pytest.param(b"\xff\xfe\x00", "application/json", 400, "MalformedJson", id="not-utf8"),
    pytest.param(b"", "application/json", 400, "MalformedJson", id="empty"),
    pytest.param(b'{"type": "message"}', "text/plain", 415, "UnsupportedMediaType", id="text-plain"),
    pytest.param(b'{"type": "message"}', "application/x-www-form-urlencoded", 415, "UnsupportedMediaType", id="form"),
    pytest.param(b"[1, 2]", "application/json", 400, "BadArgument", id="array"),
    pytest.param(b'{"text": "no type"}', "application/json", 400, "BadArgument", id="missing-type"),
    pytest.param(b'{"type": 7}', "application/json", 400, "BadArgument", id="type-not-string"),
    pytest.param(b'{"type": "message", "text": {"a": 1}}', "application/json", 400, "BadArgument", id="text-object"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "code"), BAD_BODIES)
async def test_bad_activity_bodies(
    session_maker: SessionMaker, body: bytes, content_type: str, status: int, code: str
) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _conversation(gw)
        url = f"{gw.base}/v3/directline/conversations/{conversation_id}/activities"
        headers = {**auth(token), "Content-Type": content_type}
        async with gw.http.post(url, data=body, headers=headers) as response:
            assert response.status == status
            assert (await _error(response))["code"] == code
        await _still_healthy(gw, token, conversation_id)


async def test_body_over_the_limit_with_content_length(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _conversation(gw)
        url = f"{gw.base}/v3/directline/conversations/{conversation_id}/activities"
        body = b'{"type": "message", "text": "' + b"a" * (256 * 1024) + b'"}'
        async with gw.http.post(url, data=body, headers={**auth(token), "Content-Type": "application/json"}) as r:
            assert r.status == 413
            assert (await _error(r))["code"] == "BodyTooLarge"
        await _still_healthy(gw, token, conversation_id)


async def test_body_over_the_limit_without_content_length(session_maker: SessionMaker) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"type": "message", "text": "'
        for _ in range(40):
            yield b"a" * 8192
        yield b'"}'

    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _conversation(gw)
        url = f"{gw.base}/v3/directline/conversations/{conversation_id}/activities"
        headers = {**auth(token), "Content-Type": "application/json"}
        async with gw.http.post(url, data=chunks(), headers=headers) as response:
            assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
            assert response.status == 413
            assert (await _error(response))["code"] == "BodyTooLarge"
        await _still_healthy(gw, token, conversation_id)


async def test_body_just_under_the_limit_is_taken(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker, max_body=4096) as gw:
        token, conversation_id = await _conversation(gw)
        text = "a" * (4096 - len('{"type": "message", "text": ""}'))
        response = await gw.post(token, conversation_id, {"type": "message", "text": text})
        assert response.status == 200


@pytest.mark.parametrize(
    ("header", "status", "code"),
    [
        (None, 401, "TokenMissing"),
        ("Basic dXNlcjpwYXNz", 401, "TokenMissing"),
        ("Bearer ", 401, "TokenMissing"),
        ("Bearer not-a-token", 403, "TokenInvalid"),
        ("Bearer a.b.c", 403, "TokenInvalid"),
        (f"Bearer {SECRET}x", 403, "TokenInvalid"),
    ],
    ids=["none", "basic", "empty-bearer", "garbage", "three-parts", "almost-the-secret"],
)
async def test_bad_credentials(session_maker: SessionMaker, header: str | None, status: int, code: str) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _conversation(gw)
        headers = {} if header is None else {"Authorization": header}
        base = f"{gw.base}/v3/directline/conversations/{conversation_id}"
        for method, url in [
            ("POST", f"{base}/activities"),
            ("GET", f"{base}/activities"),
            ("GET", base),
            ("POST", f"{gw.base}/v3/directline/conversations"),
            ("POST", f"{gw.base}/v3/directline/tokens/refresh"),
        ]:
            async with gw.http.request(method, url, json={"type": "message"}, headers=headers) as response:
                assert response.status == status, (method, url)
                assert (await _error(response))["code"] == code
        await _still_healthy(gw, token, conversation_id)


async def test_unknown_conversation_with_the_secret_is_404(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        base = f"{gw.base}/v3/directline/conversations/does-not-exist"
        for method, url in [("POST", f"{base}/activities"), ("GET", f"{base}/activities"), ("GET", base)]:
            async with gw.http.request(method, url, json={"type": "message"}, headers=auth(SECRET)) as response:
                assert response.status == 404, (method, url)
                assert (await _error(response))["code"] == "ConversationNotFound"


@pytest.mark.parametrize("watermark", ["abc", "-1", "1.5"])
async def test_bad_watermark(session_maker: SessionMaker, watermark: str) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _conversation(gw)
        base = f"{gw.base}/v3/directline/conversations/{conversation_id}"
        for url in (f"{base}/activities", base):
            async with gw.http.get(url, params={"watermark": watermark}, headers=auth(token)) as response:
                assert response.status == 400
                assert (await _error(response))["code"] == "BadArgument"


async def test_stream_refusals(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        token, conversation_id = await _conversation(gw)
        url = f"{gw.base}/v3/directline/conversations/{conversation_id}/stream"
        async with gw.http.get(url, params={"t": token}) as response:
            assert response.status == 400  # not a WebSocket upgrade
            assert (await _error(response))["code"] == "BadArgument"
        async with gw.http.get(url) as response:
            assert response.status == 401
        for bad, status in [("garbage", 403), (token, 400)]:
            params = {"t": bad, "watermark": "x"} if bad == token else {"t": bad}
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await gw.http.ws_connect(
                    f"{gw.ws_base}/v3/directline/conversations/{conversation_id}/stream", params=params
                )
            assert refused.value.status == status
        await _still_healthy(gw, token, conversation_id)


async def test_start_with_a_malformed_body(session_maker: SessionMaker) -> None:
    async with running_gateway(session_maker) as gw:
        issued = await gw.token()
        headers = {**auth(issued["token"]), "Content-Type": "application/json"}
        async with gw.http.post(f"{gw.base}/v3/directline/conversations", data=b"{", headers=headers) as response:
            assert response.status == 400
            assert (await _error(response))["code"] == "MalformedJson"
