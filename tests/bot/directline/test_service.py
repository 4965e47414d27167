"""The gateway's service keeps a started conversation once read: every message and reply of a chat asks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import SQLModel

import bot.directline.service as service_module
from bot.directline.config import DirectLineConfig
from bot.directline.errors import ConversationNotFoundError
from bot.directline.service import DirectLineService
from store.db import create_engine, session_factory
from store.directline import create_conversation, get_conversation, mark_started

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


async def test_a_started_conversation_is_read_once_and_a_new_one_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    sessions = session_factory(engine)
    config = DirectLineConfig(secret="s" * 32, service_url="http://localhost/", bot_name="Support")
    service = DirectLineService(config=config, session_maker=sessions, clock=lambda: NOW)
    reads: list[str] = []
    real = get_conversation

    async def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(kwargs["conversation_id"])
        return await real(*args, **kwargs)

    monkeypatch.setattr(service_module, "get_conversation", counted)
    try:
        await create_conversation(sessions, conversation_id="c1", user_id="dl_a", now=NOW)
        await service.conversation("c1")
        await service.conversation("c1")
        assert reads == ["c1", "c1"]  # not started: whether it has started is read every time
        assert await mark_started(sessions, conversation_id="c1", now=NOW)
        assert (await service.conversation("c1")).started_at is not None
        assert await service.user_of("c1") == "dl_a"
        await service.conversation("c1")
        assert reads == ["c1", "c1", "c1"]
        with pytest.raises(ConversationNotFoundError):
            await service.conversation("nope")
    finally:
        await engine.dispose()
