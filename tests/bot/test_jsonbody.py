"""Reading a request body: one already received in full is taken at once, and still held to the limit."""

from __future__ import annotations

import asyncio
from unittest import mock

import pytest
from aiohttp import streams
from aiohttp.test_utils import make_mocked_request

from bot.errors import BodyTooLargeError
from bot.jsonbody import loads_bounded, read_body


def _payload(*chunks: bytes, ended: bool) -> streams.StreamReader:
    protocol = mock.Mock(_reading_paused=False)
    payload = streams.StreamReader(protocol, limit=2**16, loop=asyncio.get_running_loop())
    for chunk in chunks:
        payload.feed_data(chunk)
    if ended:
        payload.feed_eof()
    return payload


async def test_a_body_received_in_full_is_read_at_once() -> None:
    payload = _payload(b'{"a": ', b"1}", ended=True)
    request = make_mocked_request("POST", "/", headers={"Transfer-Encoding": "chunked"}, payload=payload)
    assert await read_body(request, limit=8) == b'{"a": 1}'


async def test_a_body_received_in_full_over_the_limit_is_refused() -> None:
    # No Content-Length to refuse it by: the chunks had all arrived before the handler looked.
    payload = _payload(b"x" * 600, b"y" * 600, ended=True)
    request = make_mocked_request("POST", "/", headers={"Transfer-Encoding": "chunked"}, payload=payload)
    with pytest.raises(BodyTooLargeError):
        await read_body(request, limit=1000)


async def test_a_body_still_arriving_is_read_as_it_comes() -> None:
    payload = _payload(b'{"a": ', ended=False)
    request = make_mocked_request("POST", "/", headers={"Transfer-Encoding": "chunked"}, payload=payload)
    reading = asyncio.create_task(read_body(request, limit=100))
    await asyncio.sleep(0)
    assert not reading.done()
    payload.feed_data(b"1}")
    payload.feed_eof()
    assert await reading == b'{"a": 1}'


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        (b'{"t": "a\\u0000b", "k\\ud800": ["\\udc00"]}', {"t": "a\ufffdb", "k\ufffd": ["\ufffd"]}),
        (b'{"t": "caf\\u00e9 \\ud83d\\ude00"}', {"t": "café 😀"}),  # escapes of storable text stay as they are
        ('{"t": "a\ud800"}', {"t": "a\ufffd"}),  # a str may hold a lone surrogate raw
        (b'{"t": "plain"}', {"t": "plain"}),
    ],
)
def test_a_storable_body_has_no_nul_nor_lone_surrogate(raw: bytes | str, read: object) -> None:
    assert loads_bounded(raw, storable=True) == read


def test_without_storable_the_strings_are_as_sent() -> None:
    assert loads_bounded(b'{"t": "a\\u0000b"}') == {"t": "a\x00b"}
