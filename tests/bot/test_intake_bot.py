"""The bot's turn loop: effects feed results back into the dialogue, and a loop that never settles fails; a
conversation handed to a live agent is relayed, not answered."""

from __future__ import annotations

from typing import Any

import pytest

from bot import intake_bot, turn_state
from bot.console.views import conversation_detail
from bot.keys import JOBS, SESSION_MAKER
from bot.turn_state import load_record, save_record
from store.agents import create_agent
from store.handoffs import claim, create_handoff, get_handoff, hand_back
from store.transcripts import append_transcript, get_transcript
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


# -- a redelivered message of a handed-off chat: answered from the record, like every turn ---------------


def _message(text: str, activity_id: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": activity_id,
        "channelId": "webchat",
        "conversation": {"id": "conv-1"},
        "from": {"id": "user-1", "role": "user"},
        "recipient": {"id": "bot"},
        "deliveryMode": "expectReplies",
        "text": text,
    }


async def _deliver(service: Service, activity: dict[str, Any]) -> list[dict[str, Any]]:
    status, body = await service.post_activity(activity)
    assert status == 200, body
    return list(body["activities"])


async def _agent_sees(service: Service, handoff_id: int) -> tuple[list[str], int]:
    """The customer's lines the console shows for the conversation, and the version its poll compares."""
    async with service.app[SESSION_MAKER]() as session:
        handoff = await get_handoff(session, handoff_id=handoff_id)
        assert handoff is not None
        detail = await conversation_detail(session, handoff)
    return [line["text"] for line in detail["transcript"] if line["role"] == "customer"], handoff.version


async def _claimed(service: Service, handoff_id: int) -> int:
    async with service.app[SESSION_MAKER]() as session, session.begin():
        agent = await create_agent(session, name="ada", email="", role="agent", password_hash="x", at=service.clock())
        assert await claim(session, handoff_id=handoff_id, agent_id=agent.id, at=service.clock())
    return agent.id


async def test_a_message_delivered_twice_reaches_the_agent_once_however_long_the_agent_talked(
    service: Service,
) -> None:
    await service.join()
    handoff_id = await _queue_for_an_agent(service)
    await _claimed(service, handoff_id)
    message = _message("the export still fails", "retry-me")
    assert await _deliver(service, message) == []
    shown, version = await _agent_sees(service, handoff_id)
    assert shown == ["the export still fails"]
    async with service.app[SESSION_MAKER]() as session, session.begin():
        for n in range(25):  # more lines than a look back at the transcript's tail would cover
            await append_transcript(
                session, conversation_id="conv-1", role="agent", text=f"step {n}", at=service.clock()
            )
    assert await _deliver(service, message) == []
    assert await _agent_sees(service, handoff_id) == (shown, version)  # no second line, nothing to wake for
    record = await load_record(service.app[JOBS], "webchat/conversations/conv-1")
    assert record.get("last_turn") == {"id": "retry-me", "replies": []}
    async with service.app[SESSION_MAKER]() as session:
        [relayed] = [
            line for line in await get_transcript(session, conversation_id="conv-1") if line.role == "customer"
        ]
    assert relayed.activity_type == "message" and (relayed.activity or {}).get("id") == "retry-me"


async def test_a_message_relayed_before_the_hand_back_is_not_taken_by_the_bot_when_delivered_again(
    service: Service,
) -> None:
    await service.join()
    handoff_id = await _queue_for_an_agent(service)
    agent_id = await _claimed(service, handoff_id)
    message = _message("thanks, that worked", "late-retry")
    assert await _deliver(service, message) == []
    async with service.app[SESSION_MAKER]() as session, session.begin():
        assert await hand_back(session, handoff_id=handoff_id, agent_id=agent_id, at=service.clock())
    # The channel delivers it again after the agent handed back: it was the agent's, the bot stays out.
    assert await _deliver(service, message) == []
    assert await _customer_lines(service) == ["thanks, that worked"]
    assert "account number" in texts(await service.say("hello again"))  # a new message is the bot's


async def test_a_relay_that_fails_midway_leaves_no_trace_and_its_redelivery_is_relayed_once(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    await service.join()
    handoff_id = await _queue_for_an_agent(service)
    _, version = await _agent_sees(service, handoff_id)
    real = turn_state.add_lines
    crashes = [RuntimeError("the process died after the record and the bump, before the line")]

    def crashing(*args: Any, **kwargs: Any) -> None:
        if crashes:
            raise crashes.pop()
        real(*args, **kwargs)

    monkeypatch.setattr(turn_state, "add_lines", crashing)
    message = _message("is anyone there?", "crash-1")
    assert "wrong on our side" in texts(await _deliver(service, message))
    # One transaction: the record's memory of the message and the consoles' bump went with the line.
    record = await load_record(service.app[JOBS], "webchat/conversations/conv-1")
    assert record.get("last_turn")["id"] == "act-1"  # still the greeting's
    assert await _agent_sees(service, handoff_id) == ([], version)
    assert await _deliver(service, message) == []
    assert await _deliver(service, message) == []
    assert await _agent_sees(service, handoff_id) == (["is anyone there?"], version + 1)
