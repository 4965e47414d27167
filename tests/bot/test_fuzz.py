"""Fuzzing every public door of the running service: never a 5xx, never a traceback in the log.

The agent API is fuzzed from its own OpenAPI document (schemathesis, valid and invalid requests); the
Bot Framework endpoint, the Direct Line gateway, the Twilio webhooks and the agent forms by hypothesis
strategies of hostile bodies, headers, paths and forms. Each door gets a fixed number of examples with a
fixed seed (derandomized), so a run is repeatable and its length bounded by the example counts.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests
import schemathesis
from aiohttp import ClientSession
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from bot.agents import passwords
from bot.voice.signature import SIGNATURE_HEADER, sign
from tests.bot.agents import AgentService, bearer, running
from tests.bot.conftest import FakeClock, Service, start_service
from tests.bot.logcheck import service_logging, tracebacks

PUBLIC = "https://intake.example.test"
TWILIO_TOKEN = "test-auth-token-0123456789abcdef"


def example_each(name: str, values: list[Any]) -> Callable[[Any], Any]:
    """Try each of `values` for the argument `name` before anything generated."""

    def decorate(test: Any) -> Any:
        for value in reversed(values):
            test = example(**{name: value})(test)
        return test

    return decorate


def fuzz(examples: int) -> Callable[[Any], Any]:
    """Hypothesis settings of one door: `examples` cases, repeatable, no timing rules, no example database."""
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


# --- strategies -----------------------------------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "\x00", "\ud800", "K123456", "1" * 300, "2026-13-45T99:99:99Z", "message"])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
ACTIVITY_TYPES = st.sampled_from(
    ["message", "conversationUpdate", "event", "invoke", "typing", "endOfConversation", "messageReaction", "trace"]
) | st.text(max_size=70)
ACTIVITY_FIELDS = [
    "text", "speak", "locale", "name", "textFormat", "inputHint", "localTimestamp", "timestamp", "channelData",
    "attachments", "attachmentLayout", "entities", "suggestedActions", "value", "valueType", "membersAdded",
    "membersRemoved", "reactionsAdded", "replyToId", "id", "from", "recipient", "channelId", "conversation",
    "importance", "summary", "label", "code", "expiration", "semanticAction", "callerId", "relatesTo", "action",
]  # fmt: skip
# Fields a client may send with values of any JSON type (serviceUrl and deliveryMode stay fixed: replies of
# a fuzzed activity are kept in the response, never sent anywhere).
ACTIVITY_EXTRAS = st.dictionaries(st.sampled_from(ACTIVITY_FIELDS), JSON_VALUES, max_size=5)
# What the first fuzzing found, tried first on every door.
DEEP_JSON = b"[" * 50_000 + b"]" * 50_000
HUGE_INT = b'{"type": "message", "n": ' + b"9" * 5000 + b"}"
NOT_UTF8 = b'{"type": "message", "text": "\xff\xfe"}'
RAW_BODIES = st.binary(max_size=300) | st.sampled_from([b"", DEEP_JSON, HUGE_INT, NOT_UTF8, b"null", b"NaN", b'"x"'])
# Header values http.client will send as they are (it refuses CR, LF and NUL itself).
HEADER_BYTES = st.binary(max_size=60).filter(lambda b: not ({13, 10, 0} & set(b)) and not b[:1].isspace())


def _bot_activity(kind: str, text: str, conversation: str, extras: dict[str, Any]) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": kind,
        "text": text,
        "conversation": {"id": conversation},
        "from": {"id": "fuzz-user"},
        "recipient": {"id": "bot"},
        **extras,
        "deliveryMode": "expectReplies",
    }
    activity.pop("serviceUrl", None)
    return activity


BOT_ACTIVITIES = st.builds(
    _bot_activity, ACTIVITY_TYPES, st.text(max_size=300), st.text(min_size=1, max_size=60), ACTIVITY_EXTRAS
)
KNOWN_ACTIVITIES = [
    {"type": "invoke", "name": "adaptiveCard/action", "value": {"action": {"type": "Action.Execute"}}},
    {"type": "message\n2026-12-04 10:00:00,000 ERROR bot.app: forged", "text": "hi"},
    {"type": "message", "text": "nul \x00 and a lone \ud800 surrogate"},
    {"type": "conversationUpdate", "membersAdded": 0, "localTimestamp": "yesterday", "attachments": "x"},
]


# --- a client on a worker thread (the service keeps serving on the test's event loop) ---------------------------


@dataclass
class Door:
    """Blocking HTTP to the running service, asserting that nothing answers 5xx."""

    base_url: str
    session: requests.Session = field(default_factory=requests.Session)
    requests: int = 0

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, self.base_url + path, timeout=60, allow_redirects=False, **kwargs)
        self.requests += 1
        assert response.status_code < 500, (method, path, kwargs, response.status_code, response.text[:300])
        return response


async def _in_thread(check: Callable[[], None], caplog: pytest.LogCaptureFixture) -> None:
    """Run the blocking `check` on a worker thread, with logging set up as `intake serve` sets it up."""
    with service_logging(logging.INFO):
        await asyncio.to_thread(check)
    assert tracebacks(caplog) == []
    assert [r.getMessage() for r in caplog.records if r.name == "bot.errors" and r.levelname == "ERROR"] == []


# --- the agent API, from its OpenAPI document -------------------------------------------------------------------


@pytest.fixture
async def agents(db_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AgentService]:
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    async with running(db_url) as service:
        yield service


async def test_agent_api_survives_its_own_schema_fuzzed(agents: AgentService, caplog: pytest.LogCaptureFixture) -> None:
    await agents.add_agent("ann", "supervisor")
    token = await agents.token("ann")
    async with agents.http.get(agents.url("/api/openapi.json")) as response:
        document = await response.json()
    schema = schemathesis.openapi.from_dict(document)
    door = Door(agents.base_url)

    def check() -> None:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                # Half the cases carry the token, so both the refusals and the handlers are reached.
                @fuzz(20)
                @given(case=operation.as_strategy(generation_mode=mode), authorised=st.booleans())
                def one(case: schemathesis.Case, authorised: bool) -> None:
                    headers = {**(case.headers or {}), **(bearer(token) if authorised else {})}
                    response = case.call(base_url=agents.base_url, session=door.session, headers=headers)
                    door.requests += 1
                    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])

                try:
                    one()
                except Unsatisfiable:
                    # An operation with no parameters and no body has no invalid request to make.
                    assert mode is GenerationMode.NEGATIVE

    await _in_thread(check, caplog)
    assert door.requests > 100


# --- the Bot Framework endpoint ---------------------------------------------------------------------------------


async def test_bot_endpoint_survives_fuzzed_activities(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    door = Door(service.base_url)
    headers = {"Content-Type": "application/json"}

    def check() -> None:
        @fuzz(60)
        @given(activity=BOT_ACTIVITIES)
        @example_each("activity", [_bot_activity(a["type"], "", "c" * 300, a) for a in KNOWN_ACTIVITIES])
        def activities(activity: dict[str, Any]) -> None:
            door.send("POST", "/api/messages", data=json.dumps(activity), headers=headers)

        @fuzz(40)
        @given(body=RAW_BODIES | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
        @example_each("body", [DEEP_JSON, HUGE_INT, NOT_UTF8])
        def bodies(body: bytes) -> None:
            door.send("POST", "/api/messages", data=body, headers=headers)

        activities()
        bodies()

    await _in_thread(check, caplog)


# --- the Direct Line gateway ------------------------------------------------------------------------------------


async def test_direct_line_survives_fuzzed_requests(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    door = Door(service.base_url)

    def check() -> None:
        started = door.send("POST", "/api/webchat/token").json()
        conversation, token = started["conversationId"], started["token"]
        activities = f"/v3/directline/conversations/{conversation}/activities"
        auth_json = {**bearer(token), "Content-Type": "application/json"}

        @fuzz(50)
        @given(
            body=st.builds(lambda kind, extras: {"type": kind, **extras}, ACTIVITY_TYPES, ACTIVITY_EXTRAS) | JSON_VALUES
        )
        @example_each("body", KNOWN_ACTIVITIES)
        def posted(body: Any) -> None:
            door.send("POST", activities, data=json.dumps(body), headers=auth_json)

        @fuzz(25)
        @given(body=RAW_BODIES, content_type=st.sampled_from(["application/json", "text/plain", "multipart/form-data"]))
        @example(body=DEEP_JSON, content_type="application/json")
        @example(body=HUGE_INT, content_type="application/json")
        @example(body=NOT_UTF8, content_type="application/json")
        def raw(body: bytes, content_type: str) -> None:
            door.send("POST", activities, data=body, headers={**bearer(token), "Content-Type": content_type})

        @fuzz(40)
        @given(
            value=HEADER_BYTES,
            path=st.sampled_from(
                [
                    "/v3/directline/conversations",
                    "/v3/directline/tokens/generate",
                    "/v3/directline/tokens/refresh",
                    activities,
                    "/api/webchat/token",
                ]
            ),
        )
        @example(value=b"Bearer \xff\xfe", path="/v3/directline/conversations")
        @example(value="Bearer caf\u00e9".encode(), path="/v3/directline/tokens/refresh")
        def authorization(value: bytes, path: str) -> None:
            door.send("POST", path, headers={"Authorization": value, "Content-Type": "application/json"}, data=b"{}")

        posted()
        raw()
        authorization()

    await _in_thread(check, caplog)


async def test_direct_line_survives_any_conversation_id_in_the_path(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    door = Door(service.base_url)

    def check() -> None:
        token = door.send("POST", "/api/webchat/token").json()["token"]

        @fuzz(40)
        @given(conversation_id=st.text(min_size=1, max_size=80), watermark=st.text(max_size=20))
        @example(conversation_id="caf\u00e9", watermark="\u00b2")
        @example(conversation_id="x" * 80, watermark="9" * 20)
        def paths(conversation_id: str, watermark: str) -> None:
            path = f"/v3/directline/conversations/{quote(conversation_id, safe='')}"
            door.send("GET", f"{path}/activities", params={"watermark": watermark}, headers=bearer(token))
            door.send("GET", path, params={"watermark": watermark}, headers=bearer(token))

        paths()

    await _in_thread(check, caplog)


# --- the Twilio webhooks ----------------------------------------------------------------------------------------


@pytest.fixture
async def phone(db_url: str) -> AsyncIterator[Service]:
    clock = FakeClock()
    runner, base_url = await start_service(db_url, clock, twilio_auth_token=TWILIO_TOKEN, public_base_url=PUBLIC)
    async with ClientSession() as http:
        yield Service(base_url=base_url, http=http, app=runner.app, clock=clock, db_url=db_url)
    await runner.cleanup()


TWILIO_FIELDS = [
    "CallSid", "AccountSid", "From", "To", "CallStatus", "Direction", "Digits", "SpeechResult", "Confidence",
    "DialCallStatus", "RecordingUrl", "RecordingDuration", "ApiVersion", "Caller",
]  # fmt: skip
WEBHOOK_PATHS = st.sampled_from(
    ["/twilio/voice", "/twilio/gather", "/twilio/dial-status", "/twilio/whisper", "/twilio/voicemail", "/twilio/status"]
)
WEBHOOK_CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=bogus",
    "multipart/form-data",
    "multipart/form-data; boundary=zz",
    "application/json",
]
QUERIES = st.dictionaries(st.sampled_from(["step", "next", "case", "outage"]), st.text(max_size=8), max_size=2)
FORMS = st.builds(
    lambda call, extra: {"CallSid": call, **extra},
    st.from_regex(r"CA[0-9a-f]{32}", fullmatch=True) | st.text(max_size=40),
    st.dictionaries(st.sampled_from(TWILIO_FIELDS) | st.text(max_size=10), st.text(max_size=40), max_size=8),
)


async def test_phone_webhooks_survive_fuzzed_forms(phone: Service, caplog: pytest.LogCaptureFixture) -> None:
    door = Door(phone.base_url)

    def check() -> None:
        # Signed: the fuzzed form reaches the webhook's own checks.
        @fuzz(80)
        @given(path=WEBHOOK_PATHS, query=QUERIES, form=FORMS)
        def signed(path: str, query: dict[str, str], form: dict[str, str]) -> None:
            target = path + ("?" + urlencode(query) if query else "")
            signature = sign(auth_token=TWILIO_TOKEN, url=PUBLIC + target, params=form)
            door.send("POST", target, data=form, headers={SIGNATURE_HEADER: signature})

        # Unsigned and raw: refused before (and whatever) the body is.
        @fuzz(40)
        @given(
            path=WEBHOOK_PATHS,
            body=RAW_BODIES,
            content_type=st.sampled_from(WEBHOOK_CONTENT_TYPES),
            signature=HEADER_BYTES,
        )
        @example(
            path="/twilio/voice", body=b"CallSid=CA1&From=\xff", content_type=WEBHOOK_CONTENT_TYPES[0], signature=b""
        )
        @example(path="/twilio/gather", body=b"xx", content_type="multipart/form-data; boundary=zz", signature=b"x")
        def raw(path: str, body: bytes, content_type: str, signature: bytes) -> None:
            door.send("POST", path, data=body, headers={"Content-Type": content_type, SIGNATURE_HEADER: signature})

        signed()
        raw()

    await _in_thread(check, caplog)


# --- the agent forms and the console ----------------------------------------------------------------------------

CONSOLE_ACTIONS = ["claim", "messages", "severity", "notes", "status", "hand-back", "close"]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]


def _encoded(body: Any, content_type: str) -> bytes:
    if isinstance(body, bytes):
        return body
    if content_type == "application/x-www-form-urlencoded" and isinstance(body, dict):
        return urlencode({str(k): str(v) for k, v in body.items()}).encode()
    return json.dumps(body).encode()


FORM_BODIES = (
    RAW_BODIES
    | JSON_VALUES
    | st.fixed_dictionaries(
        {"name": SCALARS, "password": SCALARS}, optional={"new_password": SCALARS, "csrf_token": SCALARS}
    )
)


async def test_agent_forms_and_console_survive_fuzzed_input(
    agents: AgentService, caplog: pytest.LogCaptureFixture
) -> None:
    csrf = await agents.signed_in("bob", "supervisor")
    door = Door(agents.base_url)
    for cookie in agents.http.cookie_jar:
        door.session.cookies.set(cookie.key, cookie.value)

    def check() -> None:
        @fuzz(60)
        @given(
            action=st.sampled_from(CONSOLE_ACTIONS),
            handoff=st.integers(min_value=-5, max_value=10**12).map(str) | st.text(min_size=1, max_size=20),
            body=FORM_BODIES,
            content_type=st.sampled_from(CONTENT_TYPES),
            with_csrf=st.booleans(),
        )
        def console(action: str, handoff: str, body: Any, content_type: str, with_csrf: bool) -> None:
            headers = {"Content-Type": content_type, **({"X-CSRF-Token": csrf} if with_csrf else {})}
            path = f"/agent/console/handoffs/{quote(handoff, safe='')}/{action}"
            door.send("POST", path, data=_encoded(body, content_type), headers=headers)
            door.send("POST", "/agent/console/presence", data=_encoded(body, content_type), headers=headers)

        @fuzz(40)
        @given(body=FORM_BODIES, content_type=st.sampled_from(CONTENT_TYPES))
        @example(body=b"name=\xff&password=\xfe", content_type="application/x-www-form-urlencoded")
        @example(body=b"name=bob", content_type="multipart/form-data")
        @example(body=DEEP_JSON, content_type="application/json")
        @example(body=HUGE_INT, content_type="application/json")
        def sign_in(body: Any, content_type: str) -> None:
            # A client of its own: a fuzzed sign-in must not end the console session above.
            response = requests.post(
                agents.url("/agent/sign-in"),
                data=_encoded(body, content_type),
                headers={"Content-Type": content_type},
                timeout=60,
                allow_redirects=False,
            )
            assert response.status_code < 500, (body, content_type, response.text[:300])

        @fuzz(30)
        @given(body=FORM_BODIES, content_type=st.sampled_from(CONTENT_TYPES))
        def password(body: Any, content_type: str) -> None:
            headers = {"Content-Type": content_type, "X-CSRF-Token": csrf}
            door.send("POST", "/agent/password", data=_encoded(body, content_type), headers=headers)

        console()
        sign_in()
        password()

    await _in_thread(check, caplog)
