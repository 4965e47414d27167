"""No 500s and no tracebacks: bounded JSON, unreadable forms and headers, long URLs, a database outage."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from argon2 import PasswordHasher
from sqlalchemy import text

from bot.agents import passwords
from bot.directline.errors import DirectLineError, TokenInvalidError
from bot.errors import ServiceError, error_middleware, is_database_unavailable
from bot.jsonbody import MAX_DEPTH, MAX_INT_DIGITS, JsonBodyError, loads_bounded
from bot.voice.signature import SIGNATURE_HEADER, sign
from store.db import create_engine
from tests.bot.agents import AgentService, bearer, running
from tests.bot.conftest import FakeClock, Service, start_service
from tests.bot.logcheck import service_logging, tracebacks
from tests.bot.voice.harness import serve

PUBLIC = "https://intake.example.test"
TWILIO_TOKEN = "test-auth-token-0123456789abcdef"
CALL = {"AccountSid": "AC" + "1" * 32, "CallSid": "CA" + "2" * 32, "From": "+14155552671", "To": "+18005550100"}

DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 20_000 + b"1" + b"}" * 20_000
HOSTILE_BODIES = [
    pytest.param(DEEP_ARRAY, id="nested-arrays"),
    pytest.param(DEEP_OBJECT, id="nested-objects"),
    pytest.param(b'{"type": "message", "n": ' + b"9" * 5000 + b"}", id="5000-digit-int"),
    pytest.param(b'{"type": "message", "text": "\xff\xfe"}', id="not-utf8"),
    pytest.param(b'{"type": "message", "n": NaN}', id="nan"),
    pytest.param(b'{"type": "message", "n": 1e999}', id="infinite"),
]


# --- the bounded JSON reader --------------------------------------------------------------------------------


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_loads_bounded_takes_ordinary_json() -> None:
    body = {"type": "message", "text": "héllo", "n": -12, "x": 1.5, "ok": True, "none": None, "list": [{"a": []}]}
    assert loads_bounded(json.dumps(body).encode()) == body
    assert loads_bounded(_nested(MAX_DEPTH)) == json.loads(_nested(MAX_DEPTH))
    assert loads_bounded("9" * MAX_INT_DIGITS) == int("9" * MAX_INT_DIGITS)
    assert loads_bounded("-" + "9" * MAX_INT_DIGITS) == -int("9" * MAX_INT_DIGITS)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param(_nested(MAX_DEPTH + 1).encode(), "nests deeper", id="one-level-too-deep"),
        pytest.param(DEEP_ARRAY, "nests deeper", id="recursion-limit-deep"),
        pytest.param(DEEP_OBJECT, "nests deeper", id="objects"),
        pytest.param(b'{"a": {"b": ' + _nested(MAX_DEPTH).encode() + b"}}", "nests deeper", id="inside-objects"),
        pytest.param(("1" * (MAX_INT_DIGITS + 1)).encode(), "integer", id="101-digits"),
        pytest.param(b"[" + b"1" * 5000 + b"]", "integer", id="5000-digits"),
        pytest.param(b'"\xff"', "UTF-8", id="not-utf8"),
        pytest.param(b'"\xed\xa0\x80"', "UTF-8", id="utf8-encoded-surrogate"),
        pytest.param(b"NaN", "not JSON", id="nan"),
        pytest.param(b"[-Infinity]", "not JSON", id="infinity"),
        pytest.param(b"1e999", "too large", id="float-overflow"),
        pytest.param(b"{not json", "not valid JSON", id="malformed"),
        pytest.param(b"", "not valid JSON", id="empty"),
    ],
)
def test_loads_bounded_refuses_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(JsonBodyError, match=reason) as caught:
        loads_bounded(raw)
    assert caught.value.status == 400 and caught.value.code == "invalid_json"


def test_error_classes_share_one_convention() -> None:
    assert issubclass(DirectLineError, ServiceError) and issubclass(JsonBodyError, ServiceError)
    assert issubclass(JsonBodyError, ValueError)  # callers that catch ValueError keep working
    refused = TokenInvalidError("the token is malformed")
    assert (refused.status, refused.code, refused.message) == (403, "TokenInvalid", "the token is malformed")


# --- the middleware on its own --------------------------------------------------------------------------------


class _Teapot(ServiceError):
    status = 418
    code = "teapot"


async def _raise_service_error(request: web.Request) -> web.Response:
    raise _Teapot("short and stout")


async def _crash(request: web.Request) -> web.Response:
    raise KeyError("K123456 secret words of a customer")


async def _database_down(request: web.Request) -> web.Response:
    engine = create_engine(f"sqlite+aiosqlite:///{request.app[_MISSING]}")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    return web.Response(text="unreachable")


_MISSING = web.AppKey("missing", str)


@contextmanager
def _threads_joined() -> Iterator[None]:
    # aiosqlite stops the thread of a connection that failed to open by a message nobody awaits; the
    # thread then reports to the event loop, which must still be open. Wait for those threads to end.
    before = set(threading.enumerate())
    try:
        yield
    finally:
        for thread in set(threading.enumerate()) - before:
            thread.join(timeout=30)


@pytest.fixture
async def small_app(tmp_path: Path) -> AsyncIterator[str]:
    app = web.Application(middlewares=[error_middleware])
    app[_MISSING] = str(tmp_path / "no" / "such" / "dir" / "intake.db")
    app.router.add_get("/teapot", _raise_service_error)
    app.router.add_get("/crash", _crash)
    app.router.add_get("/db", _database_down)
    app.router.add_get("/only-get", _crash)
    with _threads_joined():
        async with serve(app) as url:
            yield url


async def _get(url: str, method: str = "GET", **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
    async with ClientSession() as http, http.request(method, url, **kwargs) as response:
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, body, dict(response.headers)


async def test_middleware_answers_service_errors_with_their_status_and_code(small_app: str) -> None:
    status, body, _ = await _get(small_app + "/teapot")
    assert (status, body) == (418, {"error": {"code": "teapot", "message": "short and stout"}})


async def test_an_unexpected_exception_is_a_json_500_and_one_line_naming_only_its_type(
    small_app: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    status, body, _ = await _get(small_app + "/crash")
    assert status == 500 and body["error"]["code"] == "internal_error"
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in errors] == ["GET /crash -> 500: unexpected KeyError"]
    assert tracebacks(caplog) == []
    assert "K123456" not in caplog.text


async def test_aiohttp_errors_become_json_and_keep_their_headers(small_app: str) -> None:
    status, body, headers = await _get(small_app + "/only-get", "POST")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"
    assert "GET" in headers["Allow"]
    status, body, _ = await _get(small_app + "/nowhere")
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_a_database_error_is_503_with_retry_after(small_app: str, caplog: pytest.LogCaptureFixture) -> None:
    status, body, headers = await _get(small_app + "/db")
    assert status == 503 and body["error"]["code"] == "database_unavailable"
    assert int(headers["Retry-After"]) > 0
    assert tracebacks(caplog) == []


async def test_a_refused_connection_counts_as_an_outage_only_inside_the_database_stack() -> None:
    engine = create_engine("postgresql://intake@127.0.0.1:1/intake")  # nothing listens on port 1
    try:
        with pytest.raises(OSError) as caught:
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    assert is_database_unavailable(caught.value)
    assert not is_database_unavailable(ConnectionRefusedError("from elsewhere"))
    assert not is_database_unavailable(ValueError("a bug"))


# --- hostile input against the real service -------------------------------------------------------------------


async def _status(service: Service, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with service.http.request(method, service.base_url + path, **kwargs) as response:
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, body


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("raw", HOSTILE_BODIES)
async def test_hostile_json_gets_400_on_the_bot_and_direct_line_routes(
    service: Service, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    status, body = await _status(service, "POST", "/api/messages", data=raw, headers=JSON)
    assert status == 400, body
    assert body["error"]["code"] == "invalid_json"
    status, started = await _status(service, "POST", "/api/webchat/token")
    assert status == 200, started
    path = f"/v3/directline/conversations/{started['conversationId']}/activities"
    status, body = await _status(service, "POST", path, data=raw, headers={**JSON, **bearer(started["token"])})
    assert status == 400, body
    assert body["error"]["code"] == "MalformedJson"
    assert tracebacks(caplog) == []


@pytest.fixture
async def agents(db_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AgentService]:
    """The service with auth and the agent API, hashing passwords cheaply (as the agent tests do)."""
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    async with running(db_url) as service:
        yield service


@pytest.mark.parametrize("raw", HOSTILE_BODIES)
async def test_hostile_json_gets_400_on_the_agent_api_and_the_console(
    agents: AgentService, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    await agents.add_agent("ann")
    token = await agents.token("ann")
    csrf = await agents.signed_in("bob")
    async with agents.http.patch(
        agents.url("/api/cases/2611-0001"), data=raw, headers={**JSON, **bearer(token), "If-Match": '"1"'}
    ) as response:
        assert response.status == 400, await response.text()
        assert (await response.json())["error"]["code"] == "invalid_json"
    async with agents.http.post(
        agents.url("/agent/console/presence"), data=raw, headers={**JSON, "X-CSRF-Token": csrf}
    ) as response:
        assert response.status == 400, await response.text()
        assert (await response.json())["error"]["code"] == "invalid_json"
    assert tracebacks(caplog) == []


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(b"Bearer \xff\xfe", id="raw-0xff"),
        pytest.param(b"Bearer " + "caf\u00e9".encode() * 10, id="utf8-non-ascii"),
        pytest.param(b"\xff", id="no-scheme"),
    ],
)
async def test_credentials_that_are_not_ascii_get_400(
    service: Service, authorization: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    host = service.base_url.removeprefix("http://")
    for path in ("/v3/directline/conversations", "/v3/directline/tokens/generate", "/api/me"):
        method = b"GET" if path == "/api/me" else b"POST"
        reply = await _raw_request(
            host,
            method + b" " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthorization: " + authorization + b"\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n",
        )
        status_line, _, rest = reply.partition(b"\r\n")
        assert status_line == b"HTTP/1.1 400 Bad Request", (path, reply)
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"]["code"] == "bad_header"
    assert tracebacks(caplog) == []


async def _raw_request(host: str, request: bytes) -> bytes:
    name, _, port = host.partition(":")
    reader, writer = await asyncio.open_connection(name, int(port))
    try:
        writer.write(request)
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.fixture
async def phone(db_url: str) -> AsyncIterator[Service]:
    clock = FakeClock()
    runner, base_url = await start_service(db_url, clock, twilio_auth_token=TWILIO_TOKEN, public_base_url=PUBLIC)
    async with ClientSession() as http:
        yield Service(base_url=base_url, http=http, app=runner.app, clock=clock, db_url=db_url)
    await runner.cleanup()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    ("raw", "headers", "expected"),
    [
        pytest.param(b"CallSid=CA1&From=\xff\xff", FORM, (400, "bad_form"), id="raw-0xff"),
        pytest.param(b"CallSid=CA1", {"Content-Type": FORM["Content-Type"] + "; charset=nonsense"}, (400, "bad_form")),
        pytest.param(b"CallSid=CA1", {"Content-Type": "multipart/form-data"}, (415, "unsupported_media_type")),
        pytest.param(b"xx", {"Content-Type": "multipart/form-data; boundary=zz"}, (415, "unsupported_media_type")),
    ],
)
async def test_unreadable_webhook_forms_get_4xx_before_the_signature_check(
    phone: Service, raw: bytes, headers: dict[str, str], expected: tuple[int, str], caplog: pytest.LogCaptureFixture
) -> None:
    for path in ("/twilio/voice", "/twilio/gather?step=1", "/twilio/status"):
        status, body = await _status(phone, "POST", path, data=raw, headers=headers)
        assert (status, body["error"]["code"]) == expected, (path, body)
    assert tracebacks(caplog) == []


async def test_a_10kb_url_is_refused_in_one_line_without_its_query(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "K123456"
    with service_logging(logging.DEBUG) as written:
        async with service.http.get(f"{service.base_url}/api/cases?account={secret}&pad={'x' * 10_000}") as response:
            assert response.status == 400
    refused = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert len(refused) == 1, [r.getMessage() for r in refused]
    assert refused[0].levelno == logging.INFO and "LineTooLong" in refused[0].getMessage()
    assert tracebacks(caplog) == []
    assert secret not in caplog.text and secret not in written.getvalue()
    assert len([line for line in written.getvalue().splitlines() if "aiohttp.server" in line]) == 1


# --- a database outage -----------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
async def outage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Service]:
    """The service on a database that cannot be reached: a file in a missing folder, or a closed port."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'intake.db'}"
    else:
        url = "postgresql://intake@127.0.0.1:1/intake"
    clock = FakeClock()
    with _threads_joined():
        runner, base_url = await start_service(url, clock, twilio_auth_token=TWILIO_TOKEN, public_base_url=PUBLIC)
        async with ClientSession() as http:
            yield Service(base_url=base_url, http=http, app=runner.app, clock=clock, db_url=url)
        await runner.cleanup()


async def _webhook(service: Service, path: str, **extra: str) -> tuple[int, str, dict[str, str]]:
    params = {**CALL, **extra}
    headers = {SIGNATURE_HEADER: sign(auth_token=TWILIO_TOKEN, url=PUBLIC + path, params=params)}
    async with service.http.post(service.base_url + path, data=params, headers=headers) as response:
        return response.status, await response.text(), dict(response.headers)


def _request_lines(caplog: pytest.LogCaptureFixture, path: str) -> list[logging.LogRecord]:
    # The service's own lines about one request (the test runner's access log is not the service's).
    return [r for r in caplog.records if f" {path}" in r.getMessage() and r.name != "aiohttp.access"]


async def test_during_an_outage_json_routes_answer_503_with_retry_after(
    outage: Service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    activity = {
        "type": "message",
        "text": "K123456 everything is down",
        "conversation": {"id": "outage-1"},
        "from": {"id": "u"},
        "recipient": {"id": "bot"},
        "deliveryMode": "expectReplies",
    }
    checks = [
        ("GET", "/readyz", {}),
        ("POST", "/api/messages", {"json": activity}),
        ("POST", "/api/webchat/token", {}),
        ("GET", "/api/cases", bearer("x" * 40)),
        ("POST", "/agent/sign-in", {"json": {"name": "ann", "password": "wrong password"}}),
    ]
    for method, path, extra in checks:
        kwargs: dict[str, Any] = dict(extra) if "json" in extra else {"headers": extra}
        async with outage.http.request(method, outage.base_url + path, **kwargs) as response:
            assert response.status == 503, (path, await response.text())
            assert (await response.json())["error"]["code"] == "database_unavailable"
            assert int(response.headers["Retry-After"]) > 0
    assert tracebacks(caplog) == []
    for path in ("/api/messages", "/api/webchat/token", "/api/cases", "/agent/sign-in"):
        assert len(_request_lines(caplog, path)) == 1, [r.getMessage() for r in caplog.records]


async def test_during_an_outage_a_caller_hears_one_moment(outage: Service, caplog: pytest.LogCaptureFixture) -> None:
    status, document, _ = await _webhook(outage, "/twilio/voice")
    assert status == 200
    answer = ET.fromstring(document)
    assert [c.tag for c in answer] == ["Say", "Pause", "Redirect"]
    assert answer.findtext("Say") == "One moment, please."
    assert answer.findtext("Redirect") == PUBLIC + "/twilio/voice?outage=1"

    # The redirect comes back signed for its own URL; after a few tries the caller is told to call again.
    path = "/twilio/voice?outage=1"
    for _ in range(10):
        status, document, _ = await _webhook(outage, path)
        assert status == 200
        answer = ET.fromstring(document)
        if answer.find("Redirect") is None:
            break
        path = (answer.findtext("Redirect") or "").removeprefix(PUBLIC)
    assert [c.tag for c in answer] == ["Say", "Hangup"]
    assert "call again" in (answer.findtext("Say") or "")

    status, document, _ = await _webhook(outage, "/twilio/gather?step=2", SpeechResult="it is all down")
    gather = ET.fromstring(document).find("Gather")
    assert status == 200 and gather is not None
    assert gather.get("action") == PUBLIC + "/twilio/gather?step=2"  # the same step, asked again
    assert "One moment" in (gather.findtext("Say") or "")

    status, body, headers = await _webhook(outage, "/twilio/status", CallStatus="completed")
    assert status == 503 and int(headers["Retry-After"]) > 0
    assert json.loads(body)["error"]["code"] == "database_unavailable"
    assert tracebacks(caplog) == []
    assert len(_request_lines(caplog, "/twilio/gather")) == 1
