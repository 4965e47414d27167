"""The bot's turn loop: effects feed results back into the dialogue, and a loop that never settles fails."""

from __future__ import annotations

import pytest

from bot import intake_bot
from tests.bot.conftest import Service, stored_cases, texts


async def test_a_dialogue_that_keeps_asking_for_effects_fails_the_turn_loudly(
    service: Service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await service.join()
    await service.say("K123456 the print preview icon is misaligned for one user")
    # Filing the case returns its number to the dialogue: with no round left for that, the turn must not
    # end somewhere silently.
    monkeypatch.setattr(intake_bot, "MAX_EFFECT_ROUNDS", 1)
    reply = texts(await service.say("Yes, that's right"))
    assert "wrong on our side" in reply
    assert any("EffectsDidNotConvergeError" in record.getMessage() for record in caplog.records)


async def test_the_same_turn_with_rounds_to_spare_files_the_case(service: Service) -> None:
    await service.join()
    await service.say("K123456 the print preview icon is misaligned for one user")
    reply = texts(await service.say("Yes, that's right"))
    [case] = await stored_cases(service.db_url)
    assert case.number in reply
