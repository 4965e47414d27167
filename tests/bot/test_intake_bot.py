"""The bot's turn loop: effects feed results back into the dialogue, and a loop that never settles fails; a
conversation handed to a live agent is relayed, not answered."""

from __future__ import annotations

import pytest

from bot import intake_bot
from bot.keys import JOBS, SESSION_MAKER
from bot.turn_state import load_record, save_record
from store.handoffs import create_handoff
from store.transcripts import get_transcript
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


# -- a conversation handed to a live agent: the handoffs table alone says so ---------------------------


async def _queue_for_an_agent(service: Service, conversation: str = "conv-1") -> int:
    """A handoff row for the conversation, as the handoff service writes it (no flag in the bot's record)."""
    async with service.app[SESSION_MAKER]() as session, session.begin():
        handoff, _ = await create_handoff(
            session,
            conversation_id=conversation,
            channel="webchat",
            reason="customer_request",
            reference={"conversation": {"id": conversation}, "channelId": "webchat"},
            at=service.clock(),
        )
    return handoff.id


async def _customer_lines(service: Service, conversation: str = "conv-1") -> list[str]:
    async with service.app[SESSION_MAKER]() as session:
        lines = await get_transcript(session, conversation_id=conversation)
    return [line.text for line in lines if line.role == "customer"]


async def test_an_open_handoff_keeps_the_bot_silent_whatever_the_record_says(service: Service) -> None:
    await service.join()
    await service.say("K123456 how do I export a report to PDF?")
    record = await load_record(service.app[JOBS], "webchat/conversations/conv-1")
    assert "handed_off" not in record.data
    await _queue_for_an_agent(service)
    assert await service.say("are you there?") == []  # kept for the agent; the bot says nothing
    assert (await _customer_lines(service))[-1] == "are you there?"


async def test_an_old_record_still_flagged_handed_off_is_answered_by_the_bot(service: Service) -> None:
    await service.join()
    # Earlier releases kept a "handed_off" flag in the record: with no open handoff it means nothing.
    jobs, key = service.app[JOBS], "webchat/conversations/conv-1"
    record = await load_record(jobs, key)
    record.set("handed_off", True)
    await save_record(jobs, record, now=service.clock())
    assert "account number" in texts(await service.say("hello"))
