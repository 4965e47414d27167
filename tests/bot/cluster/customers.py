"""Customers as the real clients are: Web Chat over Direct Line 3.0 (token, conversation, activities, replies
over the WebSocket) and Twilio's webhooks, signed, each reporting the same outage. The storm benchmark
(bench/storm.py) and the fault tests (tests/bot/cluster/test_faults*.py) both play them."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.voice.simulator import run_call

OUTAGE_CHAT = "the viewer is down, nobody at any site can open studies"
OUTAGE_PHONE = "the viewer is down nobody at any site can open studies"
CASE_NUMBER = re.compile(r"\b\d{4}-\d{4,}\b")  # "YYMM-NNNN", as the bot writes it
# A busy process or a restarting database answers 502/503 (nginx, Retry-After): the client sends again.
RETRY_STATUSES = frozenset({502, 503, 504})
ATTEMPTS = 8
RETRY_PAUSE_S = 0.25
REPLY_WAIT_S = 60.0

# Where each turn's time is written: (path, seconds).
Record = Callable[[str, float], None]


class CustomerError(RuntimeError):
    """The service answered something a customer could not go on with."""


def k_number(n: int) -> str:
    """The n-th customer's account number (K100000 onwards)."""
    return f"K{100000 + n}"


@dataclass
class WebChatCustomer:
    """One website customer: Web Chat's Direct Line 3.0 conversation, replies read from the WebSocket.

    Every POST carries Web Chat's clientActivityID and is sent again (the same id) after a failed or lost
    answer, as Web Chat does; the service takes it once. A dropped stream is opened again from the
    watermark through GET conversations/{id} (Direct Line's reconnect), wherever nginx sends it.
    """

    http: aiohttp.ClientSession
    base: str
    name: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    record: Record | None = None
    on_status: Callable[[int], None] | None = None  # told every HTTP status the customer is answered
    token: str = ""
    conversation: str = ""
    watermark: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _sent: int = 0

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def _send(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """One request, sent again on a lost answer or a 502/503/504; the JSON body of the 2xx answer."""
        for attempt in range(ATTEMPTS):
            try:
                async with self.http.request(method, url, **kwargs) as response:
                    body = await response.text()
                    if self.on_status:
                        self.on_status(response.status)
                    if response.status < 300:
                        return dict(json.loads(body)) if body else {}
                    if response.status not in RETRY_STATUSES:
                        raise CustomerError(f"{method} {url.split('?')[0]}: {response.status} {body[:200]}")
            except (aiohttp.ClientConnectionError, TimeoutError):
                if attempt == ATTEMPTS - 1:
                    raise
            self.retries += 1
            await asyncio.sleep(RETRY_PAUSE_S * (attempt + 1))
        raise CustomerError(f"{method} {url.split('?')[0]}: no answer after {ATTEMPTS} tries")

    async def start(self) -> str:
        """Token, conversation and stream; returns the greeting's text (its time recorded as "greeting")."""
        started = time.perf_counter()
        self.token = str((await self._send("POST", f"{self.base}/api/webchat/token"))["token"])
        begun = await self._send("POST", f"{self.base}/v3/directline/conversations", headers=self._auth)
        self.conversation = str(begun["conversationId"])
        self._ws = await self._open_stream(str(begun["streamUrl"]))
        greeting = await self._until(lambda seen: [a for a in seen if _from_bot(a)])
        if self.record:
            self.record("greeting", time.perf_counter() - started)
        return _text(greeting)

    async def says(self, text: str, until: Callable[[str], bool] = bool) -> str:
        """Post a message and return the text of the bot's replies to it once `until(text)` holds (the
        time recorded as "message": from sending it until the stream shows that)."""
        self._sent += 1
        activity = {
            "type": "message",
            "text": text,
            "from": {"id": f"customer-{self.name}", "role": "user"},
            "channelData": {"clientActivityID": f"{self.name}-{self._sent}"},
        }
        url = f"{self.base}/v3/directline/conversations/{self.conversation}/activities"
        started = time.perf_counter()
        posted = await self._send("POST", url, json=activity, headers=self._auth)
        activity_id = str(posted["id"])

        def replies(seen: list[dict[str, Any]]) -> list[dict[str, Any]]:
            # The bot's messages after the customer's own on the stream (Direct Line sets no replyToId).
            ids = [a.get("id") for a in seen]
            found = [a for a in seen[ids.index(activity_id) + 1 :] if _from_bot(a)] if activity_id in ids else []
            return found if found and until(_text(found)) else []

        answer = _text(await self._until(replies))
        if self.record:
            self.record("message", time.perf_counter() - started)
        return answer

    async def _until(self, done: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        deadline = asyncio.get_running_loop().time() + REPLY_WAIT_S
        while not (found := done(self.seen)):
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise CustomerError("no reply on the stream in time")
            if self._ws is None or self._ws.closed:
                await self._reconnect()
                continue
            try:
                message = await asyncio.wait_for(self._ws.receive(), left)
            except TimeoutError as exc:
                raise CustomerError("no reply on the stream in time") from exc
            except aiohttp.ClientConnectionError:
                # The service closed the stream while a ping waited for its answer (the client answers
                # pings only while it reads): open it again from the watermark, as Web Chat does.
                await self._ws.close()
                continue
            if message.type == aiohttp.WSMsgType.TEXT:
                if message.data:
                    frame = json.loads(message.data)
                    self.seen += frame.get("activities", [])
                    self.watermark = str(frame.get("watermark") or self.watermark)
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                await self._ws.close()
        return found

    async def _reconnect(self) -> None:
        """The stream dropped (its process died): ask for a new stream URL from the watermark and open it."""
        self.retries += 1
        query = f"?watermark={self.watermark}" if self.watermark else ""
        url = f"{self.base}/v3/directline/conversations/{self.conversation}{query}"
        resumed = await self._send("GET", url, headers=self._auth)
        self._ws = await self._open_stream(str(resumed["streamUrl"]))

    async def _open_stream(self, url: str) -> aiohttp.ClientWebSocketResponse | None:
        """The WebSocket at `url`, or None (opened again from the watermark later) when it cannot be now."""
        try:
            return await self.http.ws_connect(url, heartbeat=None)
        except (aiohttp.ClientConnectionError, aiohttp.WSServerHandshakeError, TimeoutError):
            self.retries += 1
            await asyncio.sleep(RETRY_PAUSE_S)
            return None

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    def bot_text(self) -> str:
        """Everything the bot said in the conversation."""
        return _text([a for a in self.seen if _from_bot(a)])


def _from_bot(activity: dict[str, Any]) -> bool:
    return bool(activity.get("type") == "message" and activity.get("from", {}).get("role") == "bot")


def _text(activities: list[dict[str, Any]]) -> str:
    return "\n".join(a.get("text") or "" for a in activities)


async def report_by_chat(customer: WebChatCustomer, n: int) -> str:
    """A whole intake over Web Chat: greeting, the K# and the outage, yes; returns the case announced."""
    await customer.start()
    proposal = await customer.says(f"{k_number(n)} {OUTAGE_CHAT}", until=lambda text: "Is that right?" in text)
    if "Severity 1" not in proposal:
        raise CustomerError("the outage was not proposed as Severity 1")
    told = await customer.says("Yes, that's right", until=lambda text: CASE_NUMBER.search(text) is not None)
    found = CASE_NUMBER.search(told)
    assert found is not None
    return found.group(0)


@dataclass
class PhoneSettings:
    """What the caller needs to sign webhooks as Twilio: the auth token and the URL Twilio was given."""

    auth_token: str
    public_base_url: str


async def report_by_phone(
    http: aiohttp.ClientSession, base: str, settings: PhoneSettings, n: int, record: Record | None = None
) -> str:
    """A whole call to the support line (signed webhooks, following the TwiML): the K# on the keypad, the
    outage spoken, severity 1 confirmed; returns the call's SID. An engineer's ring goes unanswered."""
    asked = 0
    heard: list[str] = []  # what the service said since the caller last answered

    async def answer(prompt: str) -> str:
        nonlocal asked
        asked += 1
        said = " ".join(heard)
        heard.clear()
        if asked > 12:
            raise EOFError  # a call that asks this often is stuck: hang up
        if prompt.startswith("Does the engineer"):
            return "n"
        if prompt.startswith("MESSAGE"):
            return "Everything is down, please call me back."
        if "then #" in prompt:
            return k_number(n).removeprefix("K") + "#"
        done = re.search(r"(\d) for That's all", said)
        if done:
            return done.group(1)
        if "1 key" in prompt:
            return "1"
        return OUTAGE_PHONE

    def on_webhook(path: str, seconds: float) -> None:
        if record:
            record(re.sub(r"\?.*", "", path), seconds)

    result = await run_call(
        base,
        f"+1415555{n % 10000:04d}",
        settings.auth_token,
        settings.public_base_url,
        answer,
        heard.append,
        on_webhook=on_webhook,
        session=http,
    )
    return result.call_sid
