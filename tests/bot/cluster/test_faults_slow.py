"""Slow clients holding connections to real processes (issue #13 item 3), slowloris-style: headers trickled and
never finished, bodies never finished, Web Chat streams held open and never read. Each is closed by the
service's timeouts (IDLE_CONNECTION_SECONDS, CLIENT_TIMEOUT_SECONDS, set short here), and other customers'
intakes, by chat and by phone, complete while they are held."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.bot.cluster.customers import PhoneSettings, WebChatCustomer, report_by_chat, report_by_phone
from tests.bot.cluster.harness import Process, running_cluster
from tests.bot.cluster.test_faults import phone_env
from tests.bot.voice.harness import TOKEN as TWILIO_TOKEN
from tests.bot.voice.harness import fake_twilio_api
from tests.conftest import BACKENDS

EACH = 20  # slow connections of each kind, to each process
CUSTOMERS = 4  # website customers and callers, each, to each process
SETTINGS = {"CLIENT_TIMEOUT_SECONDS": "1", "IDLE_CONNECTION_SECONDS": "2"}
FORM = "application/x-www-form-urlencoded"
GUARD_S = 60  # only so that a service without the timeouts fails instead of hanging the run


WRITERS: list[asyncio.StreamWriter] = []  # closed by the test once the service has closed their connections


async def _connect(process: Process) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", process.port)
    WRITERS.append(writer)
    return reader, writer


async def _closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the service sends until it closes the connection (never answering anything)."""
    received = bytearray()
    try:
        while chunk := await reader.read(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return bytes(received)


async def trickled_headers(process: Process) -> asyncio.StreamReader:
    """A request whose headers start and never end."""
    reader, writer = await _connect(process)
    writer.write(b"POST /twilio/voice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-")
    await writer.drain()
    return reader


async def unfinished_body(process: Process, path: str, content_type: str, headers: str = "") -> asyncio.StreamReader:
    """Whole headers announcing a body of which only a part is ever sent."""
    reader, writer = await _connect(process)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n{headers}"
        "Content-Length: 4000\r\n\r\n".encode()
        + (b'{"type": "message", "text": "' if content_type == "application/json" else b"CallSid=CA")
    )
    await writer.drain()
    return reader


async def idle_stream(http: aiohttp.ClientSession, process: Process) -> asyncio.StreamReader:
    """A Web Chat stream opened (a valid conversation and token) and then never read: pings go unanswered."""
    base = f"http://127.0.0.1:{process.port}"
    async with http.post(f"{base}/api/webchat/token") as response:
        token = (await response.json())["token"]
    async with http.post(f"{base}/v3/directline/conversations", headers={"Authorization": f"Bearer {token}"}) as r:
        stream = urlsplit((await r.json())["streamUrl"])
    reader, writer = await _connect(process)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET {stream.path}?{stream.query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await writer.drain()
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101"), "the stream was not opened"
    return reader


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_slow_clients_are_closed_and_other_customers_go_on(db_url: str, tmp_path: Path) -> None:
    async with fake_twilio_api() as (_twilio, twilio_url):
        env = {**phone_env(twilio_url), **SETTINGS}
        async with running_cluster(db_url, tmp_path, processes=2, env=env) as cluster:
            http = cluster.http
            held: dict[str, list[asyncio.StreamReader]] = {"headers": [], "form": [], "json": [], "stream": []}
            for process in cluster.processes:
                for _ in range(EACH):
                    held["headers"].append(await trickled_headers(process))
                    held["form"].append(
                        await unfinished_body(process, "/twilio/voice", "application/x-www-form-urlencoded")
                    )
                    held["stream"].append(await idle_stream(http, process))
                base = f"http://127.0.0.1:{process.port}"
                async with http.post(f"{base}/api/webchat/token") as response:
                    issued = await response.json()
                path = f"/v3/directline/conversations/{issued['conversationId']}/activities"
                bearer = f"Authorization: Bearer {issued['token']}\r\n"
                for _ in range(EACH):
                    held["json"].append(await unfinished_body(process, path, "application/json", bearer))
            closing = {kind: [asyncio.ensure_future(_closed(r)) for r in readers] for kind, readers in held.items()}

            # While they hold their connections, customers talk to the same processes: every intake completes.
            async def chat(process: Process, n: int) -> str:
                customer = WebChatCustomer(http=http, base=f"http://127.0.0.1:{process.port}")
                try:
                    return await report_by_chat(customer, n)
                finally:
                    await customer.close()

            async def call(process: Process, n: int) -> str:
                base = f"http://127.0.0.1:{process.port}"
                return await report_by_phone(http, base, PhoneSettings(TWILIO_TOKEN, cluster.base), 500 + n)

            intakes = [
                job(process, i * CUSTOMERS + n)
                for i, process in enumerate(cluster.processes)
                for n in range(CUSTOMERS)
                for job in (chat, call)
            ]
            async with asyncio.timeout(GUARD_S):
                done = await asyncio.gather(*intakes)
                answers = {kind: await asyncio.gather(*futures) for kind, futures in closing.items()}
            assert all(p.popen.returncode is None for p in cluster.processes)
            while WRITERS:
                WRITERS.pop().close()

    assert len(done) == 2 * CUSTOMERS * len(cluster.processes) and all(done)
    # Every slow connection was closed by the service; the unfinished bodies were told why, as JSON.
    assert answers["headers"] == [b""] * len(held["headers"])
    for kind, raw in [("form", r) for r in answers["form"]] + [("json", r) for r in answers["json"]]:
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), (kind, raw[:200])
        assert json.loads(body)["error"]["code"] == "body_timeout"
    for raw in answers["stream"]:
        assert b"\x89\x00" in raw, raw[-40:]  # the service's ping (after the greeting), never answered; closed
