"""The agent API's planned maintenance over HTTP: only supervisors schedule; the notice period and the yearly
cap refuse with a 422 and a reason unless overridden; a cancel retried answers as the first time."""

# ruff: noqa: F811  (the tests take test_api's `api` fixture, imported under its own name)

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from store.models import Account
from tests.bot.agents.test_api import Api, api  # noqa: F401  (the `api` fixture)

pytestmark = pytest.mark.usefixtures("fast_argon2")


async def _call(api: Api, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    """Through Api.call: every answer is checked against the OpenAPI document."""
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    status, answer, _ = await api.call(method, path, token, **kwargs)
    return status, answer


def _window(api: Api, days: float, **more: Any) -> dict[str, Any]:
    start = (api.svc.clock() + timedelta(days=days)).replace(microsecond=0)
    body = {
        "start": start.isoformat(), "end": (start + timedelta(hours=4)).isoformat(), "accounts": ["K100001"],
        "components": ["viewer"], "downtime": "yes", "summary": "Database upgrade",
    }  # fmt: skip
    return {**body, **more}


async def test_a_supervisor_schedules_within_the_rules_and_agents_only_read(api: Api) -> None:
    now = api.svc.clock()
    async with api.svc.store() as sessions, sessions() as session, session.begin():
        session.add(Account(k_number="K100001", name="North Clinic", created_at=now, updated_at=now))
    assert (await _call(api, "POST", "/api/maintenance", api.agent, _window(api, 30)))[0] == 403
    status, body = await _call(api, "POST", "/api/maintenance", api.supervisor, _window(api, 2))
    assert status == 422 and "notice" in body["error"]["message"]
    status, body = await _call(api, "POST", "/api/maintenance", api.supervisor, _window(api, 2, override="CVE fix"))
    assert status == 201, body
    window = body["window"]
    assert window["override_reason"] == "CVE fix" and window["accounts"] == ["K100001"]
    for bad in ({"start": "2026-03-10T09:00"}, {"accounts": ["K999999"]}, {"components": ["kettle"]}, {"x": 1}):
        status, body = await _call(api, "POST", "/api/maintenance", api.supervisor, _window(api, 30, **bad))
        assert status == 422 and body["error"]["message"], bad
    status, body = await _call(api, "GET", "/api/maintenance", api.agent)
    assert status == 200 and [w["id"] for w in body["windows"]] == [window["id"]]
    status, body = await _call(api, "GET", "/api/maintenance/budget?account=K100001", api.agent)
    assert status == 200 and sum(b["used_hours"] for b in body["budgets"]) == 4.0
    one = f"/api/maintenance/{window['id']}"
    status, body = await _call(api, "PUT", one, api.supervisor, _window(api, 30, summary="Moved later"))
    assert status == 200 and body["window"]["version"] == 2
    first = await _call(api, "POST", f"{one}/cancel", api.supervisor)
    assert first[0] == 200 and first[1]["window"]["status"] == "cancelled"
    again = await _call(api, "POST", f"{one}/cancel", api.supervisor)
    assert again[0] == 200 and again[1]["window"]["version"] == first[1]["window"]["version"]
    assert (await _call(api, "POST", "/api/maintenance/999/cancel", api.supervisor))[0] == 404


async def test_the_budget_and_list_refuse_unknown_or_bad_parameters_with_the_reason(api: Api) -> None:
    for query in ("?acount=K1", "?account=nobody", "?year=1999", "?year=abc"):
        status, body = await _call(api, "GET", f"/api/maintenance/budget{query}", api.agent)
        assert status == 422 and body["error"]["message"], query
    assert (await _call(api, "GET", "/api/maintenance?since=2026", api.agent))[0] == 422
    assert (await _call(api, "PUT", "/api/maintenance/abc", api.supervisor, {"summary": "x"}))[0] == 404
