"""`intake call` end to end: the simulator plays calls against a running server with scripted input."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.voice.simulator import SimulatorError, run_call
from intake.domain import CaseStatus
from store import cases as case_store
from store.db import SessionMaker
from tests.bot.voice.harness import CALLER, ONCALL, PUBLIC, TOKEN, voice_server


def _script(*lines: str) -> tuple[Callable[[str], str], list[str]]:
    """An input function answering `lines` in order, then Ctrl-D; and the prompts it was shown."""
    prompts: list[str] = []
    answers: Iterator[str] = iter(lines)

    def read(prompt: str) -> str:
        prompts.append(prompt)
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    return read, prompts


async def test_a_sev1_call_nobody_answers_ends_in_voicemail(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        read, prompts = _script("123456#", "1", "n", "no", "The whole system is down since nine.")
        out: list[str] = []
        result = await run_call(server.url, CALLER, TOKEN, PUBLIC, read, out.append)
        assert result.ended_by == "service"
        case_number = server.bot.cases[0]
        spoken = "\n".join(out)
        assert "BOT: Please key in your account number, then press pound." in spoken
        assert f"dialing on-call from +18005550100: {ONCALL[0]}" in spoken
        assert f"WHISPER to {ONCALL[0]}:" in spoken and "K 1 2 3 4 5 6" in spoken
        assert f"WHISPER to {ONCALL[1]}:" in spoken
        assert "leave a message" in spoken and out[-1] == "(the call ended)"
        assert [p for p in prompts if p.startswith("Does")] == [
            f"Does the engineer at {ONCALL[0]} answer? [y/N] ",
            f"Does the engineer at {ONCALL[1]} answer? [y/N] ",
        ]
        assert server.bot.received[1].text == "123456"
        assert server.bot.received[2].text == "yes"
        async with session_maker() as session:
            case = await case_store.get_case(session, number=case_number)
            voicemail = await case_store.last_event(session, number=case_number, kind="voicemail")
        assert case is not None and case.status == CaseStatus.ESCALATED
        assert voicemail is not None and str(voicemail.detail["recording_url"]).startswith("https://api.twilio.com/")


async def test_an_engineer_answering_connects_the_caller(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        read, _ = _script("123456", "yes", "y")
        out: list[str] = []
        result = await run_call(server.url, CALLER, TOKEN, PUBLIC, read, out.append)
        assert result.ended_by == "service"
        assert any("connected to the engineer" in line for line in out)
        assert "BOT: Thank you for calling support. Goodbye." in out
        assert server.bot.received[2].text == "yes"  # spoken, not keyed


async def test_ctrl_d_hangs_up_and_the_bot_hears_it(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        read, _ = _script("123456#")
        out: list[str] = []
        result = await run_call(server.url, CALLER, TOKEN, PUBLIC, read, out.append)
        assert result.ended_by == "caller"
        assert out[-1] == "(you hung up)"
        assert server.bot.received[-1].name == "intake.hangup"
        async with session_maker() as session:
            case = await case_store.get_case(session, number=server.bot.cases[0])
        assert case is not None and case.status == CaseStatus.INCOMPLETE


async def test_silence_twice_is_goodbye(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        read, _ = _script("", "")
        out: list[str] = []
        result = await run_call(server.url, CALLER, TOKEN, PUBLIC, read, out.append)
        assert result.ended_by == "service"
        assert "BOT: We did not hear you. Goodbye." in out
        assert [a.name for a in server.bot.received[1:]] == ["intake.no_input", "intake.no_input"]


async def test_async_input_functions_work_too(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        answers = iter(["123456", "2"])

        async def read(prompt: str) -> str:
            return next(answers)

        out: list[str] = []
        result = await run_call(server.url, CALLER, TOKEN, PUBLIC, read, out.append)
        assert result.ended_by == "service" and result.webhooks == 4  # answer, two gathers, status


async def test_a_wrong_token_is_reported_not_played(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        read, _ = _script()
        with pytest.raises(SimulatorError, match="403"):
            await run_call(server.url, CALLER, "wrong-token", PUBLIC, read, lambda _: None)


async def test_a_script_that_runs_out_hangs_up(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        lines = iter(["123456"])
        result = await run_call(server.url, CALLER, TOKEN, PUBLIC, lambda _prompt: next(lines), lambda _: None)
        assert result.ended_by == "caller"
        assert server.bot.received[-1].name == "intake.hangup"
