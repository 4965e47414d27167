"""The agent API's case workspace over HTTP: lists by view, filters, SLA state and pages; claim, assign, notes,
updates to the customer, resolve, close, reopen. Every answer is checked against the OpenAPI document."""

# ruff: noqa: F811  (the tests take test_api's `api` fixture, imported under its own name)

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from store.models import Outbox
from tests.bot.agents.test_api import Api, _cases, api  # noqa: F401  (the `api` fixture)
from tests.store.helpers import T0, new_case

pytestmark = pytest.mark.usefixtures("fast_argon2")

ACTIONS = ["claim", "assign", "notes", "updates", "resolve", "close", "reopen"]


async def _post(api: Api, number: str, action: str, body: Any = None, *, token: str | None = None, **kw: Any) -> Any:
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    status, answer, _ = await api.call("POST", f"/api/cases/{number}/{action}", token or api.agent, **kwargs, **kw)
    return status, answer


async def _numbers(api: Api, query: str, token: str | None = None) -> list[str]:
    status, body, _ = await api.get(f"/api/cases?{query}", token)
    assert status == 200, body
    return [row["number"] for row in body["cases"]]


async def test_claim_once_assign_and_let_go(api: Api) -> None:
    first, second, _ = await _cases(api.svc)
    await api.svc.add_agent("bea")
    bea = await api.svc.token("bea")
    assert await _numbers(api, "view=mine") == []
    status, body = await _post(api, first, "claim")
    assert status == 200 and body["case"]["assignee"] == "ann"
    assert body["events"][-1]["kind"] == "assigned" and body["events"][-1]["detail"] == {"from": None, "to": "ann"}
    # A second claim by someone else is refused, naming who has the case; nothing is written.
    status, refused = await _post(api, first, "claim", token=bea)
    assert status == 409 and "ann has this case" in refused["error"]["message"]
    assert await _numbers(api, "view=mine") == [first]
    assert await _numbers(api, "view=mine", bea) == []
    assert first not in await _numbers(api, "view=unassigned")
    # Only a supervisor hands a case to someone else; an agent may let go of their own.
    status, _ = await _post(api, second, "assign", {"assignee": "bea"})
    assert status == 403
    status, body = await _post(api, first, "assign", {"assignee": "BEA"}, token=api.supervisor)
    assert status == 200 and body["case"]["assignee"] == "bea"
    status, _ = await _post(api, first, "assign", {"assignee": None})  # ann no longer has it
    assert status == 403
    status, body = await _post(api, first, "assign", {"assignee": None}, token=bea)
    assert status == 200 and body["case"]["assignee"] is None
    status, _ = await _post(api, first, "assign", {"assignee": "nobody"}, token=api.supervisor)
    assert status == 404
    status, _ = await _post(api, first, "assign", {}, token=api.supervisor)
    assert status == 422


async def test_list_filters_views_and_pages(api: Api) -> None:
    first, second, third = await _cases(api.svc)
    assert await _numbers(api, "open=true") == [second, first]
    assert await _numbers(api, "open=true&severity=1") == [second]
    assert await _numbers(api, "open=false") == [third, second, first]
    assert await _numbers(api, "account=K654321") == [second]
    _, page, _ = await api.get("/api/cases?limit=2")
    assert [row["number"] for row in page["cases"]] == [third, second] and page["next"]
    _, rest, _ = await api.get(f"/api/cases?limit=2&before={page['next']}")
    assert [row["number"] for row in rest["cases"]] == [first] and rest["next"] is None


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("view=theirs", "view"),
        ("sla=late", "sla"),
        ("open=yes", "open"),
        ("before=0", "before"),
        ("before=x", "before"),
    ],
)
async def test_invalid_list_parameters_are_422(api: Api, query: str, fragment: str) -> None:
    status, body, _ = await api.get(f"/api/cases?{query}")
    assert status == 422 and fragment in body["error"]["message"]


async def test_sla_states_follow_the_clocks(api: Api) -> None:
    async with api.svc.store() as sessions:
        case = await new_case(sessions, "sla-1")
    api.svc.clock.now = T0 + timedelta(minutes=1)
    _, detail, _ = await api.get(f"/api/cases/{case.number}")
    response = next(c for c in detail["clocks"] if c["name"] == "response")
    assert response["state"] == "running" and detail["sla"]["next"] == {"clock": "response", "due": response["due"]}
    assert await _numbers(api, "sla=ok") == [case.number]
    api.svc.clock.now = datetime.fromisoformat(response["warn_at"]) + timedelta(seconds=1)
    assert await _numbers(api, "sla=warning") == [case.number]
    assert await _numbers(api, "sla=ok") == []
    api.svc.clock.now = datetime.fromisoformat(response["due"]) + timedelta(seconds=1)
    assert await _numbers(api, "sla=breached") == [case.number]
    _, detail, _ = await api.get(f"/api/cases/{case.number}")
    assert detail["sla"]["state"] == "breached" and detail["clocks"][0]["remaining_minutes"] < 0
    # Answered, then waiting for the customer: the update and fix clocks pause, nothing runs.
    status, _ = await _post(api, case.number, "updates", {"text": "We are on it."})
    assert status == 200
    status, body, _ = await api.patch(case.number, {"status": "pending_customer"}, etag=await api.etag(case.number))
    assert status == 200 and body["sla"]["state"] == "breached"  # the response came late: it stays breached
    async with api.svc.store() as sessions:
        on_time = await new_case(sessions, "sla-2", created_at=api.svc.clock.now)
    await _post(api, on_time.number, "updates", {"text": "Looking now."})
    status, body, _ = await api.patch(
        on_time.number, {"status": "pending_customer"}, etag=await api.etag(on_time.number)
    )
    assert body["sla"] == {"state": "paused", "next": None}
    assert [c["state"] for c in body["clocks"]] == ["met", "paused", "paused"]
    assert body["clocks"][2]["pauses"][0]["reason"] == "waiting for the customer"
    assert await _numbers(api, "sla=paused") == [on_time.number]


async def test_update_to_the_customer_is_queued_once_per_key(api: Api) -> None:
    first, *_ = await _cases(api.svc)
    body = {"text": "We found the cause and are testing a fix.", "key": "tab-1:1"}
    status, answer = await _post(api, first, "updates", body)
    assert status == 200 and answer["update"] == {"queued": True, "relayed": False}
    assert answer["events"][-1]["kind"] == "customer_update"
    status, again = await _post(api, first, "updates", body)  # the client's retry
    assert status == 200 and again["update"]["queued"] is False and again["events"] == answer["events"]
    async with api.svc.store() as sessions, sessions() as session:
        notices = (await session.exec(select(Outbox).where(Outbox.kind == "notice"))).all()
    assert len(notices) == 1 and notices[0].payload["text"] == body["text"]
    status, _ = await _post(api, first, "updates", {"text": " "})
    assert status == 422


async def test_resolve_with_a_note_then_close_and_reopen(api: Api) -> None:
    first, *_ = await _cases(api.svc)
    status, _ = await _post(api, first, "resolve", {})
    assert status == 422
    status, _ = await _post(api, first, "close", token=api.supervisor)
    assert status == 409  # not resolved yet
    status, body = await _post(api, first, "notes", {"text": "Checked the logs."})
    assert status == 200 and body["events"][-1]["detail"] == {"text": "Checked the logs."}
    status, body = await _post(api, first, "resolve", {"resolution": "Restarted dictation service."})
    assert status == 200 and body["case"]["status"] == "resolved"
    [resolved] = [e for e in body["events"] if e["kind"] == "status_changed" and e["detail"]["to"] == "resolved"]
    assert resolved["detail"]["reason"] == "Restarted dictation service."
    # The customer is told what was done, and asked in two days whether everything works.
    assert [e["kind"] for e in body["events"][-2:]] == ["notice_queued", "notice_queued"]
    status, _ = await _post(api, first, "close")
    assert status == 403  # closing is a supervisor's
    status, body = await _post(api, first, "close", token=api.supervisor)
    assert status == 200 and body["case"]["status"] == "closed" and body["case"]["closed_at"]
    status, _ = await _post(api, first, "updates", {"text": "one more thing"})
    assert status == 403
    status, _ = await _post(api, first, "reopen", {"reason": "came back"})
    assert status == 403  # reopening a closed case is a supervisor's
    status, body = await _post(api, first, "reopen", {"reason": "came back"}, token=api.supervisor)
    assert status == 200 and body["case"]["status"] == "in_progress"


async def test_actions_refuse_a_stale_if_match_and_bad_requests(api: Api) -> None:
    first, *_ = await _cases(api.svc)
    stale = await api.etag(first)
    await _post(api, first, "notes", {"text": "someone else wrote"})
    status, body = await _post(api, first, "claim", headers={"If-Match": stale})
    assert status == 409 and "changed" in body["error"]["message"]
    status, _ = await _post(api, first, "claim", headers={"If-Match": await api.etag(first)})
    assert status == 200
    status, _ = await _post(api, first, "notes", {"text": "x", "extra": 1})
    assert status == 422
    status, _ = await _post(api, first, "notes", data="{not json", headers={"Content-Type": "application/json"})
    assert status == 400
    status, _ = await _post(api, "2611-9999", "claim")
    assert status == 404


@pytest.mark.parametrize("action", ACTIONS)
async def test_every_action_needs_a_valid_token(api: Api, action: str) -> None:
    first, *_ = await _cases(api.svc)
    for token in (None, "not-a-token"):
        status, body, _ = await api.call("POST", f"/api/cases/{first}/{action}", token, json={})
        assert status == 401, body
    _, detail, _ = await api.get(f"/api/cases/{first}")
    assert [e["kind"] for e in detail["events"]] == ["created"]
