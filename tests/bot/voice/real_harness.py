"""The whole service (create_app, the real IntakeBot) on loopback, called the way Twilio calls it.

A `Call` follows the TwiML it is given, as Twilio does: the next webhook is the URL in the last <Gather>,
<Dial> or <Record>, signed with twilio's RequestValidator for that public URL.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
from sqlmodel import col, select

from bot.paging import PAGE_KIND
from bot.voice.signature import SIGNATURE_HEADER, sign
from store import cases as case_store
from store.db import SessionMaker, create_engine, session_factory
from store.models import CaseEventPublic, CasePublic, DialAttempt, Outbox
from store.voice import list_dial_attempts
from tests.bot.conftest import FakeClock, start_service

TOKEN = "real-dialogue-auth-token-0123456789"
ACCOUNT_SID = "AC" + "2" * 32
PUBLIC = "https://support.example.test"
SUPPORT = "+18005550100"
ONCALL = ("+12125550101", "+12125550102")
STRANGER = "+14155552671"  # a caller ID no account has

EASTERN = ZoneInfo("America/New_York")
SUNDAY_3AM = datetime(2026, 11, 29, 3, 0, tzinfo=EASTERN)
TUESDAY_10AM = datetime(2026, 11, 24, 10, 0, tzinfo=EASTERN)


# --- reading TwiML -----------------------------------------------------------------------------------


def said(root: ET.Element) -> str:
    """Everything the caller hears in a TwiML document (every <Say>, also inside <Gather>), in order."""
    return " ".join(" ".join((say.text or "").split()) for say in root.iter("Say"))


def gather_of(root: ET.Element) -> ET.Element:
    """The document's <Gather> (asserting there is one: the caller is asked something)."""
    gather = root.find("Gather")
    assert gather is not None, ET.tostring(root, encoding="unicode")
    return gather


def spelled(number: str) -> re.Pattern[str]:
    """Matches `number` read out character by character: `2611-0001` as `2 6 1 1, 0 0 0 1` or `2 6 1 1 dash
    0 0 0 1` (punctuation, spaces or a spoken dash between characters, never two run together as `2611`)."""
    chars = [ch for ch in number if ch.isalnum()]
    apart = r"(?:[^0-9A-Za-z]|\b(?:dash|hyphen)\b)+"
    return re.compile(r"(?<![0-9A-Za-z])" + apart.join(map(re.escape, chars)) + r"(?![0-9A-Za-z])", re.I)


def reads_out(text: str, number: str) -> bool:
    """Whether `text` reads `number` character by character."""
    return spelled(number).search(text) is not None


def key_for(prompt: str, *meanings: str) -> str:
    """The keypad key the prompt offers for the first of `meanings` it offers one for ("3 for Severity 2",
    or "for Severity 2, press 3"): the key a caller would press after listening."""
    for meaning in meanings:
        name = re.escape(meaning).replace(r"\ ", r"\s+")
        found = re.search(rf"(?<![\d.])(\d)\s+(?:for|to\s+say)\s+{name}\b", prompt, re.I) or re.search(
            rf"\b{name}\b[^.?!]*?\bpress\s+(\d)\b", prompt, re.I
        )
        if found:
            return found.group(1)
    raise AssertionError(f"the prompt offers no key for {meanings}: {prompt!r}")


def masked(root: ET.Element, numbers: Sequence[str]) -> str:
    """The document as text with each of `numbers` (read out or written) replaced by a placeholder."""
    text = ET.tostring(root, encoding="unicode")
    for number in numbers:
        text = spelled(number).sub("<number>", text)
    return text


# --- the service and its calls -------------------------------------------------------------------------


@dataclass
class PhoneLine:
    """The running service, a client that posts like Twilio, and a view of its database."""

    base_url: str
    http: aiohttp.ClientSession
    clock: FakeClock
    sessions: SessionMaker

    def call(self, caller: str = STRANGER) -> Call:
        return Call(line=self, sid="CA" + uuid.uuid4().hex, caller=caller)

    async def post(self, public_url: str, params: dict[str, str]) -> ET.Element:
        """POST a form to the public URL Twilio was given, signed for it; return the TwiML (200 asserted)."""
        assert public_url.startswith(PUBLIC + "/"), public_url
        headers = {SIGNATURE_HEADER: sign(auth_token=TOKEN, url=public_url, params=params)}
        async with self.http.post(self.base_url + public_url.removeprefix(PUBLIC), data=params, headers=headers) as r:
            body = await r.text()
            assert r.status == 200, body
            assert r.content_type == "text/xml", r.content_type
        root = ET.fromstring(body)
        assert root.tag == "Response", body
        return root

    # -- the store, as a reviewer would look at it --------------------------------------------------

    async def cases(self) -> list[CasePublic]:
        """Every case, oldest first."""
        async with self.sessions() as session:
            return list(reversed(await case_store.list_cases(session)))

    async def case(self, number: str) -> CasePublic:
        async with self.sessions() as session:
            case = await case_store.get_case(session, number=number)
        assert case is not None, number
        return case

    async def events(self, number: str) -> list[CaseEventPublic]:
        async with self.sessions() as session:
            return await case_store.list_events(session, number=number)

    async def pages(self) -> list[Outbox]:
        """The on-call pages queued (the outbox also carries the customer's notices)."""
        async with self.sessions() as session:
            query = select(Outbox).where(Outbox.kind == PAGE_KIND).order_by(col(Outbox.id))
            return list((await session.exec(query)).all())

    async def dial_attempts(self, call_sid: str) -> list[DialAttempt]:
        async with self.sessions() as session:
            return await list_dial_attempts(session, call_sid=call_sid)


@dataclass
class Call:
    """One caller's call, following the TwiML the service answers."""

    line: PhoneLine
    sid: str
    caller: str
    last: ET.Element | None = None
    heard: list[str] = field(default_factory=list)  # what each webhook's TwiML said, in order
    leg: str = ""  # the call SID of the engineer's leg of the last <Dial> picked up
    briefing: ET.Element | None = None  # the whisper that engineer heard

    def _params(self, **extra: str) -> dict[str, str]:
        params = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": self.sid,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "From": self.caller,
            "To": SUPPORT,
        }
        params.update(extra)
        return params

    async def _post(self, url: str, **extra: str) -> ET.Element:
        self.last = await self.line.post(url, self._params(**extra))
        self.heard.append(said(self.last))
        return self.last

    async def answer(self) -> ET.Element:
        """The support line picks up: Twilio posts the "A call comes in" webhook."""
        return await self._post(PUBLIC + "/twilio/voice", CallStatus="ringing")

    def _gather_action(self) -> str:
        assert self.last is not None, "the call has not been answered"
        action = gather_of(self.last).get("action")
        assert action, ET.tostring(self.last, encoding="unicode")
        return action

    async def keys(self, digits: str) -> ET.Element:
        """The caller answers the pending <Gather> on the keypad (Twilio drops the finishing '#')."""
        return await self._post(self._gather_action(), Digits=digits.removesuffix("#"))

    async def says(self, words: str, confidence: float = 0.91) -> ET.Element:
        """The caller answers the pending <Gather> by speech, as Twilio's recogniser reports it."""
        return await self._post(self._gather_action(), SpeechResult=words, Confidence=f"{confidence:.6f}")

    def dial(self) -> ET.Element:
        """The <Dial> of the last TwiML (asserting there is one)."""
        assert self.last is not None
        dial = self.last.find("Dial")
        assert dial is not None, ET.tostring(self.last, encoding="unicode")
        return dial

    async def dial_ends(self, dial_call_status: str) -> ET.Element:
        """The ringing of the last <Dial> ends (no-answer, busy, completed...): Twilio posts its action."""
        action = self.dial().get("action")
        assert action, ET.tostring(self.dial(), encoding="unicode")
        return await self._post(action, DialCallStatus=dial_call_status, DialCallDuration="0")

    async def whisper(self) -> ET.Element:
        """The engineer of the last <Dial> picks up: Twilio fetches the <Number url> for the whisper."""
        number = self.dial().find("Number")
        assert number is not None and number.get("url"), ET.tostring(self.dial(), encoding="unicode")
        self.leg = "CA" + uuid.uuid4().hex
        self.briefing = await self.line.post(number.get("url") or "", self._leg_params())
        return self.briefing

    async def engineer_presses(self, digits: str) -> ET.Element:
        """After the whisper, the engineer presses `digits` ("" for nothing: a voicemail): Twilio posts the
        <Gather> action on the engineer's leg."""
        gather = self.briefing.find("Gather") if self.briefing is not None else None
        assert gather is not None and gather.get("action"), "no whisper asked the engineer for a key"
        return await self.line.post(gather.get("action") or "", self._leg_params(Digits=digits))

    def _leg_params(self, **extra: str) -> dict[str, str]:
        # The engineer's leg: its own call, the caller's call as its parent.
        leg = {"AccountSid": ACCOUNT_SID, "CallSid": self.leg, "ParentCallSid": self.sid, "CallStatus": "in-progress"}
        return {**leg, **extra}

    async def records(self, recording_url: str, seconds: int) -> ET.Element:
        """The caller leaves a message at the last <Record>: Twilio posts its action."""
        assert self.last is not None
        record = self.last.find("Record")
        assert record is not None and record.get("action"), ET.tostring(self.last, encoding="unicode")
        return await self._post(
            record.get("action") or "",
            RecordingUrl=recording_url,
            RecordingDuration=str(seconds),
            RecordingSid="RE" + uuid.uuid4().hex,
        )

    async def hangs_up(self) -> ET.Element:
        """The call ends: Twilio posts the "Call status changes" webhook."""
        return await self.line.post(PUBLIC + "/twilio/status", self._params(CallStatus="completed", CallDuration="42"))


@asynccontextmanager
async def phone_line(db_url: str, now: datetime) -> AsyncIterator[PhoneLine]:
    """The whole service on `db_url` with the phone line configured and the clock at `now`.

    SMS paging stays off (no account SID or sender): a page stays queued in the outbox, where the test
    sees it, and nothing leaves the machine.
    """
    clock = FakeClock(now)
    runner, base_url = await start_service(
        db_url,
        clock,
        twilio_auth_token=TOKEN,
        public_base_url=PUBLIC,
        oncall_numbers=",".join(ONCALL),
        support_phone=SUPPORT,
        # Whatever the environment says: no SMS leaves the machine.
        twilio_account_sid="",
        twilio_from_number="",
        twilio_api_base="",
    )
    engine = create_engine(db_url)
    try:
        async with aiohttp.ClientSession() as http:
            yield PhoneLine(base_url=base_url, http=http, clock=clock, sessions=session_factory(engine))
    finally:
        await runner.cleanup()
        await engine.dispose()
