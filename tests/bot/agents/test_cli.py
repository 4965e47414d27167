"""`intake agents ...` against a running service: one-time passwords, tokens, listing, disabling, resets."""

from __future__ import annotations

import io
import json

import pytest
from aiohttp import ClientSession, CookieJar

from bot.agents.cli import AgentCommandError, run_agent_command
from bot.settings import load_settings
from store.agents import get_agent_by_name
from tests.bot.agents import WRONG, AgentService, agents_parser, bearer

pytestmark = pytest.mark.usefixtures("fast_argon2")


async def _me(svc: AgentService, token: str) -> int:
    async with svc.http.get(svc.url("/api/me"), headers=bearer(token)) as response:
        return response.status


def _fails(db_url: str, *argv: str) -> str:
    args = agents_parser().parse_args(["agents", *argv])
    with pytest.raises(AgentCommandError) as caught:
        run_agent_command(args, load_settings(database_url=db_url), io.StringIO())
    return str(caught.value)


async def test_add_prints_a_one_time_password_that_signs_in_once(svc: AgentService) -> None:
    lines = await svc.cli("add", "Nora", "--email", "nora@example.com", "--role", "supervisor")
    assert lines[0] == "agent nora added (supervisor, nora@example.com)"
    password = lines[-1]
    assert len(password) >= 16 and " " not in password
    async with svc.store() as sessions, sessions() as session:
        agent = await get_agent_by_name(session, name="nora")
    assert agent is not None and agent.role.value == "supervisor" and agent.presence.value == "offline"

    status, body, _ = await svc.sign_in("nora", password)
    assert status == 200 and body["password_change_required"] is True
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as other:
        status, body, _ = await svc.sign_in("nora", password, http=other)
    assert status == 401 and body["error"]["message"] == WRONG


async def test_add_refuses_duplicates_and_bad_values(svc: AgentService) -> None:
    await svc.add_agent("olga")
    assert "exists already" in await _in_thread(_fails, svc.db_url, "add", "OLGA", "--email", "o@example.com")
    assert "e-mail" in await _in_thread(_fails, svc.db_url, "add", "pat", "--email", "not-an-address")
    assert "agent name" in await _in_thread(_fails, svc.db_url, "add", "bad name!", "--email", "p@example.com")
    with pytest.raises(SystemExit):
        agents_parser().parse_args(["agents", "add", "pat", "--email", "p@example.com", "--role", "admin"])
    with pytest.raises(SystemExit):
        agents_parser().parse_args(["agents", "add", "pat"])  # --email is required


async def _in_thread(fn: object, *args: str) -> str:
    import asyncio

    assert callable(fn)
    result = await asyncio.to_thread(fn, *args)
    assert isinstance(result, str)
    return result


async def test_token_is_alone_on_the_last_line_and_works_for_the_api(svc: AgentService) -> None:
    await svc.add_agent("quinn")
    lines = await svc.cli("token", "quinn")
    token = lines[-1]
    assert token.strip() == token and len(token) >= 43 and "quinn" not in token
    assert await _me(svc, token) == 200
    second = await svc.token("Quinn")
    assert second != token and await _me(svc, second) == 200 and await _me(svc, token) == 200
    assert "no agent" in await _in_thread(_fails, svc.db_url, "token", "nobody")

    lines = await svc.cli("revoke-tokens", "quinn")
    assert lines == ["2 API token(s) of quinn revoked"]
    assert await _me(svc, token) == 401 and await _me(svc, second) == 401


async def test_list_shows_agents_roles_and_state(svc: AgentService) -> None:
    assert await svc.cli("list") == ["no agents"]
    assert await svc.cli("list", "--json") == []
    await svc.add_agent("rita", role="supervisor")
    await svc.add_agent("sam")
    await svc.cli("disable", "sam")
    lines = await svc.cli("list")
    assert [line.split()[:3] for line in lines] == [["rita", "supervisor", "offline"], ["sam", "agent", "disabled"]]
    records = [json.loads(line) for line in await svc.cli("list", "--json")]
    assert [(r["name"], r["role"], r["disabled"], r["email"]) for r in records] == [
        ("rita", "supervisor", False, "rita@example.com"),
        ("sam", "agent", True, "sam@example.com"),
    ]
    assert all("password" not in key for record in records for key in record)


async def test_disable_ends_sign_in_sessions_and_tokens(svc: AgentService) -> None:
    await svc.signed_in("tess", password="tess's password!")
    token = await svc.token("tess")
    async with svc.http.get(svc.url("/test/read")) as response:
        assert response.status == 200
    assert await _me(svc, token) == 200

    lines = await svc.cli("disable", "tess")
    assert lines == ["agent tess disabled: sign-in refused, console sessions and API tokens revoked"]
    async with svc.http.get(svc.url("/test/read")) as response:
        assert response.status == 401
    assert await _me(svc, token) == 401
    status, body, _ = await svc.sign_in("tess", "tess's password!")
    assert status == 401 and body["error"]["message"] == WRONG
    assert "disabled" in await _in_thread(_fails, svc.db_url, "token", "tess")
    assert "no agent" in await _in_thread(_fails, svc.db_url, "disable", "nobody")


async def test_password_reset_prints_a_new_one_time_password_and_ends_sessions(svc: AgentService) -> None:
    await svc.signed_in("uma", password="uma's first password")
    lines = await svc.cli("password", "uma")
    assert lines[0] == "password of uma reset; 1 console session(s) ended"
    async with svc.http.get(svc.url("/test/read")) as response:
        assert response.status == 401
    status, _, _ = await svc.sign_in("uma", "uma's first password")
    assert status == 401
    status, body, _ = await svc.sign_in("uma", lines[-1])
    assert status == 200 and body["password_change_required"] is True
