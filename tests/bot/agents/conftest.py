"""Fixtures of the agent tests: cheap password hashing and a running service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from argon2 import PasswordHasher

from bot.agents import passwords
from tests.bot.agents import AgentService, running

# Still argon2id, with parameters cheap enough for tests that sign in dozens of times; the production
# parameters have a test of their own.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash and verify passwords with cheap argon2id parameters in this test."""
    monkeypatch.setattr(passwords, "_HASHER", FAST_HASHER)


@pytest.fixture
async def svc(db_url: str) -> AsyncIterator[AgentService]:
    """The service with auth and the agent API, on the test's database."""
    async with running(db_url) as service:
        yield service
