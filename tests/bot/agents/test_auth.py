"""Console sign-in over HTTP: one-time passwords, sessions, CSRF, throttling, and the helpers' refusals."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from aiohttp import ClientSession, CookieJar
from yarl import URL

from bot.agents.identity import COOKIE_NAME
from bot.agents.limits import ADDRESS_LIMIT, PAIR_LIMIT
from bot.agents.passwords import hash_password, verify_password
from store.agents import count_available, disable_agent, get_agent_by_name, set_presence
from tests.bot.agents import WRONG, AgentService, running

pytestmark = pytest.mark.usefixtures("fast_argon2")

FAILURE_WINDOW = PAIR_LIMIT.window
NAME_FAILURE_LIMIT = PAIR_LIMIT.attempts
IP_FAILURE_LIMIT = ADDRESS_LIMIT.attempts


async def _presence(svc: AgentService, name: str) -> str:
    async with svc.store() as sessions, sessions() as session:
        agent = await get_agent_by_name(session, name=name)
    assert agent is not None
    return agent.presence.value


def test_production_hashes_are_argon2id_with_rfc9106_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real hasher, not the cheap one of the other tests
    hashed = hash_password("a long passphrase")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(hashed, "a long passphrase")
    assert not verify_password(hashed, "a long passphrasE")
    assert not verify_password("not a hash", "a long passphrase")


async def test_sign_in_page_is_a_plain_form(svc: AgentService) -> None:
    async with svc.http.get(svc.url("/agent/sign-in")) as response:
        assert response.status == 200
        page = await response.text()
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
    assert '<form method="post" action="/agent/sign-in">' in page
    assert 'name="name"' in page and 'type="password" name="password"' in page
    assert "<script" not in page


async def test_one_time_password_signs_in_once_then_the_agent_chooses_a_password(svc: AgentService) -> None:
    once = await svc.add_agent("alice")
    status, _, response = await svc.sign_in("alice", once, form=True)
    assert status == 303 and response.headers["Location"] == "/agent/password"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is not https here

    # Until a password is chosen the session is good for nothing else.
    async with svc.http.get(svc.url("/test/whoami")) as r:
        assert (await r.json())["agent"] is None
    async with svc.http.get(svc.url("/test/page"), allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/agent/password"
    async with svc.http.get(svc.url("/test/read")) as r:
        assert r.status == 403 and (await r.json())["error"]["code"] == "password_change_required"

    # The one-time password is spent, even in another browser.
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as other:
        status, body, _ = await svc.sign_in("alice", once, http=other)
    assert status == 401 and body["error"]["message"] == WRONG

    async with svc.http.get(svc.url("/agent/password")) as r:
        page = await r.text()
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None and "current_password" not in page
    csrf = match.group(1)
    url = svc.url("/agent/password")
    new = {"new_password": "correct horse battery", "repeat_password": "correct horse battery"}
    async with svc.http.post(url, data=new, allow_redirects=False) as r:
        assert r.status == 403  # no CSRF token
    async with svc.http.post(url, data={**new, "repeat_password": "x" * 21, "csrf_token": csrf}) as r:
        assert r.status == 422 and "differ" in await r.text()
    async with svc.http.post(url, data={"new_password": "short", "repeat_password": "short", "csrf_token": csrf}) as r:
        assert r.status == 422 and "at least 12" in await r.text()
    async with svc.http.post(url, data={**new, "csrf_token": csrf}, allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/agent"

    async with svc.http.get(svc.url("/test/whoami")) as r:
        agent = (await r.json())["agent"]
    assert agent == {
        "id": agent["id"],
        "name": "alice",
        "email": "alice@example.com",
        "role": "agent",
        "presence": "offline",
        "disabled": False,
    }
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as other:
        status, body, _ = await svc.sign_in("Alice", "correct horse battery", http=other)
        assert status == 200 and body["agent"]["name"] == "alice" and body["password_change_required"] is False
        assert len(body["csrf_token"]) >= 43


async def test_changing_a_known_password_needs_the_current_one(svc: AgentService) -> None:
    csrf = await svc.signed_in("bob", password="first password 123")
    url = svc.url("/agent/password")
    headers = {"X-CSRF-Token": csrf}
    async with svc.http.post(url, json={"new_password": "second password 456"}, headers=headers) as r:
        assert r.status == 422 and (await r.json())["error"]["message"] == "the current password is wrong"
    body = {"current_password": "first password 123", "new_password": "second password 456"}
    async with svc.http.post(url, json=body, headers=headers) as r:
        assert r.status == 200
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as other:
        status, _, _ = await svc.sign_in("bob", "first password 123", http=other)
        assert status == 401
        status, _, _ = await svc.sign_in("bob", "second password 456", http=other)
        assert status == 200

    # Guessing the current password through this form is throttled like sign-in.
    guess = {"current_password": "guess", "new_password": "third password 789"}
    for _ in range(NAME_FAILURE_LIMIT):  # the sign-in above cleared the earlier failure
        async with svc.http.post(url, json=guess, headers=headers) as r:
            assert r.status == 422
    async with svc.http.post(url, json={**body, "current_password": "second password 456"}, headers=headers) as r:
        assert r.status == 429 and "Retry-After" in r.headers


async def test_passwords_and_secrets_never_reach_the_log(svc: AgentService, caplog: pytest.LogCaptureFixture) -> None:
    # Ours at every level; the database driver's DEBUG echo of SQL parameters is not ours to govern.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="store")
    once = await svc.add_agent("nick")
    _, body, response = await svc.sign_in("nick", once)
    csrf = body["csrf_token"]
    cookie = response.cookies[COOKIE_NAME].value
    async with svc.http.post(
        svc.url("/agent/password"), json={"new_password": "nick's new password"}, headers={"X-CSRF-Token": csrf}
    ) as r:
        assert r.status == 200
    await svc.sign_in("nick", "a wrong password")
    token = await svc.token("nick")
    async with svc.http.get(svc.url("/api/me"), headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 200
    assert "nick signed in" in caplog.text  # the log does say what happened...
    for secret in (once, "nick's new password", "a wrong password", csrf, cookie, token):
        assert secret not in caplog.text  # ...never with what proves it


async def test_wrong_name_and_wrong_password_get_the_same_answer(svc: AgentService) -> None:
    await svc.signed_in("carol", password="carol's password!")
    answers = []
    for name, password in [("carol", "not her password"), ("nobody", "carol's password!"), ("", "")]:
        status, body, _ = await svc.sign_in(name, password)
        answers.append((status, body))
    assert answers == [(401, {"error": {"code": "sign_in_failed", "message": WRONG}})] * 3
    for name, password in [("carol", "not her password"), ("nobody", "carol's password!")]:
        status, page, _ = await svc.sign_in(name, password, form=True)
        assert status == 401 and WRONG in page and "<form" in page
    status, page, _ = await svc.sign_in("<b>x</b>", "?", form=True)
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


async def test_disabled_agent_cannot_sign_in_and_its_sessions_end(svc: AgentService) -> None:
    await svc.signed_in("dave", password="dave's password!")
    async with svc.http.get(svc.url("/test/read")) as r:
        assert r.status == 200
    async with svc.store() as sessions, sessions() as session, session.begin():
        await disable_agent(session, name="dave", at=svc.clock.now)
    async with svc.http.get(svc.url("/test/read")) as r:
        assert r.status == 401
    async with svc.http.get(svc.url("/test/whoami")) as r:
        assert (await r.json())["agent"] is None
    status, body, _ = await svc.sign_in("dave", "dave's password!")
    assert status == 401 and body["error"]["message"] == WRONG


async def test_repeated_failures_for_a_name_are_throttled_across_processes(db_url: str) -> None:
    async with running(db_url) as first:
        await first.signed_in("erin", password="erin's password!")
        for _ in range(NAME_FAILURE_LIMIT):
            status, _, _ = await first.sign_in("ERIN", "guess")
            assert status == 401
        # Locked, even with the right password, and a second process sharing the database agrees.
        async with running(db_url, clock=first.clock) as second:
            status, body, response = await second.sign_in("erin", "erin's password!")
        assert status == 429 and body["error"]["code"] == "too_many_attempts"
        assert int(response.headers["Retry-After"]) == int(FAILURE_WINDOW.total_seconds())
        status, page, response = await first.sign_in("erin", "erin's password!", form=True)
        assert status == 429 and "try again later" in page and "Retry-After" in response.headers

        # Other names from the same address are not locked by it.
        await first.add_agent("frank")
        status, _, _ = await first.sign_in("frank", "wrong")
        assert status == 401

        first.clock.now += FAILURE_WINDOW - timedelta(minutes=1)
        status, _, response = await first.sign_in("erin", "erin's password!")
        assert status == 429 and int(response.headers["Retry-After"]) == 60
        first.clock.now += timedelta(minutes=1)
        status, _, _ = await first.sign_in("erin", "erin's password!")
        assert status == 200
        # Success clears the name's count: one more failure is not a lock-out.
        status, _, _ = await first.sign_in("erin", "guess")
        assert status == 401
        status, _, _ = await first.sign_in("erin", "erin's password!")
        assert status == 200


async def test_repeated_failures_from_one_address_are_throttled(svc: AgentService) -> None:
    await svc.signed_in("gina", password="gina's password!")
    for n in range(IP_FAILURE_LIMIT):
        status, _, _ = await svc.sign_in(f"someone{n}", "guess")
        assert status == 401
    status, _, response = await svc.sign_in("gina", "gina's password!")
    assert status == 429 and "Retry-After" in response.headers
    svc.clock.now += FAILURE_WINDOW
    status, _, _ = await svc.sign_in("gina", "gina's password!")
    assert status == 200


async def test_without_a_session_pages_redirect_and_json_is_401(svc: AgentService) -> None:
    async with svc.http.get(svc.url("/test/page"), allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/agent/sign-in"
    async with svc.http.get(svc.url("/test/read")) as r:
        assert r.status == 401 and (await r.json())["error"]["code"] == "not_signed_in"
    async with svc.http.post(svc.url("/test/away"), headers={"X-CSRF-Token": "x"}) as r:
        assert r.status == 401
    async with svc.http.get(svc.url("/test/whoami")) as r:
        assert (await r.json()) == {"agent": None}
    async with svc.http.post(svc.url("/agent/sign-out"), headers={"Accept": "application/json"}) as r:
        assert r.status == 401
    # A forged or foreign cookie is no session either.
    svc.http.cookie_jar.update_cookies({COOKIE_NAME: "forged"})
    async with svc.http.get(svc.url("/test/read")) as r:
        assert r.status == 401


async def test_state_changes_need_the_sessions_csrf_token(svc: AgentService) -> None:
    csrf = await svc.signed_in("hank")
    async with svc.http.get(svc.url("/test/read")) as r:
        assert (await r.json())["csrf_token"] == csrf
    url = svc.url("/test/away")
    for headers, data, status, code in [
        ({}, None, 403, "csrf_failed"),
        ({"X-CSRF-Token": "wrong"}, None, 403, "csrf_failed"),
        ({}, {"csrf_token": "wrong"}, 403, "csrf_failed"),
        # A credential header that is not ASCII never reaches the check: the service refuses it first.
        ({"X-CSRF-Token": "ünïcode"}, None, 400, "bad_header"),
        ({}, {"other": csrf}, 403, "csrf_failed"),
    ]:
        async with svc.http.post(url, headers=headers, data=data) as r:
            assert r.status == status, (headers, data)
            assert (await r.json())["error"]["code"] == code
        assert await _presence(svc, "hank") == "offline"  # nothing changed
    async with svc.http.post(url, headers={"X-CSRF-Token": csrf}) as r:
        assert r.status == 200 and (await r.json()) == {"presence": "away"}
    async with svc.http.post(url, data={"csrf_token": csrf}) as r:
        assert r.status == 200


async def test_sign_out_checks_csrf_and_ends_the_session(svc: AgentService) -> None:
    csrf = await svc.signed_in("ivan")
    cookie = svc.http.cookie_jar.filter_cookies(URL(svc.url("/")))[COOKIE_NAME].value
    async with svc.http.post(svc.url("/agent/sign-out"), allow_redirects=False) as r:
        assert r.status == 403
    async with svc.http.get(svc.url("/test/read")) as r:
        assert r.status == 200  # still signed in
    async with svc.http.post(svc.url("/agent/sign-out"), data={"csrf_token": csrf}, allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/agent/sign-in"
        assert f'{COOKIE_NAME}=""' in r.headers["Set-Cookie"] or "Max-Age=0" in r.headers["Set-Cookie"]
    async with svc.http.get(svc.url("/test/read")) as r:
        assert r.status == 401
    # The old cookie replayed is dead too.
    svc.http.cookie_jar.update_cookies({COOKIE_NAME: cookie})
    async with svc.http.get(svc.url("/test/read")) as r:
        assert r.status == 401


async def test_sessions_expire_after_twelve_hours(svc: AgentService) -> None:
    await svc.signed_in("judy")
    svc.clock.now += timedelta(hours=12)
    async with svc.http.get(svc.url("/test/read")) as r:
        assert r.status == 401


async def test_sign_in_from_a_foreign_origin_is_refused(svc: AgentService) -> None:
    await svc.signed_in("kate", password="kate's password!")
    status, body, _ = await svc.sign_in("kate", "kate's password!", headers={"Origin": "https://evil.example"})
    assert status == 403 and body["error"]["code"] == "cross_origin"
    status, _, _ = await svc.sign_in("kate", "kate's password!", headers={"Origin": svc.base_url})
    assert status == 200


async def test_cookie_is_secure_when_the_public_url_is_https(db_url: str) -> None:
    async with running(db_url, public_base_url="https://support.example.com") as svc:
        once = await svc.add_agent("liam")
        status, _, response = await svc.sign_in("liam", once)
        assert status == 200
        assert "Secure" in response.headers["Set-Cookie"]


async def test_available_agents_are_those_with_a_live_console(svc: AgentService) -> None:
    await svc.signed_in("mia")
    async with svc.store() as sessions:
        async with sessions() as session, session.begin():
            mia = await get_agent_by_name(session, name="mia")
            assert mia is not None
            assert await count_available(session, now=svc.clock.now) == 0  # offline
            await set_presence(session, agent_id=mia.id, presence="available")
            assert await count_available(session, now=svc.clock.now) == 1
        svc.clock.now += timedelta(minutes=3)
        async with sessions() as session:
            assert await count_available(session, now=svc.clock.now) == 0  # the console went quiet
        async with svc.http.get(svc.url("/test/whoami")) as r:
            assert (await r.json())["agent"]["presence"] == "available"  # a heartbeat
        async with sessions() as session:
            assert await count_available(session, now=svc.clock.now) == 1
            with pytest.raises(ValueError):
                await set_presence(session, agent_id=mia.id, presence="busy")
        async with svc.http.get(svc.url("/test/read")) as r:
            csrf = (await r.json())["csrf_token"]
        async with svc.http.post(
            svc.url("/agent/sign-out"), headers={"X-CSRF-Token": csrf, "Accept": "application/json"}
        ) as r:
            assert r.status == 200 and await r.json() == {"signed_out": True}
        async with sessions() as session:
            assert await count_available(session, now=svc.clock.now) == 0
