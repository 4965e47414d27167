"""The agent JSON API over HTTP: token auth, cases, handoffs, roles, conflicts, and the OpenAPI document.

Every answer of the API in these tests is checked against the OpenAPI document the service serves: its
status must be listed for the operation and its body must match the listed schema.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from multidict import CIMultiDict

from bot.agents.api import setup_agent_api
from bot.agents.openapi import openapi_document
from bot.keys import SETTINGS
from intake.domain import CaseStatus
from store.agents import disable_agent, get_agent_by_name
from store.cases import update_case
from store.handoffs import claim, close, create_handoff
from store.transcripts import append_transcript
from tests.bot.agents import AgentService, bearer, running
from tests.store.helpers import T0, new_case

pytestmark = pytest.mark.usefixtures("fast_argon2")

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
NOT_IN_DOCUMENT = {"/api/messages", "/api/webchat/token"}  # the Bot Framework side, not the agent API


# --- a small checker for the OpenAPI document's schemas -------------------------------------------


def _resolve(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def mismatches(value: Any, schema: dict[str, Any], doc: dict[str, Any], where: str = "$") -> list[str]:
    """What in `value` disagrees with `schema` (type, enum, required and undocumented keys, items, date-time)."""
    if "$ref" in schema:
        schema = _resolve(doc, schema["$ref"])
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_TYPES[kind](value) for kind in kinds):
            return [f"{where}: {value!r} is not {kinds}"]
    problems = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if schema.get("format") == "date-time" and isinstance(value, str) and datetime.fromisoformat(value).tzinfo is None:
        problems.append(f"{where}: {value!r} has no offset")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        problems += [f"{where}: missing {name}" for name in schema.get("required", []) if name not in value]
        for name, item in value.items():
            if name in properties:
                problems += mismatches(item, properties[name], doc, f"{where}.{name}")
            elif properties and schema.get("additionalProperties") is not True:
                problems.append(f"{where}: undocumented {name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += mismatches(item, schema["items"], doc, f"{where}[{index}]")
    return problems


def _operation(doc: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    for template, item in doc["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method in item:
            operation = item[method]
            assert isinstance(operation, dict)
            return operation
    raise AssertionError(f"{method.upper()} {path} is not in the OpenAPI document")


# --- the service ----------------------------------------------------------------------------------


@dataclass
class Api:
    """A running service, its OpenAPI document, and tokens of an agent and a supervisor."""

    svc: AgentService
    doc: dict[str, Any]
    agent: str
    supervisor: str

    async def call(self, method: str, path: str, token: str | None, **kwargs: Any) -> tuple[int, Any, CIMultiDict[str]]:
        """Call the API; check the answer against the document; return status, JSON body, headers."""
        headers = {**(bearer(token) if token else {}), **kwargs.pop("headers", {})}
        async with self.svc.http.request(method, self.svc.url(path), headers=headers, **kwargs) as response:
            assert response.content_type == "application/json", await response.text()
            body = await response.json()
            status, got = response.status, response.headers.copy()
        operation = _operation(self.doc, method.lower(), path.split("?")[0])
        listed = operation["responses"]
        assert str(status) in listed, f"{method} {path} answered {status}, not listed: {sorted(listed)}"
        schema = listed[str(status)].get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            assert mismatches(body, schema, self.doc) == [], body
        if status >= 400:
            assert set(body) == {"error"} and body["error"]["message"], body
        return status, body, got

    async def get(self, path: str, token: str | None = None, **kwargs: Any) -> tuple[int, Any, CIMultiDict[str]]:
        return await self.call("GET", path, self.agent if token is None else token, **kwargs)

    async def patch(
        self, number: str, body: Any, *, etag: str | None, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any, CIMultiDict[str]]:
        headers = {} if etag is None else {"If-Match": etag}
        return await self.call(
            "PATCH",
            f"/api/cases/{number}",
            self.agent if token is None else token,
            json=body,
            headers=headers,
            **kwargs,
        )

    async def etag(self, number: str) -> str:
        status, _, headers = await self.get(f"/api/cases/{number}")
        assert status == 200
        return headers["ETag"]


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async with running(db_url) as svc:
        await svc.add_agent("ann")
        await svc.add_agent("sue", role="supervisor")
        async with svc.http.get(svc.url("/api/openapi.json")) as response:
            assert response.status == 200
            doc = await response.json()
        yield Api(svc, doc, await svc.token("ann"), await svc.token("sue"))


async def _cases(svc: AgentService) -> list[str]:
    """Three cases: Sev2 new (with a chat transcript), Sev1 escalated, Sev4 resolved; newest last."""
    async with svc.store() as sessions:
        first = await new_case(sessions, "k1", conversation_id="conv-a")
        second = await new_case(
            sessions, "k2", k_number="K654321", severity=1, status="escalated", created_at=T0 + timedelta(hours=1)
        )
        third = await new_case(sessions, "k3", severity=4, status="resolved", created_at=T0 + timedelta(hours=2))
        async with sessions() as session, session.begin():
            for role, text, activity in [
                ("customer", "K123456 dictation is down at the north clinic", None),
                ("bot", "", {"type": "typing"}),
                ("bot", "Thanks, I have filed that.", {"type": "message", "text": "Thanks, I have filed that."}),
            ]:
                await append_transcript(
                    session,
                    conversation_id="conv-a",
                    role=role,
                    text=text,
                    at=T0,
                    activity=activity,
                    channel="directline",
                )
    return [first.number, second.number, third.number]


# --- the document ---------------------------------------------------------------------------------


async def test_openapi_document_describes_every_api_route(api: Api) -> None:
    doc = api.doc
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["servers"] == [{"url": api.svc.app[SETTINGS].base_url}]
    assert doc["components"]["securitySchemes"]["bearerToken"] == {"type": "http", "scheme": "bearer"}
    operation_ids: list[str] = []
    documented: set[tuple[str, str]] = set()
    for path, item in doc["paths"].items():
        assert path.startswith("/api/"), path
        placeholders = set(re.findall(r"\{([^}]+)\}", path))
        for parameter in item.get("parameters", []):
            assert parameter["in"] == "path" and parameter["name"] in placeholders and parameter["required"] is True
        operations = {key: value for key, value in item.items() if key in HTTP_METHODS}
        assert operations, path
        assert set(item) - HTTP_METHODS <= {"parameters", "summary", "description"}
        for method, operation in operations.items():
            documented.add((method.upper(), path))
            operation_ids.append(operation["operationId"])
            assert operation["summary"]
            responses = operation["responses"]
            assert responses, (method, path)
            for code, response in responses.items():
                assert re.fullmatch(r"[1-5]\d\d", code), code
                assert response["description"]
            secured = operation.get("security", doc["security"]) != []
            if secured:
                assert "401" in responses, (method, path)
            if method == "patch":
                assert {"409", "422", "428", "403", "404"} <= set(responses)
    assert len(operation_ids) == len(set(operation_ids))

    # Every $ref points at something.
    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [node["$ref"]] if "$ref" in node else [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    for ref in refs(doc):
        _resolve(doc, ref)

    # ...and the app serves exactly what is documented under /api/.
    served = {
        (route.method, route.resource.canonical)
        for route in api.svc.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.resource.canonical not in NOT_IN_DOCUMENT
        and route.method != "HEAD"
    }
    assert served == documented


def test_setup_agent_api_mounts_only_documented_routes() -> None:
    app = web.Application()
    setup_agent_api(app)
    doc = openapi_document()
    for route in app.router.routes():
        if route.method != "HEAD":
            assert route.resource is not None
            assert route.method.lower() in doc["paths"][route.resource.canonical]


# --- authentication -------------------------------------------------------------------------------


async def test_every_endpoint_refuses_a_missing_bad_revoked_or_disabled_token(api: Api) -> None:
    (number, *_) = await _cases(api.svc)
    endpoints = [("GET", "/api/me"), ("GET", "/api/cases"), ("GET", f"/api/cases/{number}"),
                 ("PATCH", f"/api/cases/{number}"), ("GET", "/api/handoffs")]  # fmt: skip

    async def refused(token: str | None, code: str, headers: dict[str, str] | None = None) -> None:
        for method, path in endpoints:
            sent = {**(headers or {}), **({"If-Match": '"x"'} if method == "PATCH" else {})}
            body_json = {"note": "x"} if method == "PATCH" else None
            status, body, got = await api.call(method, path, token, headers=sent, json=body_json)
            assert status == 401 and body["error"]["code"] == code, (method, path, body)
            assert got["WWW-Authenticate"].startswith("Bearer")

    await refused(None, "token_missing")
    await refused(None, "token_missing", headers={"Authorization": "Basic YW5uOnB3"})
    await refused("not-a-token", "token_invalid")
    await refused("x" * 5000, "token_invalid")

    # Revoking: the CLI revokes every token of an agent; the other agent's token still works.
    assert (await api.get("/api/me"))[0] == 200
    await api.svc.cli("revoke-tokens", "ann")
    await refused(api.agent, "token_invalid")
    assert (await api.get("/api/me", api.supervisor))[0] == 200

    # Disabled: the token is refused even though it was never revoked itself.
    fresh = await api.svc.token("sue")
    async with api.svc.store() as sessions, sessions() as session, session.begin():
        await disable_agent(session, name="sue", at=api.svc.clock.now)
    await refused(fresh, "token_invalid")


async def test_the_openapi_document_is_public(api: Api) -> None:
    async with api.svc.http.get(api.svc.url("/api/openapi.json")) as response:
        assert response.status == 200


async def test_me(api: Api) -> None:
    status, body, headers = await api.get("/api/me")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert body["agent"] | {"id": 0} == {
        "id": 0,
        "name": "ann",
        "email": "ann@example.com",
        "role": "agent",
        "presence": "offline",
        "disabled": False,
    }
    status, body, _ = await api.get("/api/me", api.supervisor)
    assert body["agent"]["name"] == "sue" and body["agent"]["role"] == "supervisor"


# --- cases ----------------------------------------------------------------------------------------


async def test_list_and_filter_cases(api: Api) -> None:
    first, second, third = await _cases(api.svc)

    async def numbers(query: str) -> list[str]:
        status, body, _ = await api.get(f"/api/cases{query}")
        assert status == 200, body
        return [case["number"] for case in body["cases"]]

    assert await numbers("") == [third, second, first]  # newest first
    assert await numbers("?status=&severity=&account=") == [third, second, first]  # empty = no filter
    assert await numbers("?status=escalated") == [second]
    assert await numbers("?severity=4") == [third]
    assert await numbers("?account=k%20123456") == [third, first]
    assert await numbers("?account=K123456&status=new&severity=2") == [first]
    assert await numbers("?status=closed") == []
    assert await numbers("?limit=2") == [third, second]
    _, body, _ = await api.get("/api/cases?severity=1")
    case = body["cases"][0]
    assert case["k_number"] == "K654321" and case["severity"] == 1 and case["status"] == "escalated"
    assert case["channel"] == "chat" and case["outcome"] == "web_request"
    assert case["created_at"] == (T0 + timedelta(hours=1)).isoformat()


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("status=open", "status 'open'"),
        ("severity=5", "severity"),
        ("severity=high", "severity"),
        ("account=12345", "K#"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("sort=asc", "unknown query parameter"),
    ],
)
async def test_invalid_case_filters_are_422(api: Api, query: str, fragment: str) -> None:
    status, body, _ = await api.get(f"/api/cases?{query}")
    assert status == 422 and fragment in body["error"]["message"]


async def test_case_detail_has_events_transcript_and_etag(api: Api) -> None:
    first, second, _ = await _cases(api.svc)
    status, body, headers = await api.get(f"/api/cases/{first}")
    assert status == 200
    assert body["case"]["number"] == first and body["case"]["conversation_id"] == "conv-a"
    assert [event["kind"] for event in body["events"]] == ["created"]
    # Messages only (the typing indicator is left out), without the raw activities.
    assert [(line["role"], line["text"]) for line in body["transcript"]] == [
        ("customer", "K123456 dictation is down at the north clinic"),
        ("bot", "Thanks, I have filed that."),
    ]
    assert headers["ETag"] == f'"{body["version"]}"'
    # Any spelling of the number works; a case without a conversation has no transcript.
    status, other, _ = await api.get(f"/api/cases/{second.replace('-', '')}")
    assert status == 200 and other["case"]["number"] == second and other["transcript"] == []
    assert other["version"] != body["version"]


async def test_a_case_shows_agents_what_the_document_says_and_no_internal_key(api: Api) -> None:
    first, *_ = await _cases(api.svc)
    schemas = api.doc["components"]["schemas"]
    case, detail = schemas["Case"], schemas["CaseDetail"]
    # The version is the response's, next to the case (the ETag), not a field of the case.
    assert "version" not in case["properties"] and "version" in detail["required"]
    assert "top level" in api.doc["paths"]["/api/cases/{number}"]["patch"]["description"]
    # The bot's create-once key is nobody's business; the conversation is, and says what it is.
    assert "idempotency_key" not in case["properties"]
    assert "handoffs" in case["properties"]["conversation_id"]["description"]
    _, listed, _ = await api.get("/api/cases")
    _, body, headers = await api.get(f"/api/cases/{first}")
    _, patched, _ = await api.patch(first, {"note": "looked"}, etag=headers["ETag"])
    for shown in (*listed["cases"], body["case"], patched["case"]):
        assert "idempotency_key" not in shown and "version" not in shown
        # A list row is the case and its SLA state (the workspace's lists count down to its next target).
        assert set(shown) == set(case["properties"]) | ({"sla"} if "sla" in shown else set())
    assert set(schemas["CaseRow"]["properties"]) == {*case["properties"], "sla"}
    assert listed["cases"] and all("sla" in row for row in listed["cases"])


@pytest.mark.parametrize("number", ["2611-9999", "nonsense"])
async def test_unknown_case_is_404(api: Api, number: str) -> None:
    await _cases(api.svc)
    status, body, _ = await api.get(f"/api/cases/{number}")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body, _ = await api.patch(number, {"note": "hello"}, etag='"anything"')
    assert status == 404


async def test_patch_changes_status_severity_and_adds_notes(api: Api) -> None:
    first, *_ = await _cases(api.svc)
    api.svc.clock.now = T0 + timedelta(hours=3)
    etag = await api.etag(first)
    status, body, headers = await api.patch(first, {"status": "in_progress"}, etag=etag)
    assert status == 200 and body["case"]["status"] == "in_progress"
    assert body["case"]["updated_at"] == (T0 + timedelta(hours=3)).isoformat()
    assert headers["ETag"] != etag and headers["ETag"] == f'"{body["version"]}"'

    status, body, headers = await api.patch(
        first, {"severity": 3, "reason": "only one user affected"}, etag=headers["ETag"]
    )
    assert status == 200 and body["case"]["severity"] == 3
    change = body["events"][-1]
    assert change["kind"] == "severity_changed" and change["actor"] == "agent:ann"
    assert change["detail"] == {"from": 2, "to": 3, "reason": "only one user affected"}

    # Resolving tells the customer what was done: without that, it is refused.
    status, body, _ = await api.patch(first, {"status": "resolved"}, etag=headers["ETag"])
    assert status == 422 and "what was done" in body["error"]["message"]
    status, body, headers = await api.patch(
        first,
        {"note": "  called the customer back  ", "status": "resolved", "reason": "Restarted the dictation service"},
        etag=headers["ETag"],
    )
    assert status == 200 and body["case"]["status"] == "resolved" and body["case"]["resolved_at"]
    assert [(e["kind"], e["actor"]) for e in body["events"]] == [
        ("created", "bot"),
        ("status_changed", "agent:ann"),
        ("severity_changed", "agent:ann"),
        ("status_changed", "agent:ann"),
        ("notice_queued", "agent:ann"),  # the resolution
        ("notice_queued", "agent:ann"),  # "is everything working?" in two days
        ("note", "agent:ann"),
    ]
    assert body["events"][-1]["detail"] == {"text": "called the customer back"}
    # What GET shows afterwards is what PATCH answered.
    status, again, got = await api.get(f"/api/cases/{first}")
    assert again == body and got["ETag"] == headers["ETag"]
    # The same severity again is no change, so it needs no reason.
    status, _, _ = await api.patch(first, {"severity": 3}, etag=headers["ETag"])
    assert status == 200


async def test_patch_needs_if_match_and_refuses_a_stale_version(api: Api) -> None:
    first, *_ = await _cases(api.svc)
    stale = await api.etag(first)
    status, body, _ = await api.patch(first, {"note": "no version"}, etag=None)
    assert status == 428 and "If-Match" in body["error"]["message"]
    status, _, _ = await api.patch(first, {"note": "any version"}, etag="*")
    assert status == 428

    # Someone else changes the case: a version read before that is refused, and nothing is written.
    async with api.svc.store() as sessions, sessions() as session, session.begin():
        await update_case(session, number=first, actor="agent:other", at=T0, status=CaseStatus.IN_PROGRESS)
    current = await api.etag(first)
    status, body, headers = await api.patch(first, {"status": "escalated", "note": "mine"}, etag=stale)
    assert status == 409 and body["error"]["code"] == "conflict"
    assert headers["ETag"] == current
    status, detail, _ = await api.get(f"/api/cases/{first}")
    assert detail["case"]["status"] == "in_progress" and detail["events"][-1]["kind"] == "status_changed"

    # A new note is a change too: the version moves with the history.
    status, _, headers = await api.patch(first, {"note": "first"}, etag=current)
    assert status == 200
    status, _, _ = await api.patch(first, {"note": "second"}, etag=current)
    assert status == 409
    # Weak and listed tags are read too.
    status, _, _ = await api.patch(first, {"note": "second"}, etag=f'"other", W/{headers["ETag"]}')
    assert status == 200


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "nothing to change"),
        ([], "JSON object"),
        ({"priority": 1}, "unknown field"),
        ({"status": "open"}, "status 'open'"),
        ({"status": 3}, "status must be a string"),
        ({"severity": 5, "reason": "r"}, "severity"),
        ({"severity": "high", "reason": "r"}, "severity"),
        ({"severity": True, "reason": "r"}, "severity"),
        ({"severity": "3", "reason": "r"}, "severity"),
        ({"severity": 3}, "needs a reason"),
        ({"severity": 3, "reason": "   "}, "reason"),
        ({"note": ""}, "note"),
        ({"note": 42}, "note"),
        ({"note": "x" * 10_001}, "note"),
    ],
)
async def test_invalid_patches_are_422_and_change_nothing(api: Api, body: Any, fragment: str) -> None:
    first, *_ = await _cases(api.svc)
    etag = await api.etag(first)
    status, answer, _ = await api.patch(first, body, etag=etag)
    assert status == 422 and fragment in answer["error"]["message"], answer
    assert await api.etag(first) == etag


async def test_patch_body_must_be_json(api: Api) -> None:
    first, *_ = await _cases(api.svc)
    etag = await api.etag(first)
    status, _, _ = await api.call("PATCH", f"/api/cases/{first}", api.agent, data="note=x", headers={"If-Match": etag})
    assert status == 415
    status, _, _ = await api.call(
        "PATCH",
        f"/api/cases/{first}",
        api.agent,
        data="{not json",
        headers={"If-Match": etag, "Content-Type": "application/json"},
    )
    assert status == 400
    assert await api.etag(first) == etag


async def test_only_supervisors_close_reopen_or_lower_a_sev1(api: Api) -> None:
    first, sev1, _ = await _cases(api.svc)

    async def attempt(number: str, body: dict[str, Any], token: str) -> int:
        status, answer, _ = await api.patch(number, body, etag=await api.etag(number), token=token)
        if status == 403:
            assert answer["error"]["code"] == "forbidden" and "supervisor" in answer["error"]["message"]
        return status

    assert await attempt(first, {"status": "closed"}, api.agent) == 403
    assert await attempt(sev1, {"severity": 2, "reason": "workaround found"}, api.agent) == 403
    assert await attempt(first, {"severity": 1, "reason": "all sites down now"}, api.agent) == 200  # raising is fine
    assert await attempt(first, {"severity": 2, "reason": "one site again"}, api.agent) == 403  # it is a Sev1 now
    assert await attempt(sev1, {"severity": 2, "reason": "workaround found"}, api.supervisor) == 200
    assert await attempt(first, {"status": "closed"}, api.supervisor) == 200
    assert await attempt(first, {"status": "in_progress"}, api.agent) == 403  # reopening
    assert await attempt(first, {"note": "still closed, noted"}, api.agent) == 200
    assert await attempt(first, {"status": "in_progress"}, api.supervisor) == 200
    _, body, _ = await api.get(f"/api/cases/{sev1}")
    assert body["case"]["severity"] == 2 and body["events"][-1]["actor"] == "agent:sue"


async def test_a_claimed_case_is_changed_only_by_its_agent_or_a_supervisor(api: Api) -> None:
    first, *_ = await _cases(api.svc)
    await api.svc.add_agent("bea")
    bea = await api.svc.token("bea")
    async with api.svc.store() as sessions, sessions() as session, session.begin():
        handoff, _ = await create_handoff(
            session,
            conversation_id="conv-a",
            channel="directline",
            reason="question",
            reference={},
            at=T0,
            case_number=first,
        )
        claimer = await get_agent_by_name(session, name="bea")
        assert claimer is not None
        assert await claim(session, handoff_id=handoff.id, agent_id=claimer.id, at=T0)

    async def attempt(body: dict[str, Any], token: str) -> tuple[int, Any]:
        status, answer, _ = await api.patch(first, body, etag=await api.etag(first), token=token)
        return status, answer

    for body in (
        {"status": "resolved", "reason": "fixed"},
        {"severity": 3, "reason": "one user"},
        {"note": "I can help"},
    ):
        status, answer = await attempt(body, api.agent)
        assert status == 403 and answer["error"]["code"] == "forbidden", answer
        assert "claimed" in answer["error"]["message"]
    assert (await attempt({"note": "on it"}, bea))[0] == 200
    assert (await attempt({"severity": 3, "reason": "one user"}, api.supervisor))[0] == 200
    _, body, _ = await api.get(f"/api/cases/{first}")
    assert [e["actor"] for e in body["events"][-2:]] == ["agent:bea", "agent:sue"]
    # Once the chat ends the case is nobody's again.
    async with api.svc.store() as sessions, sessions() as session, session.begin():
        assert await close(session, handoff_id=handoff.id, agent_id=claimer.id, at=T0)
    assert (await attempt({"status": "in_progress"}, api.agent))[0] == 200


# --- handoffs -------------------------------------------------------------------------------------


async def test_list_handoffs(api: Api) -> None:
    first, *_ = await _cases(api.svc)
    async with api.svc.store() as sessions, sessions() as session, session.begin():
        reference = {"conversation": {"id": "conv-a"}, "serviceUrl": "http://127.0.0.1/"}
        await create_handoff(
            session,
            conversation_id="conv-a",
            channel="directline",
            reason="customer_asked",
            reference=reference,
            at=T0,
            case_number=first,
            severity=2,
        )
        await create_handoff(
            session, conversation_id="conv-b", channel="directline", reason="question", reference={}, at=T0
        )
    status, body, _ = await api.get("/api/handoffs")
    assert status == 200
    handoffs = body["handoffs"]
    assert [(h["conversation_id"], h["status"], h["case_number"]) for h in handoffs] == [
        ("conv-a", "queued", first),
        ("conv-b", "queued", None),
    ]
    assert handoffs[0]["severity"] == 2 and handoffs[0]["created_at"] == T0.isoformat()
    assert all("conversation_reference" not in h for h in handoffs)
    status, body, _ = await api.get("/api/handoffs?status=queued")
    assert len(body["handoffs"]) == 2
    status, body, _ = await api.get("/api/handoffs?status=active")
    assert body == {"handoffs": []}
    status, body, _ = await api.get("/api/handoffs?status=lost")
    assert status == 422 and "queued" in body["error"]["message"]
    status, body, _ = await api.get("/api/handoffs?agent=1")
    assert status == 422
