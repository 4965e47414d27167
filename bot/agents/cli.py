"""`intake agents ...`: add an agent, issue API tokens, list, disable, reset a password, revoke tokens."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.agents.passwords import hash_password, new_one_time_password, new_secret, secret_digest
from bot.cli_store import open_store
from bot.settings import Settings
from intake.domain import IntakeError
from store.agents import (
    AgentError,
    AgentNotFoundError,
    create_agent,
    create_api_token,
    disable_agent,
    get_agent_by_name,
    list_agents,
    revoke_api_tokens,
    revoke_console_sessions,
    set_password_hash,
)
from store.clock import utc_now
from store.db import SessionMaker, read_session
from store.models import Role

Command = Callable[[argparse.Namespace, SessionMaker, TextIO], Awaitable[int]]


class AgentCommandError(IntakeError):
    """An agents command that cannot run as asked (bot/cli.py prints it with exit code 2)."""


def add_agent_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `agents add|token|list|disable|password|revoke-tokens` to the `intake` parser."""
    agents = subparsers.add_parser("agents", help="agent accounts for the console and the API")
    sub = agents.add_subparsers(dest="agents_action", required=True)
    add = sub.add_parser("add", help="create an agent and print a one-time password")
    add.add_argument("name")
    add.add_argument("--email", required=True)
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.AGENT.value)
    sub.add_parser("token", help="print a new API token of an agent, alone on the last line").add_argument("name")
    listing = sub.add_parser("list", help="list agents")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    sub.add_parser("disable", help="disable an agent: sign-in, sessions and API tokens stop").add_argument("name")
    sub.add_parser(
        "password", help="reset a password: print a new one-time password and end the agent's sessions"
    ).add_argument("name")
    sub.add_parser("revoke-tokens", help="revoke every API token of an agent").add_argument("name")


def run_agent_command(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run a parsed `agents` command (no event loop may be running); raise AgentCommandError."""
    return asyncio.run(agent_command(args, settings, out))


async def agent_command(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run a parsed `agents` command on the configured database (which must exist, upgraded)."""
    commands: dict[str, Command] = {
        "add": _add,
        "token": _token,
        "list": _list,
        "disable": _disable,
        "password": _password,
        "revoke-tokens": _revoke_tokens,
    }
    async with open_store(settings) as sessions:
        try:
            return await commands[args.agents_action](args, sessions, out)
        except AgentError as exc:
            raise AgentCommandError(str(exc)) from exc


async def _add(args: argparse.Namespace, sessions: SessionMaker, out: TextIO) -> int:
    password = new_one_time_password()
    # Hash before the transaction: argon2 takes a while and the write lock should not wait for it.
    password_hash = await asyncio.to_thread(hash_password, password)
    async with sessions() as session, session.begin():
        agent = await create_agent(
            session,
            name=args.name,
            email=args.email,
            role=args.role,
            password_hash=password_hash,
            at=utc_now(),
            one_time=True,
        )
    print(f"agent {agent.name} added ({agent.role.value}, {agent.email})", file=out)
    print("one-time password (signs in once, then the agent chooses a password):", file=out)
    print(password, file=out)
    return 0


async def _token(args: argparse.Namespace, sessions: SessionMaker, out: TextIO) -> int:
    token = new_secret()
    async with sessions() as session, session.begin():
        agent = await get_agent_by_name(session, name=args.name)
        if agent is None:
            raise AgentNotFoundError(f"no agent named {args.name!r}")
        if agent.disabled:
            raise AgentCommandError(f"agent {agent.name} is disabled")
        await create_api_token(session, agent_id=agent.id, token_hash=secret_digest(token), at=utc_now())
    print(f"API token of {agent.name} (shown once; send it as 'Authorization: Bearer <token>'):", file=out)
    print(token, file=out)
    return 0


async def _list(args: argparse.Namespace, sessions: SessionMaker, out: TextIO) -> int:
    async with read_session(sessions) as session:
        agents = await list_agents(session)
    for agent in agents:
        if args.json:
            print(json.dumps(agent.to_json_dict()), file=out)
        else:
            state = "disabled" if agent.disabled else agent.presence.value
            print(f"{agent.name:<24} {agent.role.value:<10} {state:<9} {agent.email}", file=out)
    if not agents and not args.json:
        print("no agents", file=out)
    return 0


async def _disable(args: argparse.Namespace, sessions: SessionMaker, out: TextIO) -> int:
    async with sessions() as session, session.begin():
        agent = await disable_agent(session, name=args.name, at=utc_now())
    print(f"agent {agent.name} disabled: sign-in refused, console sessions and API tokens revoked", file=out)
    return 0


async def _password(args: argparse.Namespace, sessions: SessionMaker, out: TextIO) -> int:
    password = new_one_time_password()
    password_hash = await asyncio.to_thread(hash_password, password)
    async with sessions() as session, session.begin():
        agent = await set_password_hash(session, name=args.name, password_hash=password_hash, one_time=True)
        ended = await revoke_console_sessions(session, agent_id=agent.id, at=utc_now())
    print(f"password of {agent.name} reset; {ended} console session(s) ended", file=out)
    print("one-time password (signs in once, then the agent chooses a password):", file=out)
    print(password, file=out)
    return 0


async def _revoke_tokens(args: argparse.Namespace, sessions: SessionMaker, out: TextIO) -> int:
    async with sessions() as session, session.begin():
        agent = await get_agent_by_name(session, name=args.name)
        if agent is None:
            raise AgentNotFoundError(f"no agent named {args.name!r}")
        count = await revoke_api_tokens(session, agent_id=agent.id, at=utc_now())
    print(f"{count} API token(s) of {agent.name} revoked", file=out)
    return 0
