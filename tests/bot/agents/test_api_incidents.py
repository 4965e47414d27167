"""The agent API's incidents over HTTP: open by hand, link and detach cases, post updates that reach every
linked customer, resolve with the linked cases; clear 4xx for bad input; retries change nothing twice. Every
answer is checked against the OpenAPI document (tests/bot/agents/test_api.py's Api)."""

# ruff: noqa: F811  (the tests take test_api's `api` fixture, imported under its own name)

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from intake.domain import CaseStatus
from store.cases import get_case, list_events
from store.models import Outbox
from tests.bot.agents.test_api import Api, _cases, api  # noqa: F401  (the `api` fixture)

pytestmark = pytest.mark.usefixtures("fast_argon2")


async def _post(api: Api, path: str, body: Any = None, *, token: str | None = None, **kw: Any) -> tuple[int, Any]:
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    status, answer, _ = await api.call("POST", path, token or api.agent, **kwargs, **kw)
    return status, answer


async def _open(api: Api, component: str = "viewer", title: str = "Viewer will not load studies") -> int:
    status, body = await _post(api, "/api/incidents", {"component": component, "title": title})
    assert status == 201, body
    return int(body["incident"]["id"])


async def test_an_incident_from_opening_to_resolution(api: Api) -> None:
    first, second, _ = await _cases(api.svc)
    status, body, _ = await api.get("/api/incidents")
    assert status == 200 and body == {"incidents": []}
    incident = await _open(api)
    one = f"/api/incidents/{incident}"

    status, body = await _post(api, f"{one}/link", {"case": first})
    assert status == 200 and body["incident"]["cases"] == [first]
    assert body["cases"][0]["number"] == first and body["cases"][0]["detached"] is False
    # A retried link changes nothing: one link, one history entry.
    assert await _post(api, f"{one}/link", {"case": first.replace("-", "")}) == (200, body)
    status, body = await _post(api, f"{one}/link", {"case": second}, token=api.supervisor)
    assert status == 200 and body["incident"]["cases"] == [first, second]

    status, listed, _ = await api.get("/api/incidents?status=open")
    [row] = listed["incidents"]
    assert row["id"] == incident and row["component"] == "viewer" and row["component_label"] == "viewer"
    assert row["status"] == "open" and row["opened_by"] == "agent:ann" and row["cases"] == [first, second]
    assert (await api.get("/api/incidents?status=resolved"))[1] == {"incidents": []}

    news = {"text": "A fix is being deployed.", "key": "upd-1"}
    status, body = await _post(api, f"{one}/updates", news)
    assert status == 200 and body["update"] == {"reached": 2, "relayed": 0}  # neither customer is in a chat
    # The same update retried (its key) is recorded and sent once.
    status, again = await _post(api, f"{one}/updates", news)
    assert status == 200 and again["update"] == {"reached": 0, "relayed": 0} and again["updates"] == body["updates"]
    assert [(u["text"], u["reached"], u["actor"]) for u in body["updates"]] == [
        ("A fix is being deployed.", 2, "agent:ann")
    ]
    async with api.svc.store() as sessions, sessions() as session:
        notices = (await session.exec(select(Outbox).where(col(Outbox.kind) == "notice"))).all()
        history = await list_events(session, number=first)
    said = [n.payload["text"] for n in notices if n.payload.get("notice") == "incident_update"]
    assert said == ["A fix is being deployed."] * 2
    assert [e.kind for e in history].count("incident_linked") == 1
    assert "customer_update" in [e.kind for e in history]  # it counts as the case's update

    status, body = await _post(api, f"{one}/detach", {"case": second})
    assert status == 200 and body["incident"]["cases"] == [first] and body["incident"]["detached"] == [second]
    assert [c["detached"] for c in body["cases"]] == [False, True]
    assert await _post(api, f"{one}/detach", {"case": second}) == (200, body)  # a retry

    fixed = {"resolution": "The viewer's cache cluster was restarted."}
    status, body = await _post(api, f"{one}/resolve", fixed)
    assert status == 200 and body["incident"]["status"] == "resolved"
    assert body["incident"]["resolution"] == fixed["resolution"] and body["incident"]["resolved_by"] == "agent:ann"
    assert await _post(api, f"{one}/resolve", fixed) == (200, body)  # a retry
    async with api.svc.store() as sessions, sessions() as session:
        resolved, kept = await get_case(session, number=first), await get_case(session, number=second)
    assert resolved is not None and resolved.status is CaseStatus.RESOLVED
    assert kept is not None and kept.status is not CaseStatus.RESOLVED  # detached: it keeps its own course

    status, refused = await _post(api, f"{one}/resolve", {"resolution": "Something else"})
    assert status == 409 and "resolved" in refused["error"]["message"]
    status, refused = await _post(api, f"{one}/updates", {"text": "late news"})
    assert status == 409 and "resolved" in refused["error"]["message"]
    status, refused = await _post(api, f"{one}/link", {"case": second})
    assert status == 409 and "resolved" in refused["error"]["message"]


@pytest.mark.parametrize(
    ("path", "body", "status", "fragment"),
    [
        ("/api/incidents", {"component": "printer", "title": "x"}, 422, "component must be one of viewer"),
        ("/api/incidents", {"component": 7, "title": "x"}, 422, "component must be one of"),
        ("/api/incidents", {"component": "viewer", "title": "   "}, 422, "title must be non-empty"),
        ("/api/incidents", {"component": "viewer", "title": "x" * 201}, 422, "at most 200"),
        ("/api/incidents", {"component": "viewer", "title": "x", "severity": 1}, 422, "unknown field(s) severity"),
        ("/api/incidents", [1], 422, "send a JSON object"),
        ("{one}/updates", {"text": "x" * 4001}, 422, "text must be non-empty text of at most 4000"),
        ("{one}/updates", {}, 422, "text must be non-empty"),
        ("{one}/resolve", {"resolution": ""}, 422, "resolution must be non-empty"),
        ("{one}/link", {"case": "yesterday"}, 422, "case must be a case number"),
        ("{one}/link", {"case": ["2611-0001"]}, 422, "case must be a case number"),
        ("{one}/link", {"case": "2611-9999"}, 422, "no case 2611-9999"),
        ("/api/incidents/999/updates", {"text": "x"}, 404, "no incident 999"),
        ("/api/incidents/abc/link", {"case": "2611-0001"}, 404, "no incident"),
    ],
)
async def test_bad_input_is_a_clear_4xx_and_changes_nothing(
    api: Api, path: str, body: Any, status: int, fragment: str
) -> None:
    incident = await _open(api, "archive", "Priors missing")
    got, answer = await _post(api, path.format(one=f"/api/incidents/{incident}"), body)
    assert got == status and fragment in answer["error"]["message"], answer
    _, detail, _ = await api.get(f"/api/incidents/{incident}")
    assert detail["updates"] == [] and detail["incident"]["status"] == "open" and detail["incident"]["cases"] == []


async def test_conflicts_name_what_stands_in_the_way(api: Api) -> None:
    first, *_ = await _cases(api.svc)
    viewer = await _open(api)
    status, refused = await _post(api, "/api/incidents", {"component": "viewer", "title": "again"})
    assert status == 409 and "incident of viewer is open already" in refused["error"]["message"]
    archive = await _open(api, "archive", "Priors missing")
    await _post(api, f"/api/incidents/{viewer}/link", {"case": first})
    status, refused = await _post(api, f"/api/incidents/{archive}/link", {"case": first})
    assert status == 409 and f"is linked to incident {viewer}" in refused["error"]["message"]
    status, refused = await _post(api, f"/api/incidents/{archive}/detach", {"case": first})
    assert status == 409 and "is not linked" in refused["error"]["message"]
    # The case moves once it is detached from the first.
    await _post(api, f"/api/incidents/{viewer}/detach", {"case": first})
    status, body = await _post(api, f"/api/incidents/{archive}/link", {"case": first})
    assert status == 200 and body["incident"]["cases"] == [first]


async def test_invalid_list_queries_and_unknown_incidents(api: Api) -> None:
    for query, fragment in [("status=gone", "status 'gone'"), ("limit=0", "limit '0'"), ("sort=id", "unknown")]:
        status, body, _ = await api.get(f"/api/incidents?{query}")
        assert status == 422 and fragment in body["error"]["message"], body
    for raw in ("999", "0", "x", "1" * 20, str(2**31)):
        status, body, _ = await api.get(f"/api/incidents/{raw}")
        assert status == 404, body


async def test_every_incident_endpoint_refuses_a_missing_or_bad_token(api: Api) -> None:
    incident = await _open(api)
    one = f"/api/incidents/{incident}"
    endpoints = [
        ("GET", "/api/incidents", None),
        ("POST", "/api/incidents", {"component": "archive", "title": "x"}),
        ("GET", one, None),
        ("POST", f"{one}/link", {"case": "2611-0001"}),
        ("POST", f"{one}/detach", {"case": "2611-0001"}),
        ("POST", f"{one}/updates", {"text": "x"}),
        ("POST", f"{one}/resolve", {"resolution": "x"}),
    ]
    for token in (None, "not-a-token"):
        for method, path, body in endpoints:
            kwargs = {} if body is None else {"json": body}
            status, answer, got = await api.call(method, path, token, **kwargs)
            assert status == 401 and got["WWW-Authenticate"].startswith("Bearer"), (method, path, answer)
    _, detail, _ = await api.get(one)
    assert detail["incident"]["status"] == "open" and detail["updates"] == []
