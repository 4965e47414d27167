"""A turn whose database connection drops runs once more before the customer hears an apology."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from bot import intake_bot
from tests.bot.conftest import Service, texts
from tests.store.helpers import end_other_connections


class _Dropped(Exception):
    """What a driver raises when the server goes away mid-transaction."""


async def test_a_dropped_connection_runs_the_turn_again(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    await service.join()
    real = intake_bot.load_record
    drops = [DBAPIError("SELECT ...", {}, _Dropped("connection was closed"), connection_invalidated=True)]

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        if drops:
            raise drops.pop()
        return await real(*args, **kwargs)

    monkeypatch.setattr(intake_bot, "load_record", flaky)
    reply = texts(await service.say("K123456 a question: how do I export a study to CD?"))
    assert not drops and "wrong on our side" not in reply and reply


async def test_other_database_errors_are_not_retried(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    await service.join()
    calls = 0

    async def broken(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        raise DBAPIError("SELECT ...", {}, _Dropped("syntax"), connection_invalidated=False)

    monkeypatch.setattr(intake_bot, "load_record", broken)
    reply = texts(await service.say("K123456 hello"))
    assert calls == 1 and "wrong on our side" in reply


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_postgres_restarting_its_connections_between_turns_costs_no_turn(service: Service) -> None:
    await service.join()
    await service.say("K123456 the print preview icon is misaligned for one user")
    await end_other_connections(service.db_url)  # as in a server restart
    reply = texts(await service.say("Yes, that's right"))
    assert "wrong on our side" not in reply and "case" in reply.lower()


async def test_a_database_outage_mid_turn_is_a_503_to_retry_not_an_apology(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    await service.join()

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT ...", {}, _Dropped("could not connect to server"))

    monkeypatch.setattr(intake_bot, "load_record", unreachable)
    status, body = await service.post_activity(
        {
            "type": "message",
            "text": "K123456 hello",
            "channelId": "webchat",
            "conversation": {"id": service.conversation},
            "from": {"id": "user-1"},
            "recipient": {"id": "bot"},
            "deliveryMode": "expectReplies",
        }
    )
    assert status == 503 and body["error"]["code"] == "database_unavailable"
