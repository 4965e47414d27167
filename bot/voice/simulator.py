"""`intake call`: play a phone call against a running service, signing each webhook as Twilio does."""

from __future__ import annotations

import asyncio
import errno
import inspect
import json
import os
import re
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import aiohttp

from bot.voice.signature import SIGNATURE_HEADER, sign

InputFn = Callable[[str], str] | Callable[[str], Awaitable[str]]
OutputFn = Callable[[str], None]
WebhookHook = Callable[[str, float], None]

_KEYPAD = re.compile(r"[0-9*#]+")


class SimulatorError(RuntimeError):
    """The service answered something a real call could not go on with."""


@dataclass(frozen=True)
class CallResult:
    """How a simulated call went."""

    call_sid: str
    webhooks: int
    ended_by: str  # "caller" (Ctrl-D / end of input) or "service" (<Hangup/> or the end of the TwiML)


async def run_call(
    url: str,
    from_number: str,
    auth_token: str,
    public_base_url: str,
    input_fn: InputFn,
    output_fn: OutputFn,
    *,
    to_number: str = "+18005550100",
    on_webhook: WebhookHook | None = None,
    session: aiohttp.ClientSession | None = None,
) -> CallResult:
    """Call the service at `url` (Twilio's view of it: `public_base_url`) and play the TwiML it answers."""
    own_session = session is None
    client = session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    call = _Call(
        url=url,
        public_base_url=public_base_url,
        auth_token=auth_token,
        from_number=from_number,
        to_number=to_number,
        input_fn=input_fn,
        output_fn=output_fn,
        on_webhook=on_webhook,
        session=client,
    )
    try:
        ended_by = await call.play()
    finally:
        if own_session:
            await client.close()
    return CallResult(call_sid=call.call_sid, webhooks=call.webhooks, ended_by=ended_by)


class _CallerHungUp(Exception):
    """Ctrl-D (end of input): the caller put the phone down."""


class _Call:
    """One simulated call: Twilio's side of the conversation."""

    def __init__(
        self,
        *,
        url: str,
        public_base_url: str,
        auth_token: str,
        from_number: str,
        to_number: str,
        input_fn: InputFn,
        output_fn: OutputFn,
        on_webhook: WebhookHook | None,
        session: aiohttp.ClientSession,
    ) -> None:
        self.call_sid = _sid("CA")
        self.webhooks = 0
        self._url = url.rstrip("/")
        self._public = public_base_url.rstrip("/")
        self._token = auth_token
        self._input = input_fn
        self._say = output_fn
        self._on_webhook = on_webhook
        self._session = session
        self._account = _sid("AC")
        self._params = {
            "AccountSid": self._account,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "Called": to_number,
            "Caller": from_number,
            "Direction": "inbound",
            "From": from_number,
            "To": to_number,
        }

    async def play(self) -> str:
        """Run the call to its end; return who ended it."""
        started = time.monotonic()
        url = self._public + "/twilio/voice"
        document: str | None = await self._post(url, {**self._params, "CallStatus": "ringing"})
        try:
            while document is not None:
                document, url = await self._run(document, url)
        except _CallerHungUp:
            self._say("(you hung up)")
            await self._status(started)
            return "caller"
        self._say("(the call ended)")
        await self._status(started)
        return "service"

    async def _run(self, document: str, url: str) -> tuple[str | None, str]:
        """Play one TwiML document; return the next one (None: the call is over) and its URL."""
        try:
            root = ET.fromstring(document)
        except ET.ParseError as exc:
            raise SimulatorError(f"the service answered something that is not TwiML: {exc}") from exc
        if root.tag != "Response":
            raise SimulatorError(f"TwiML root is <{root.tag}>, not <Response>")
        for verb in root:
            if verb.tag == "Say":
                self._say(f"BOT: {_text(verb)}")
            elif verb.tag == "Gather":
                nxt = await self._gather(verb, url)
                if nxt is not None:
                    return await self._follow(nxt)
            elif verb.tag == "Redirect":
                return await self._follow((_text(verb) or url, {}))
            elif verb.tag == "Dial":
                nxt = await self._dial(verb)
                if nxt is not None:
                    return await self._follow(nxt)
            elif verb.tag == "Record":
                nxt = await self._record(verb, url)
                if nxt is not None:
                    return await self._follow(nxt)
            elif verb.tag in ("Hangup", "Reject"):
                return None, url
            elif verb.tag != "Pause":
                self._say(f"(ignoring <{verb.tag}>)")
        return None, url  # Twilio hangs up when the TwiML runs out

    async def _follow(self, target: tuple[str, dict[str, str]]) -> tuple[str | None, str]:
        action, extra = target
        return await self._post(action, {**self._params, "CallStatus": "in-progress", **extra}), action

    async def _gather(self, verb: ET.Element, url: str) -> tuple[str, dict[str, str]] | None:
        for child in verb:
            if child.tag == "Say":
                self._say(f"BOT: {_text(child)}")
        line = (await self._ask(_gather_prompt(verb))).strip()
        action = verb.get("action") or url
        if not line:
            # Silence: Twilio posts an empty result only when told to, else it moves on to the next verb.
            return (action, {}) if verb.get("actionOnEmptyResult") == "true" else None
        if _KEYPAD.fullmatch(line.replace(" ", "")):
            digits = line.replace(" ", "")
            finish = verb.get("finishOnKey", "#")
            if finish and finish in digits:
                digits = digits[: digits.index(finish)]
            if verb.get("numDigits", "").isdigit():
                digits = digits[: int(verb.get("numDigits", "0"))]
            return action, {"Digits": digits}
        return action, {"SpeechResult": line, "Confidence": "0.92"}

    async def _dial(self, verb: ET.Element) -> tuple[str, dict[str, str]] | None:
        numbers = [n for n in verb if n.tag == "Number"]
        self._say(f"(dialing on-call from {verb.get('callerId', '?')}: {', '.join(_text(n) for n in numbers)})")
        status = "no-answer"
        child_sid = _sid("CA")
        for number in numbers:
            answer = (await self._ask(f"Does the engineer at {_text(number)} answer? [y/N] ")).strip().lower()
            if not answer.startswith("y"):
                continue
            status = "completed"  # the phone picked up: a person, or a voicemail
            leg = {
                **self._params,
                "CallSid": child_sid,
                "ParentCallSid": self.call_sid,
                "Direction": "outbound-dial",
                "From": verb.get("callerId", ""),
                "To": _text(number),
                "CallStatus": "in-progress",
            }
            if number.get("url") and not await self._whisper(number, leg):
                self._say("(the engineer's phone hung up without taking the call)")
                break
            self._say("(connected to the engineer; the conversation ends when either hangs up)")
            break
        else:
            self._say("(no answer)")
        action = verb.get("action")
        if action is None:
            return None
        return action, {"DialCallStatus": status, "DialCallSid": child_sid}

    async def _whisper(self, number: ET.Element, leg: dict[str, str]) -> bool:
        """The engineer's leg runs the whisper; True if they take the call (press 1 when asked)."""
        document = ET.fromstring(await self._post(number.get("url", ""), leg))
        for say in document.iter("Say"):
            self._say(f"WHISPER to {_text(number)}: {_text(say)}")
        gather = document.find("Gather")
        if gather is None:
            return document.find("Hangup") is None
        key = (await self._ask("Engineer's key (1 takes the call, Enter for none): ")).strip()
        answer = ET.fromstring(await self._post(gather.get("action", ""), {**leg, "Digits": key}))
        for say in answer.iter("Say"):
            self._say(f"WHISPER to {_text(number)}: {_text(say)}")
        return answer.find("Hangup") is None

    async def _record(self, verb: ET.Element, url: str) -> tuple[str, dict[str, str]] | None:
        self._say("(recording after the beep: type your message, Enter to finish)")
        message = (await self._ask("MESSAGE> ")).strip()
        if not message:
            return None  # silence: Twilio keeps no recording and goes on to the next verb
        recording = _sid("RE")
        return verb.get("action") or url, {
            "RecordingSid": recording,
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{self._account}/Recordings/{recording}",
            "RecordingDuration": str(max(1, len(message) // 12)),
            "Digits": "#",
        }

    async def _status(self, started: float) -> None:
        duration = str(int(time.monotonic() - started))
        url = self._public + "/twilio/status"
        await self._post(url, {**self._params, "CallStatus": "completed", "CallDuration": duration})

    async def _ask(self, prompt: str) -> str:
        try:
            if inspect.iscoroutinefunction(self._input):
                answer = await self._input(prompt)
            else:
                # In a thread: a blocking reader such as input() must not stall the event loop.
                answer = await asyncio.to_thread(_read, self._input, prompt)
        except (EOFError, StopIteration, StopAsyncIteration) as exc:
            raise _CallerHungUp from exc
        return str(answer)

    async def _post(self, url: str, params: Mapping[str, str]) -> str:
        """POST a webhook to `url` (a public URL, or a path) signed exactly as Twilio would sign it."""
        public = self._public + url if url.startswith("/") else url
        if not public.startswith(self._public + "/"):
            raise SimulatorError("the TwiML points at a URL outside the service")
        internal = self._url + public[len(self._public) :]
        signature = sign(auth_token=self._token, url=public, params=params)
        started = time.perf_counter()
        try:
            async with self._session.post(internal, data=dict(params), headers={SIGNATURE_HEADER: signature}) as resp:
                body = await resp.text()
        except aiohttp.ClientConnectorError as exc:
            raise SimulatorError(
                f"cannot reach the service at {self._url} ({_os_reason(exc.os_error)}): is `intake serve` running?"
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
            raise SimulatorError(f"the service at {self._url} did not answer {internal}: {reason}") from exc
        self.webhooks += 1
        if self._on_webhook is not None:
            self._on_webhook(public[len(self._public) :].split("?", 1)[0], time.perf_counter() - started)
        if resp.status == 403:
            raise SimulatorError(
                f"the service refused the signature for {public} (HTTP 403): it checks signatures with its "
                "TWILIO_AUTH_TOKEN for its PUBLIC_BASE_URL (default http://localhost:PORT); call it at that URL, "
                "or give both sides the same PUBLIC_BASE_URL and TWILIO_AUTH_TOKEN"
            )
        if resp.status != 200:
            raise SimulatorError(f"{public} answered HTTP {resp.status}: {_reason(body)}")
        return body


def _os_reason(error: OSError) -> str:
    if error.errno is not None and error.errno in errno.errorcode:
        return os.strerror(error.errno)  # "Connection refused", not "Connect call failed (...)"
    return error.strerror or str(error) or type(error).__name__


def _reason(body: str) -> str:
    """One line out of an error reply: the JSON error's message, else the start of the body."""
    try:
        message = json.loads(body)["error"]["message"]
    except (ValueError, TypeError, KeyError):
        message = body
    return " ".join(str(message).split())[:300] or "(empty reply)"


def _gather_prompt(verb: ET.Element) -> str:
    """Tell the person at the keyboard what the prompt takes (the bench's caller reads it too)."""
    if verb.get("finishOnKey") == "#":
        return "YOU [say it, or keys then #]> "
    if verb.get("numDigits") == "1":
        return "YOU [say it, or 1 key]> "
    return "YOU> "


def _read(input_fn: Callable[[str], object], prompt: str) -> object:
    try:
        return input_fn(prompt)
    except StopIteration as exc:
        # A script that ran out of lines hangs up like Ctrl-D (StopIteration cannot cross into a future).
        raise EOFError from exc


def _text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex
