"""A website turn's state, transcript, replies and the customer's activity marked processed: one transaction.

The bot hands its state write to the gateway (bot/turn_state.py StateCommit), which runs it in the write
storing the replies: what the customer is told and what it was said from are committed together or not at
all, and a turn costs one transaction fewer.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy.exc import OperationalError

import store.directline
from store.directline import pending_activities
from tests.bot.conftest import texts
from tests.bot.webchat_client import web_chat
from tests.conftest import BACKENDS

OUTAGE = "K123456 the viewer is down, nobody at any site can open studies"


async def test_a_turn_is_answered_kept_and_done_in_the_same_write(db_url: str) -> None:
    async with web_chat(db_url) as chat:
        assert await chat.say(OUTAGE) == 200
        assert "Is that right?" in texts(await chat.shown())
        assert (await chat.dialogue())["k_number"] == "K123456"
        assert OUTAGE in await chat.transcript()
        # Done: no recovery sweep, however late, takes the message again.
        later = chat.gateway.clock() + timedelta(days=1)
        assert await pending_activities(chat.gateway.session_maker, created_before=later) == []


async def test_when_the_replies_cannot_be_written_the_turns_state_is_not_either(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with web_chat(db_url) as chat:
        before = await chat.dialogue()
        transcript = await chat.transcript()
        run_many = store.directline.run_many
        failures = [OperationalError("INSERT", {}, Exception("disk I/O error"))]

        def failing_once(conn: Any, statement: Any, rows: Any) -> None:
            # The first write of the bot's replies to this turn fails (the customer's own activity is stored).
            if failures and any(str(row["client_key"]).startswith("reply:") for row in rows):
                raise failures.pop()
            run_many(conn, statement, rows)

        monkeypatch.setattr(store.directline, "run_many", failing_once)
        await chat.say(OUTAGE)
        assert not failures
        # The customer was told something went wrong; the dialogue is where it was, its transcript too ...
        assert "Is that right?" not in texts(await chat.shown())
        assert await chat.dialogue() == before
        assert await chat.transcript() == transcript
        # ... so the same words sent again are taken afresh, as if the first try never happened.
        assert await chat.say(OUTAGE) == 200
        assert "Is that right?" in texts(await chat.shown())
        assert (await chat.dialogue())["k_number"] == "K123456"


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_a_turn_is_two_transactions_on_postgres(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The customer's activity (stored before the bot runs), then the turn's state with its replies. Counted in
    # the request's task and the turn's: the service's background rounds (named tasks) may run meanwhile.
    begun: list[str] = []
    start = asyncpg.transaction.Transaction.start

    async def counted(transaction: asyncpg.transaction.Transaction) -> None:
        task = asyncio.current_task()
        begun.append(task.get_name() if task is not None else "")
        await start(transaction)

    async with web_chat(db_url) as chat:
        monkeypatch.setattr(asyncpg.transaction.Transaction, "start", counted)
        assert await chat.say(OUTAGE) == 200
        monkeypatch.undo()
        assert "Is that right?" in texts(await chat.shown())
    turn = [name for name in begun if name.startswith(("Task-", "directline turn"))]
    assert len(turn) == 2, begun
