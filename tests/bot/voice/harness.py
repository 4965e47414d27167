"""Test doubles for the phone line: a scripted bot, a signed-webhook client, and a fake Twilio REST API."""

from __future__ import annotations

import base64
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, InputHints

from bot.errors import error_middleware
from bot.voice.config import VoiceConfig
from bot.voice.signature import SIGNATURE_HEADER, sign
from bot.voice.webhooks import setup_voice
from intake.domain import CaseStatus, Channel, Outcome, Severity
from store.cases import CaseCreate, create_case
from store.db import SessionMaker

TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC = "https://voice.example.test"
CALLER = "+14155552671"
ONCALL = ("+14155550101", "+14155550102")
SUPPORT = "+18005550100"
T0 = datetime(2026, 11, 3, 14, 5, 30, tzinfo=UTC)


def voice_config(**overrides: Any) -> VoiceConfig:
    """The phone line's configuration used by the tests (Twilio's API on loopback when given)."""
    config = VoiceConfig(
        auth_token=TOKEN,
        account_sid=ACCOUNT_SID,
        public_base_url=PUBLIC,
        support_phone=SUPPORT,
        oncall_numbers=ONCALL,
        from_number="+18005550199",
        dial_timeout=15,
    )
    return replace(config, **overrides)


def new_call_sid() -> str:
    return "CA" + uuid.uuid4().hex


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


# --- the scripted bot ---------------------------------------------------------------------------------


@dataclass
class _CallState:
    stage: str = "k_number"
    k_number: str = ""
    no_input: int = 0


class ScriptedBot(ActivityHandler):  # type: ignore[misc]
    """A small intake dialogue following docs/ARCHITECTURE.md: K#, one yes/no, then dial or goodbye."""

    def __init__(self, *, session_maker: SessionMaker, clock: FakeClock) -> None:
        super().__init__()
        self.session_maker = session_maker
        self.clock = clock
        self.turns: list[str] = []  # activity id of every turn the bot ran
        self.received: list[Activity] = []
        self.cases: list[str] = []  # case numbers it created, in order
        self.states: dict[str, _CallState] = {}

    async def on_turn(self, turn_context: TurnContext) -> None:
        self.turns.append(turn_context.activity.id)
        self.received.append(turn_context.activity)
        await super().on_turn(turn_context)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        self.states[turn_context.activity.conversation.id] = _CallState()
        await turn_context.send_activity(
            _prompt("Welcome to support.", expects="none", hint=InputHints.accepting_input)
        )
        await turn_context.send_activity(
            _prompt("Please key in your account number, then press pound.", expects="digits", max_digits=10)
        )

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        call = turn_context.activity.conversation.id
        state = self.states[call]
        text = (turn_context.activity.text or "").strip().lower()
        if state.stage == "k_number":
            state.k_number = "K" + "".join(ch for ch in text if ch.isdigit())
            state.stage = "down"
            await turn_context.send_activity(
                _prompt(
                    "Is the service down for everyone? Press 1 for yes, 2 for no.",
                    expects="yes_no",
                    speak='<speak version="1.0">Is the service <emphasis>down</emphasis> for everyone?'
                    '<break time="300ms"/>Press 1 for yes, 2 for no.</speak>',
                )
            )
            return
        severity = Severity.SEV1 if text == "yes" else Severity.SEV3
        number = await self._record_case(call, state, severity, incomplete=False)
        state.stage = "done"
        if severity is Severity.SEV1:
            await turn_context.send_activity(
                _prompt(
                    f"Case {number} recorded. Connecting you to an engineer.",
                    expects="none",
                    hint=InputHints.ignoring_input,
                )
            )
            await turn_context.send_activity(
                Activity(
                    type=ActivityTypes.event,
                    name="intake.connect_oncall",
                    value={"case_number": number, "k_number": state.k_number, "summary": "Service down for everyone"},
                )
            )
            return
        await turn_context.send_activity(
            _prompt(f"Case {number} recorded. Goodbye.", expects="none", hint=InputHints.ignoring_input)
        )
        await turn_context.send_activity(Activity(type=ActivityTypes.end_of_conversation))

    async def on_event_activity(self, turn_context: TurnContext) -> None:
        call = turn_context.activity.conversation.id
        state = self.states.setdefault(call, _CallState())
        if turn_context.activity.name == "intake.hangup":
            if state.stage == "down":
                await self._record_case(call, state, Severity.SEV3, incomplete=True)
            state.stage = "hung_up"
            return
        if turn_context.activity.name == "intake.no_input":
            state.no_input += 1
            if state.no_input >= 2:
                await turn_context.send_activity(
                    _prompt("We did not hear you. Goodbye.", expects="none", hint=InputHints.ignoring_input)
                )
                await turn_context.send_activity(Activity(type=ActivityTypes.end_of_conversation))
                return
            await turn_context.send_activity(_prompt("Sorry, I did not catch that. Please try again.", expects="text"))

    async def _record_case(self, call: str, state: _CallState, severity: Severity, *, incomplete: bool) -> str:
        now = self.clock()
        new = CaseCreate(
            idempotency_key=f"{call}:case",
            k_number=state.k_number or "K0000",
            severity=severity,
            channel=Channel.PHONE,
            outcome=Outcome.PHONE_ENGINEER if severity is Severity.SEV1 else Outcome.WEB_REQUEST,
            status=CaseStatus.INCOMPLETE if incomplete else CaseStatus.NEW,
            summary="Service down for everyone",
            created_at=now,
            response_due=now + timedelta(minutes=15),
            fix_due=now + timedelta(hours=8),
            conversation_id=call,
        )
        case = await create_case(self.session_maker, case=new)
        self.cases.append(case.number)
        return case.number


def _prompt(
    text: str,
    *,
    expects: str,
    max_digits: int | None = None,
    speak: str | None = None,
    hint: str = InputHints.expecting_input,
) -> Activity:
    # As the real bot renders them: a yes/no carries its keys in its choices (the dialogue assigns keys).
    choices = [{"value": "yes", "label": "Yes", "digit": "1"}, {"value": "no", "label": "No", "digit": "2"}]
    intake = {"expects": expects, "choices": choices if expects == "yes_no" else [], "max_digits": max_digits}
    return Activity(
        type=ActivityTypes.message,
        text=text,
        speak=speak,
        input_hint=hint,
        channel_data={"intake": {**intake, "hints": []}},
    )


# --- a running voice server ----------------------------------------------------------------------------


@dataclass
class VoiceServer:
    """The /twilio/* webhooks on loopback, with a client that signs like Twilio."""

    url: str
    http: aiohttp.ClientSession
    bot: ScriptedBot
    clock: FakeClock
    session_maker: SessionMaker
    config: VoiceConfig

    async def post(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        token: str = TOKEN,
        signed_url: str | None = None,
        signature: str | None = None,
        sign_it: bool = True,
    ) -> tuple[int, str]:
        """POST a form webhook to `path`, signed for PUBLIC + path (or `signed_url`) unless told otherwise."""
        headers = {}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        elif sign_it:
            headers[SIGNATURE_HEADER] = sign(auth_token=token, url=signed_url or PUBLIC + path, params=params)
        async with self.http.post(self.url + path, data=dict(params), headers=headers) as resp:
            return resp.status, await resp.text()

    async def webhook(self, path: str, call_sid: str, **extra: str) -> ET.Element:
        """POST a correctly signed webhook for `call_sid` and return the parsed TwiML (asserting 200)."""
        status, body = await self.post(path, call_params(call_sid, **extra))
        assert status == 200, body
        return ET.fromstring(body)


def call_params(call_sid: str, **extra: str) -> dict[str, str]:
    """The form Twilio posts for a call to the support line."""
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "From": CALLER,
        "To": SUPPORT,
    }
    params.update(extra)
    return params


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run `app` on 127.0.0.1 at a free port; yield its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def voice_server(session_maker: SessionMaker, config: VoiceConfig | None = None) -> AsyncIterator[VoiceServer]:
    """Start the voice webhooks around a ScriptedBot; yield the running server."""
    clock = FakeClock()
    bot = ScriptedBot(session_maker=session_maker, clock=clock)
    config = config or voice_config()
    app = web.Application(middlewares=[error_middleware])  # as create_app mounts it
    setup_voice(app, config=config, bot=bot, session_maker=session_maker, clock=clock)
    async with serve(app) as url, aiohttp.ClientSession() as http:
        yield VoiceServer(url=url, http=http, bot=bot, clock=clock, session_maker=session_maker, config=config)


# --- Twilio's REST API on loopback ---------------------------------------------------------------------


@dataclass
class FakeTwilio:
    """Just enough of Twilio's Messages API: create (with scripted failures) and list."""

    account_sid: str = ACCOUNT_SID
    token: str = TOKEN
    messages: list[dict[str, Any]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # HTTP statuses for the next creates, in order
    requests: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        app.router.add_post(path, self._create)
        app.router.add_get(path, self._list)
        return app

    def _authorised(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    async def _create(self, request: web.Request) -> web.Response:
        self.requests += 1
        if not self._authorised(request):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        if self.failures:
            status = self.failures.pop(0)
            code = 21211 if status == 400 else 20500
            return web.json_response({"code": code, "message": "Scripted failure", "status": status}, status=status)
        form = await request.post()
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": self.account_sid,
            "to": str(form["To"]),
            "from": str(form["From"]),
            "body": str(form["Body"]),
            "status": "queued",
        }
        self.messages.append(message)
        return web.json_response(message, status=201)

    async def _list(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        to, from_ = request.query.get("To"), request.query.get("From")
        found = [
            m
            for m in reversed(self.messages)
            if (to is None or m["to"] == to) and (from_ is None or m["from"] == from_)
        ]
        return web.json_response(
            {
                "messages": found[:50],
                "end": len(found[:50]),
                "first_page_uri": request.path_qs,
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": 50,
                "start": 0,
                "uri": request.path_qs,
            }
        )


@asynccontextmanager
async def fake_twilio_api() -> AsyncIterator[tuple[FakeTwilio, str]]:
    """Twilio's Messages API on loopback (pages and SMS are sent there): the fake and its base URL."""
    twilio = FakeTwilio()
    async with serve(twilio.app()) as url:
        yield twilio, url
