"""Agent accounts: sign-in for the console (session cookie + CSRF), bearer tokens, and the JSON agent API."""

from __future__ import annotations

from bot.agents.api import setup_agent_api
from bot.agents.auth import setup_auth, sign_in, sign_out
from bot.agents.cli import add_agent_commands, run_agent_command
from bot.agents.identity import (
    current_agent,
    require_agent,
    require_page_session,
    require_role,
    require_session,
    require_token,
)
from store.models import AgentPublic

__all__ = [
    "AgentPublic",
    "add_agent_commands",
    "current_agent",
    "require_agent",
    "require_page_session",
    "require_role",
    "require_session",
    "require_token",
    "run_agent_command",
    "setup_agent_api",
    "setup_auth",
    "sign_in",
    "sign_out",
]
