"""The call flow through the webhooks: dialogue turns, resends, hang-ups, and the Sev1 dial fallback chain."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from datetime import timedelta
from functools import partial

import asyncpg
import pytest
from sqlmodel import select

from bot.voice import routes
from intake.domain import CaseEventKind, CaseStatus
from store import cases as case_store
from store.db import SessionMaker
from store.jobs import Jobs
from store.models import CallPhase, Outbox
from store.voice import claim_turn, get_call, list_dial_attempts
from tests.bot.voice.harness import (
    CALLER,
    ONCALL,
    PUBLIC,
    VoiceServer,
    call_params,
    new_call_sid,
    voice_config,
    voice_server,
)
from tests.conftest import BACKENDS


async def _call_phase(server: VoiceServer, call_sid: str) -> str:
    async with server.session_maker() as session:
        call = await get_call(session, call_sid=call_sid)
    assert call is not None
    return call.status


async def _outbox(session_maker: SessionMaker) -> list[Outbox]:
    async with session_maker() as session:
        return list((await session.exec(select(Outbox))).all())


async def _event_kinds(session_maker: SessionMaker, number: str) -> list[str]:
    async with session_maker() as session:
        return [e.kind for e in await case_store.list_events(session, number=number)]


async def _start_sev1(server: VoiceServer) -> tuple[str, str, ET.Element]:
    """Answer a call, key in the K#, say yes: return the call, its case and the TwiML that dials."""
    call_sid = new_call_sid()
    await server.webhook("/twilio/voice", call_sid)
    await server.webhook("/twilio/gather?step=1", call_sid, Digits="123456")
    dial = await server.webhook("/twilio/gather?step=2", call_sid, Digits="1")
    return call_sid, server.bot.cases[-1], dial


async def test_a_call_runs_the_dialogue_turn_by_turn(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid = new_call_sid()
        first = await server.webhook("/twilio/voice", call_sid)
        assert [c.tag for c in first] == ["Say", "Gather"]
        assert first[1].get("numDigits") == "10" and first[1].get("finishOnKey") == "#"
        started = server.bot.received[0]
        assert started.type == "conversationUpdate"
        assert started.channel_data == {"twilio": {"from": CALLER}}

        second = await server.webhook("/twilio/gather?step=1", call_sid, Digits="123456")
        gather = second.find("Gather")
        assert gather is not None
        assert gather.get("numDigits") == "1"
        assert gather.get("action") == PUBLIC + "/twilio/gather?step=2"
        assert gather.findtext("Say") == "Is the service down for everyone? Press 1 for yes, 2 for no."
        assert server.bot.received[1].text == "123456"

        last = await server.webhook("/twilio/gather?step=2", call_sid, Digits="2")
        assert server.bot.received[2].text == "no"  # keypad 2 on a yes/no prompt
        assert [c.tag for c in last] == ["Say", "Hangup"]
        assert "recorded" in (last.findtext("Say") or "")
        assert await _call_phase(server, call_sid) == CallPhase.FINISHED


@pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)
async def test_a_dialogue_turns_claim_and_answer_open_no_transaction_on_postgres(
    session_maker: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each is one statement: in BEGIN and COMMIT it would cost two more round trips to the database a webhook.
    begun: list[object] = []
    start = asyncpg.transaction.Transaction.start

    async def counted(transaction: asyncpg.transaction.Transaction) -> None:
        begun.append(transaction)
        await start(transaction)

    monkeypatch.setattr(asyncpg.transaction.Transaction, "start", counted)
    async with voice_server(session_maker) as server:
        call_sid = new_call_sid()
        await server.webhook("/twilio/voice", call_sid)
        assert begun  # the answer webhook records the call and claims its turn together
        begun.clear()
        second = await server.webhook("/twilio/gather?step=1", call_sid, Digits="123456")
        assert second.find("Gather") is not None
        assert begun == []
        # Claimed and answered all the same: a resend gets the stored answer, and the bot never hears it twice.
        again = await server.webhook("/twilio/gather?step=1", call_sid, Digits="123456")
        assert ET.tostring(again) == ET.tostring(second)
        assert len(server.bot.received) == 2


async def test_resent_webhooks_return_the_stored_twiml_and_never_rerun_the_bot(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid = new_call_sid()
        params = call_params(call_sid)
        first = await server.post("/twilio/voice", params)
        again = await server.post("/twilio/voice", params)
        assert first == again and first[0] == 200
        await server.webhook("/twilio/gather?step=1", call_sid, Digits="123456")
        end = call_params(call_sid, Digits="2")
        answers = [await server.post("/twilio/gather?step=2", end) for _ in range(3)]
        assert len(set(answers)) == 1
        assert len(server.bot.turns) == 3  # one per step
        assert len(server.bot.cases) == 1
        async with session_maker() as session:
            assert len(await case_store.list_cases(session)) == 1


async def test_concurrent_resends_run_the_bot_once(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid = new_call_sid()
        answers = await asyncio.gather(*(server.post("/twilio/voice", call_params(call_sid)) for _ in range(4)))
        assert {status for status, _ in answers} == {200}
        assert len({body for _, body in answers}) == 1
        assert server.bot.turns == [f"{call_sid}:0"]


async def test_speech_answers_reach_the_bot_with_confidence(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid = new_call_sid()
        await server.webhook("/twilio/voice", call_sid)
        await server.webhook("/twilio/gather?step=1", call_sid, SpeechResult="K one two three four", Confidence="0.8")
        message = server.bot.received[-1]
        assert message.text == "K one two three four"
        assert message.channel_data == {
            "twilio": {"digits": None, "speech": "K one two three four", "confidence": 0.8, "from": CALLER}
        }


async def test_no_input_twice_says_goodbye(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid = new_call_sid()
        await server.webhook("/twilio/voice", call_sid)
        retry = await server.webhook("/twilio/gather?step=1", call_sid)
        assert server.bot.received[-1].name == "intake.no_input"
        assert retry.find("Gather") is not None
        goodbye = await server.webhook("/twilio/gather?step=2", call_sid, SpeechResult="", Digits="")
        assert [c.tag for c in goodbye] == ["Say", "Hangup"]


async def test_hang_up_mid_intake_reaches_the_bot_once(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid = new_call_sid()
        await server.webhook("/twilio/voice", call_sid)
        await server.webhook("/twilio/gather?step=1", call_sid, Digits="123456")
        for _ in range(2):  # Twilio may resend the status callback
            done = await server.webhook("/twilio/status", call_sid, CallStatus="completed", CallDuration="42")
            assert list(done) == []
        hangups = [a for a in server.bot.received if a.name == "intake.hangup"]
        assert len(hangups) == 1
        assert hangups[0].conversation.id == call_sid
        async with session_maker() as session:
            case = await case_store.get_case(session, number=server.bot.cases[0])
            call = await get_call(session, call_sid=call_sid)
        assert case is not None and case.status == CaseStatus.INCOMPLETE
        assert call is not None and call.status == CallPhase.ABANDONED and call.ended_at is not None


async def test_status_callbacks_after_the_dialogue_ended_do_not_reach_the_bot(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid = new_call_sid()
        await server.webhook("/twilio/voice", call_sid)
        await server.webhook("/twilio/status", call_sid, CallStatus="in-progress")
        await server.webhook("/twilio/gather?step=1", call_sid, Digits="123456")
        await server.webhook("/twilio/gather?step=2", call_sid, Digits="2")
        await server.webhook("/twilio/status", call_sid, CallStatus="completed")
        await server.webhook("/twilio/status", new_call_sid(), CallStatus="completed")  # a call we never answered
        assert not [a for a in server.bot.received if a.name == "intake.hangup"]


async def test_sev1_rings_on_call_in_order_then_voicemail_page_and_escalation(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid, case_number, first = await _start_sev1(server)
        assert [c.tag for c in first] == ["Say", "Dial"]
        number = first.find("Dial/Number")
        assert number is not None and number.text == ONCALL[0]
        assert await _call_phase(server, call_sid) == CallPhase.DIALING

        whisper = await server.webhook(number.get("url", "").removeprefix(PUBLIC), new_call_sid())
        said = whisper.findtext("Gather/Say") or ""
        assert "case " + " ".join(case_number).replace(" - ", ", ") in said
        assert "K 1 2 3 4 5 6" in said and "Service down for everyone" in said

        second = await server.webhook("/twilio/dial-status?next=1", call_sid, DialCallStatus="no-answer")
        dial = second.find("Dial")
        assert dial is not None
        assert [n.text for n in dial.findall("Number")] == [ONCALL[1]]
        assert dial.get("action") == PUBLIC + "/twilio/dial-status?next=2"
        assert await _outbox(session_maker) == []

        fallback_params = call_params(call_sid, DialCallStatus="busy")
        status, body = await server.post("/twilio/dial-status?next=2", fallback_params)
        assert status == 200
        fallback = ET.fromstring(body)
        assert [c.tag for c in fallback] == ["Say", "Record", "Say", "Hangup"]
        assert "paged" in (fallback.findtext("Say") or "")
        assert fallback[1].get("action") == PUBLIC + "/twilio/voicemail"
        # A resent fallback webhook changes nothing.
        assert await server.post("/twilio/dial-status?next=2", fallback_params) == (status, body)

        async with session_maker() as session:
            case = await case_store.get_case(session, number=case_number)
            attempts = await list_dial_attempts(session, call_sid=call_sid)
        assert case is not None and case.status == CaseStatus.ESCALATED
        assert [(a.attempt, a.number, a.status) for a in attempts] == [
            (0, ONCALL[0], "no-answer"),
            (1, ONCALL[1], "busy"),
        ]
        pages = await _outbox(session_maker)
        assert [(p.kind, p.status, p.payload["k_number"]) for p in pages] == [("sms_page", "pending", "K123456")]
        assert await _call_phase(server, call_sid) == CallPhase.VOICEMAIL

        recording = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
        saved = await server.webhook("/twilio/voicemail", call_sid, RecordingUrl=recording, RecordingDuration="12")
        assert [c.tag for c in saved] == ["Say", "Hangup"]
        await server.webhook("/twilio/voicemail", call_sid, RecordingUrl=recording, RecordingDuration="12")
        await server.webhook("/twilio/status", call_sid, CallStatus="completed")
        latest = partial(case_store.latest_event, number=case_number, kind=CaseEventKind.VOICEMAIL)
        voicemail = await Jobs.over(session_maker).read(latest)
        assert voicemail is not None and voicemail.detail == {"recording_url": recording, "duration": 12}
        kinds = await _event_kinds(session_maker, case_number)
        assert kinds.count("status_changed") == 1 and kinds.count("page_queued") == 1 and kinds.count("voicemail") == 1
        assert not [a for a in server.bot.received if a.name == "intake.hangup"]
        assert len(server.bot.cases) == 1


async def _engineer_presses(server: VoiceServer, first: ET.Element, call_sid: str, digits: str) -> ET.Element:
    """The engineer of the first <Dial> picks up, hears the whisper and presses `digits` ("" for none)."""
    number = first.find("Dial/Number")
    assert number is not None
    leg = new_call_sid()
    whisper = await server.webhook(number.get("url", "").removeprefix(PUBLIC), leg, ParentCallSid=call_sid)
    gather = whisper.find("Gather")
    assert gather is not None and "Press 1" in (gather.findtext("Say") or "")
    action = gather.get("action", "").removeprefix(PUBLIC)
    return await server.webhook(action, leg, ParentCallSid=call_sid, Digits=digits)


async def test_a_voicemail_picking_up_is_not_an_answer_the_next_engineer_is_rung(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid, case_number, first = await _start_sev1(server)
        declined = await _engineer_presses(server, first, call_sid, "")
        assert [c.tag for c in declined] == ["Say", "Hangup"]  # the voicemail is hung up on
        # The engineer's phone "completed" the dial, but nobody took the call: the next number rings.
        second = await server.webhook("/twilio/dial-status?next=1", call_sid, DialCallStatus="completed")
        assert [n.text for n in second.findall("Dial/Number")] == [ONCALL[1]]
        assert await _call_phase(server, call_sid) == CallPhase.DIALING
        async with session_maker() as session:
            attempts = await list_dial_attempts(session, call_sid=call_sid)
            case = await case_store.get_case(session, number=case_number)
        assert [(a.attempt, a.status) for a in attempts] == [(0, "not_accepted")]
        assert case is not None and case.first_response_at is None


async def test_an_engineer_answering_connects_and_counts_as_first_response(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid, case_number, first = await _start_sev1(server)
        taken = await _engineer_presses(server, first, call_sid, "1")
        assert list(taken) == []  # nothing more for the engineer: Twilio puts the caller through
        done = await server.webhook(
            "/twilio/dial-status?next=1", call_sid, DialCallStatus="completed", DialCallDuration="300"
        )
        assert [c.tag for c in done] == ["Say", "Hangup"]
        assert await _call_phase(server, call_sid) == CallPhase.CONNECTED
        await server.webhook("/twilio/status", call_sid, CallStatus="completed")
        async with session_maker() as session:
            case = await case_store.get_case(session, number=case_number)
        assert case is not None and case.first_response_at is not None and case.status == CaseStatus.NEW
        assert await _outbox(session_maker) == []


async def test_caller_hanging_up_while_ringing_still_escalates_and_pages(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid, case_number, _ = await _start_sev1(server)
        await server.webhook("/twilio/status", call_sid, CallStatus="completed")
        # Twilio also reports the interrupted <Dial>; the escalation must not happen twice.
        await server.webhook("/twilio/dial-status?next=1", call_sid, DialCallStatus="canceled", CallStatus="completed")
        async with session_maker() as session:
            case = await case_store.get_case(session, number=case_number)
        assert case is not None and case.status == CaseStatus.ESCALATED
        assert len(await _outbox(session_maker)) == 1
        assert await _call_phase(server, call_sid) == CallPhase.ABANDONED
        assert not [a for a in server.bot.received if a.name == "intake.hangup"]


async def test_no_on_call_numbers_goes_to_voicemail_at_once(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker, voice_config(oncall_numbers=())) as server:
        call_sid, case_number, redirect = await _start_sev1(server)
        target = redirect.findtext("Redirect") or ""
        assert target == PUBLIC + "/twilio/dial-status?next=0"
        fallback = await server.webhook(target.removeprefix(PUBLIC), call_sid)
        assert fallback.find("Record") is not None
        async with session_maker() as session:
            case = await case_store.get_case(session, number=case_number)
        assert case is not None and case.status == CaseStatus.ESCALATED


async def test_dial_status_for_a_call_without_handoff_is_404(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        call_sid = new_call_sid()
        await server.webhook("/twilio/voice", call_sid)
        status, _ = await server.post("/twilio/dial-status?next=1", call_params(call_sid, DialCallStatus="busy"))
        assert status == 404
        status, _ = await server.post("/twilio/voicemail", call_params(call_sid, RecordingUrl="https://x.test/r"))
        assert status == 404


async def test_a_resend_while_the_first_delivery_is_stuck_asks_again(
    session_maker: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "REPLAY_WAIT_SECONDS", 0.2)
    async with voice_server(session_maker) as server:
        call_sid = new_call_sid()
        await server.webhook("/twilio/voice", call_sid)
        async with session_maker() as session, session.begin():  # a first delivery that never finishes
            assert await claim_turn(session, call_sid=call_sid, step="1", now=server.clock())
        retry = await server.webhook("/twilio/gather?step=1", call_sid, Digits="123456")
        gather = retry.find("Gather")
        assert gather is not None and gather.get("action") == PUBLIC + "/twilio/gather?step=2"
        assert "say that again" in (gather.findtext("Say") or "")
        assert len(server.bot.turns) == 1  # only the answer: the stuck turn never ran twice


@pytest.mark.parametrize(
    ("path", "step", "extra"), [("/twilio/voice", "0", {}), ("/twilio/gather?step=1", "1", {"Digits": "123456"})]
)
async def test_a_turn_claimed_by_a_process_that_died_is_taken_over_with_the_callers_words(
    session_maker: SessionMaker, path: str, step: str, extra: dict[str, str]
) -> None:
    async with voice_server(session_maker) as server:
        call_sid = new_call_sid()
        if step != "0":
            await server.webhook("/twilio/voice", call_sid)
        claimed_at = server.clock() - routes.TURN_LEASE - timedelta(seconds=1)
        async with session_maker() as session, session.begin():  # a delivery whose process was killed
            assert await claim_turn(session, call_sid=call_sid, step=step, now=claimed_at)
        resent = await server.webhook(path, call_sid, **extra)
        again = await server.webhook(path, call_sid, **extra)
    assert resent.find("Gather") is not None
    assert "say that again" not in ET.tostring(resent, encoding="unicode")
    assert ET.tostring(again) == ET.tostring(resent)  # the taken-over turn's TwiML is now the stored answer
    if step != "0":
        assert server.bot.received[-1].text == "123456"
