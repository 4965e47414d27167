"""A real `intake serve` killed with SIGKILL mid-traffic loses nothing it promised: every website customer is
told their case number, every message is answered exactly once, no case is filed twice, and a caller whose
turn died with the process is answered when Twilio sends the webhook again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from bot.voice.signature import SIGNATURE_HEADER, sign
from tests.bot.conftest import free_port, stored_cases

PUBLIC = "https://support.example.test"
TWILIO_TOKEN = "crash-test-twilio-token"
CHATS = 25
CALLS = 10
KILL_AFTER_ANSWERS = 15
MESSAGES = ("K123456 the logo on our printed reports is blurry, only for me", "Yes, that's right")


class Server:
    """`intake serve` as its own process, on a database the test keeps across restarts."""

    def __init__(self, db_url: str, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._workdir = workdir
        self._env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "INTAKE_ENV": "development",
            "LOG_LEVEL": "WARNING",
            "DIRECTLINE_RECOVERY_SECONDS": "1",
            "PUBLIC_BASE_URL": PUBLIC,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.up = asyncio.Event()

    def _spawn(self) -> None:
        with (self._workdir / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--port", str(self.port)],
                cwd=self._workdir,
                env=self._env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    async def start(self, http: aiohttp.ClientSession) -> None:
        await asyncio.to_thread(self._spawn)
        await _until(lambda: self._healthy(http), what="the server answering /healthz")
        self.up.set()

    async def _healthy(self, http: aiohttp.ClientSession) -> bool:
        assert self.process is not None and self.process.poll() is None, "intake serve exited"
        try:
            async with http.get(f"{self.base}/healthz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    def kill(self) -> None:
        self.up.clear()
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()


async def _until(check: Any, *, what: str, wait_s: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while not await check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


class Customer:
    """A Web Chat visitor who, like Web Chat, resends a message whose answer was lost (same clientActivityID)."""

    def __init__(self, server: Server, http: aiohttp.ClientSession, number: int, answered: asyncio.Queue[None]):
        self._server = server
        self._http = http
        self._number = number
        self._answered = answered
        self.token = ""
        self.conversation_id = ""

    async def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        while True:
            await self._server.up.wait()
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            try:
                async with self._http.post(f"{self._server.base}{path}", json=body, headers=headers) as response:
                    if response.status < 500:
                        assert response.status in (200, 201), await response.text()
                        data: dict[str, Any] = await response.json()
                        return data
            except (aiohttp.ClientError, TimeoutError):
                pass  # the server died under us: wait for it and send the same thing again
            await asyncio.sleep(0.05)

    async def chat(self) -> None:
        issued = await self._post("/api/webchat/token")
        self.token, self.conversation_id = issued["token"], issued["conversationId"]
        await self._post("/v3/directline/conversations")
        for index, text in enumerate(MESSAGES):
            activity = {
                "type": "message",
                "text": text,
                "channelData": {"clientActivityID": f"c{self._number}-{index}"},
            }
            await self._post(f"/v3/directline/conversations/{self.conversation_id}/activities", activity)
            self._answered.put_nowait(None)

    async def activities(self) -> list[dict[str, Any]]:
        url = f"{self._server.base}/v3/directline/conversations/{self.conversation_id}/activities"
        async with self._http.get(url, headers={"Authorization": f"Bearer {self.token}"}) as response:
            assert response.status == 200
            return list((await response.json())["activities"])


@contextlib.asynccontextmanager
async def _serving(db_url: str, workdir: Path) -> AsyncIterator[tuple[Server, aiohttp.ClientSession]]:
    server = Server(db_url, workdir)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        try:
            await server.start(http)
            yield server, http
        finally:
            server.stop()


async def test_kill_9_mid_traffic_loses_no_promised_case_and_duplicates_nothing(db_url: str, tmp_path: Path) -> None:
    answered: asyncio.Queue[None] = asyncio.Queue()
    async with _serving(db_url, tmp_path) as (server, http):
        customers = [Customer(server, http, n, answered) for n in range(CHATS)]
        chats = asyncio.gather(*(customer.chat() for customer in customers))
        for _ in range(KILL_AFTER_ANSWERS):
            await answered.get()
        server.kill()  # turns of the other customers are in flight now
        await server.start(http)
        await chats

        async def caught_up() -> bool:
            # Every customer message answered: the recovery sweep has replayed what the dead process owed.
            for customer in customers:
                roles = [a["from"]["role"] for a in await customer.activities()]
                if roles.count("user") != len(MESSAGES) or roles[-1] != "bot":
                    return False
            return True

        await _until(caught_up, what="every message to be answered")
        transcripts = {c.conversation_id: await c.activities() for c in customers}
    cases = await stored_cases(db_url)
    by_conversation: dict[str | None, list[str]] = {}
    for case in cases:
        by_conversation.setdefault(case.conversation_id, []).append(case.number)
    for conversation_id, activities in transcripts.items():
        [number] = by_conversation[conversation_id]  # one case each, never two
        user_ids = [a["channelData"]["clientActivityID"] for a in activities if a["from"]["role"] == "user"]
        assert len(user_ids) == len(set(user_ids)) == len(MESSAGES)  # each message stored once
        told = " ".join(a.get("text") or "" for a in activities if a["from"]["role"] == "bot")
        assert number in told  # the customer was told the case number
    assert len(cases) == CHATS


class Caller:
    """Twilio, for one call: it sends a webhook again when the answer is lost (same form, same signature)."""

    def __init__(self, server: Server, http: aiohttp.ClientSession, number: int, answered: asyncio.Queue[None]):
        self._server = server
        self._http = http
        self.call_sid = f"CA{number:032x}"
        self._answered = answered
        self.said: list[str] = []

    async def webhook(self, path: str, **extra: str) -> ET.Element:
        params = {"CallSid": self.call_sid, "From": "+12025550143", "To": "+18005550100", **extra}
        headers = {SIGNATURE_HEADER: sign(auth_token=TWILIO_TOKEN, url=PUBLIC + path, params=params)}
        while True:
            await self._server.up.wait()
            try:
                async with self._http.post(self._server.base + path, data=params, headers=headers) as response:
                    if response.status == 200:
                        document = ET.fromstring(await response.text())
                        self.said.append(" ".join(say.text or "" for say in document.iter("Say")))
                        return document
            except (aiohttp.ClientError, TimeoutError):
                pass  # the server died under us: Twilio sends the webhook again
            await asyncio.sleep(0.05)

    async def call(self) -> None:
        await self.webhook("/twilio/voice")
        await self.webhook("/twilio/gather?step=1", Digits="123456")
        self._answered.put_nowait(None)
        await self.webhook(
            "/twilio/gather?step=2",
            SpeechResult="the logo on our printed reports is blurry only for me",
            Confidence="0.9",
        )
        self._answered.put_nowait(None)


async def test_kill_9_mid_call_the_resent_webhook_is_answered_with_the_callers_words(
    db_url: str, tmp_path: Path
) -> None:
    answered: asyncio.Queue[None] = asyncio.Queue()
    async with _serving(db_url, tmp_path) as (server, http):
        callers = [Caller(server, http, n, answered) for n in range(CALLS)]
        calls = asyncio.gather(*(caller.call() for caller in callers))
        for _ in range(CALLS):
            await answered.get()
        server.kill()
        await server.start(http)
        await calls
    for caller in callers:
        # Nobody is stuck on "say that again": the last answer proposes a severity for what was said.
        assert "again" not in caller.said[-1].lower(), caller.said[-1]
        assert "severity" in caller.said[-1].lower(), caller.said[-1]
