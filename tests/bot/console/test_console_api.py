"""The console's endpoints: sign-in and CSRF checks, ownership, exactly-one claims, case tools, queue order."""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession

from intake.domain import CaseStatus
from store.cases import get_case, list_events, update_case
from store.handoffs import get_handoff, queue
from store.transcripts import get_transcript

from .harness import Agent, Site, hand_off, running_site

ACTIONS = [
    ("POST", "/messages", {"text": "hi"}),
    ("POST", "/notes", {"text": "internal"}),
    ("POST", "/severity", {"severity": 3, "reason": "one user"}),
    ("POST", "/status", {"status": "resolved"}),
    ("POST", "/hand-back", None),
    ("POST", "/close", None),
]


async def _queued(site: Site, *, with_case: bool = True) -> int:
    customer = await site.customer()
    await hand_off(customer, with_case=with_case)
    async with site.sessions() as session:
        items = await queue(session)
    return items[-1].id


async def _status(site: Site, handoff_id: int) -> str:
    async with site.sessions() as session:
        handoff = await get_handoff(session, handoff_id=handoff_id)
    assert handoff is not None
    return handoff.status.value


async def test_without_a_session_pages_redirect_and_the_api_answers_401(db_url: str) -> None:
    async with running_site(db_url) as site:
        await site.sign_in("alice")
        handoff_id = await _queued(site)
        async with ClientSession() as anonymous:
            for path in ("/agent", "/agent/supervisor"):
                async with anonymous.get(site.base_url + path, allow_redirects=False) as response:
                    assert response.status == 303 and response.headers["Location"] == "/agent/sign-in"
            nobody = Agent(site.base_url, anonymous, agent=None, csrf="")  # type: ignore[arg-type]
            for method, path, body in [
                ("GET", "/queue", None),
                ("GET", "/events", None),
                ("GET", f"/handoffs/{handoff_id}", None),
                ("POST", f"/handoffs/{handoff_id}/claim", None),
                *((m, f"/handoffs/{handoff_id}{p}", b) for m, p, b in ACTIONS),
            ]:
                status, data = await nobody.call(method, path, body)
                assert status == 401, (path, status)
                assert data["error"]["code"] == "not_signed_in"
        assert await _status(site, handoff_id) == "queued"


async def test_a_wrong_or_missing_csrf_token_is_refused_and_changes_nothing(db_url: str) -> None:
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        handoff_id = await _queued(site)
        for token in ("wrong", ""):
            status, data = await alice.call("POST", f"/handoffs/{handoff_id}/claim", csrf=token)
            assert status == 403 and data["error"]["code"] == "csrf_failed"
        assert await _status(site, handoff_id) == "queued"
        await alice.ok("POST", f"/handoffs/{handoff_id}/claim")
        async with site.sessions() as session:
            before = len(await get_transcript(session, conversation_id=(await _conversation(site, handoff_id))))
        for method, path, body in ACTIONS:
            status, _ = await alice.call(method, f"/handoffs/{handoff_id}{path}", body, csrf="wrong")
            assert status == 403, path
        status, _ = await alice.call("POST", "/presence", {"presence": "away"}, csrf="wrong")
        assert status == 403
        assert await _status(site, handoff_id) == "active"
        async with site.sessions() as session:
            after = len(await get_transcript(session, conversation_id=(await _conversation(site, handoff_id))))
        assert after == before


async def _conversation(site: Site, handoff_id: int) -> str:
    async with site.sessions() as session:
        handoff = await get_handoff(session, handoff_id=handoff_id)
    assert handoff is not None
    return handoff.conversation_id


async def test_another_agents_conversation_is_403(db_url: str) -> None:
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        bob = await site.sign_in("bob")
        boss = await site.sign_in("boss", role="supervisor")
        handoff_id = await _queued(site)
        # Before anyone claims it, everyone may look, nobody may act.
        await bob.ok("GET", f"/handoffs/{handoff_id}")
        status, data = await bob.call("POST", f"/handoffs/{handoff_id}/messages", {"text": "hi"})
        assert status == 409 and "claim" in data["error"]["message"]
        await alice.ok("POST", f"/handoffs/{handoff_id}/claim")
        status, data = await bob.call("GET", f"/handoffs/{handoff_id}")
        assert status == 403 and data["error"]["code"] == "not_your_conversation"
        for who in (bob, boss):
            for method, path, body in ACTIONS:
                status, data = await who.call(method, f"/handoffs/{handoff_id}{path}", body)
                assert status == 403, (who.agent.name, path, status, data)
        status, _ = await bob.call("POST", f"/handoffs/{handoff_id}/claim")
        assert status == 409
        # A supervisor may watch.
        await boss.ok("GET", f"/handoffs/{handoff_id}")
        assert await _status(site, handoff_id) == "active"
        async with site.sessions() as session:
            lines = await get_transcript(session, conversation_id=await _conversation(site, handoff_id))
        assert not any(line.role == "agent" for line in lines)


async def test_two_agents_claiming_at_once_exactly_one_wins(db_url: str) -> None:
    async with running_site(db_url) as site:
        agents = [await site.sign_in(name) for name in ("alice", "bob", "carol")]
        for _ in range(2):
            handoff_id = await _queued(site)
            results = await asyncio.gather(*(a.call("POST", f"/handoffs/{handoff_id}/claim") for a in agents))
            statuses = sorted(status for status, _ in results)
            assert statuses == [200, 409, 409], results
            winner = next(a for a, (status, _) in zip(agents, results, strict=True) if status == 200)
            async with site.sessions() as session:
                handoff = await get_handoff(session, handoff_id=handoff_id)
            assert handoff is not None and handoff.agent_id == winner.agent.id
            # Exactly one "joined" notice reached the customer.
            lines = await _transcript_texts(site, handoff.conversation_id)
            assert sum("has joined the chat" in text for text in lines) == 1


async def _transcript_texts(site: Site, conversation_id: str) -> list[str]:
    async with site.sessions() as session:
        return [line.text for line in await get_transcript(session, conversation_id=conversation_id)]


async def test_case_tools_severity_notes_resolve_and_close(db_url: str) -> None:
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        handoff_id = await _queued(site)
        detail = await alice.ok("POST", f"/handoffs/{handoff_id}/claim")
        number = detail["case"]["number"]
        status, _ = await alice.call("POST", f"/handoffs/{handoff_id}/severity", {"severity": 2})
        assert status == 422  # a reason is required
        status, _ = await alice.call("POST", f"/handoffs/{handoff_id}/severity", {"severity": 7, "reason": "x"})
        assert status == 422
        changed = await alice.ok(
            "POST", f"/handoffs/{handoff_id}/severity", {"severity": 2, "reason": "dictation down for a site"}
        )
        assert changed["case"]["severity"] == 2 and changed["handoff"]["severity"] == 2
        await alice.ok("POST", f"/handoffs/{handoff_id}/severity", {"severity": 1, "reason": "everything is down"})
        status, data = await alice.call("POST", f"/handoffs/{handoff_id}/severity", {"severity": 3, "reason": "oops"})
        assert status == 403 and "supervisor" in data["error"]["message"]
        noted = await alice.ok("POST", f"/handoffs/{handoff_id}/notes", {"text": "customer on v5.2"})
        assert noted["events"][-1]["kind"] == "note" and noted["events"][-1]["detail"] == {"text": "customer on v5.2"}
        resolved = await alice.ok("POST", f"/handoffs/{handoff_id}/status", {"status": "resolved"})
        assert resolved["case"]["status"] == "resolved"
        status, data = await alice.call("POST", f"/handoffs/{handoff_id}/status", {"status": "closed"})
        assert status == 403  # closing a case is a supervisor's, as in the agent API
        async with site.sessions() as session:
            events = await list_events(session, number=number)
        changes = [(e.kind, e.actor, e.detail) for e in events if e.kind in ("severity_changed", "status_changed")]
        assert changes == [
            ("severity_changed", "alice", {"from": 4, "to": 2, "reason": "dictation down for a site"}),
            ("severity_changed", "alice", {"from": 2, "to": 1, "reason": "everything is down"}),
            ("status_changed", "alice", {"from": "new", "to": "resolved"}),
        ]
        # The customer never sees internal notes.
        texts = await _transcript_texts(site, await _conversation(site, handoff_id))
        assert "customer on v5.2" not in texts
        closed = await alice.ok("POST", f"/handoffs/{handoff_id}/close")
        assert closed["handoff"]["status"] == "closed"
        status, _ = await alice.call("POST", f"/handoffs/{handoff_id}/messages", {"text": "hello?"})
        assert status == 409


async def test_a_supervisor_closes_the_case_of_a_conversation_they_took(db_url: str) -> None:
    async with running_site(db_url) as site:
        boss = await site.sign_in("boss", role="supervisor")
        handoff_id = await _queued(site)
        await boss.ok("POST", f"/handoffs/{handoff_id}/claim")
        closed = await boss.ok("POST", f"/handoffs/{handoff_id}/status", {"status": "closed", "reason": "answered"})
        assert closed["case"]["status"] == "closed" and closed["case"]["closed_at"] is not None


async def test_an_agent_cannot_reopen_a_closed_case_through_the_console(db_url: str) -> None:
    # The agent API refuses this change to an agent (403); the console applies the same rule.
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        handoff_id = await _queued(site)
        number = (await alice.ok("POST", f"/handoffs/{handoff_id}/claim"))["case"]["number"]
        async with site.sessions() as session, session.begin():
            await update_case(session, number=number, actor="agent:sue", at=site.clock(), status=CaseStatus.CLOSED)
        status, data = await alice.call("POST", f"/handoffs/{handoff_id}/status", {"status": "resolved"})
        assert status == 403 and data["error"]["code"] == "forbidden"
        assert "reopen a closed case" in data["error"]["message"]
        async with site.sessions() as session:
            case = await get_case(session, number=number)
        assert case is not None and case.status is CaseStatus.CLOSED


async def test_the_queue_is_ordered_by_severity_then_due_and_customers_hear_their_place(db_url: str) -> None:
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        first = await site.customer()
        await first.say("talk to an agent")  # no case: last in line
        assert "You're number 1 in the queue for a live agent." in await first.new_texts()
        second = await site.customer()
        await second.say("K123456 how do I export a report to PDF?")  # Sev4
        await second.say("talk to an agent")
        assert "You're number 1 in the queue for a live agent." in await second.new_texts()
        third = await site.customer()
        await third.say("K123456 the logo on our printed reports is blurry, cosmetic only, one user")  # Sev3
        await third.say("talk to an agent")
        assert "You're number 1 in the queue for a live agent." in await third.new_texts()
        data = await alice.ok("GET", "/queue")
        assert [(i["severity"], i["position"]) for i in data["items"]] == [(3, 1), (4, 2), (None, 3)]
        assert [i["reason"] for i in data["items"]] == ["customer_request", "question", "customer_request"]
        assert data["items"][0]["summary"].startswith("The logo") and data["items"][0]["k_number"] == "K123456"


async def test_static_files_and_pages(db_url: str) -> None:
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        async with alice.http.get(f"{site.base_url}/agent") as response:
            assert response.status == 200
            page = await response.text()
            csp = response.headers["Content-Security-Policy"]
        assert f'content="{alice.csrf}"' in page and "<script src=" in page and "'unsafe-inline'" not in csp
        assert "<script>" not in page and " style=" not in page
        for name in ("console.js", "console.css", "supervisor.js"):
            async with alice.http.get(f"{site.base_url}/agent/static/{name}") as response:
                assert response.status == 200
        async with alice.http.get(f"{site.base_url}/agent/static/..%2fconsole.html") as response:
            assert response.status == 404
        async with alice.http.get(f"{site.base_url}/agent/supervisor", allow_redirects=False) as response:
            assert response.status == 403
        status, _ = await alice.call("GET", "/supervisor")
        assert status == 403
