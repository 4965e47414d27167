"""`intake call` end to end: the simulator plays calls against a running server with scripted input."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import pytest
from aiohttp import web

from bot.cli import run
from bot.errors import error_middleware
from bot.voice.simulator import SimulatorError, run_call
from bot.voice.webhooks import setup_voice
from intake.domain import CaseEventKind, CaseStatus
from store import cases as case_store
from store.db import SessionMaker
from store.jobs import Jobs
from tests.bot.voice.harness import CALLER, ONCALL, PUBLIC, TOKEN, FakeClock, ScriptedBot, voice_config, voice_server


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
        # The first engineer does not pick up; the second's voicemail does, hears the briefing and presses nothing.
        read, prompts = _script("123456#", "1", "n", "y", "", "The whole system is down since nine.")
        out: list[str] = []
        result = await run_call(server.url, CALLER, TOKEN, PUBLIC, read, out.append)
        assert result.ended_by == "service"
        case_number = server.bot.cases[0]
        spoken = "\n".join(out)
        assert "BOT: Please key in your account number, then press pound." in spoken
        assert f"dialing on-call from +18005550100: {ONCALL[0]}" in spoken
        assert f"WHISPER to {ONCALL[0]}:" not in spoken  # a phone that does not pick up hears nothing
        assert f"WHISPER to {ONCALL[1]}:" in spoken and "K 1 2 3 4 5 6" in spoken and "Press 1" in spoken
        assert "(the engineer's phone hung up without taking the call)" in spoken
        assert "leave a message" in spoken and out[-1] == "(the call ended)"
        assert [p for p in prompts if p.startswith("Does")] == [
            f"Does the engineer at {ONCALL[0]} answer? [y/N] ",
            f"Does the engineer at {ONCALL[1]} answer? [y/N] ",
        ]
        assert server.bot.received[1].text == "123456"
        assert server.bot.received[2].text == "yes"
        async with session_maker() as session:
            case = await case_store.get_case(session, number=case_number)
        latest = partial(case_store.latest_event, number=case_number, kind=CaseEventKind.VOICEMAIL)
        voicemail = await Jobs.over(session_maker).read(latest)
        assert case is not None and case.status == CaseStatus.ESCALATED
        assert voicemail is not None and str(voicemail.detail["recording_url"]).startswith("https://api.twilio.com/")


async def test_an_engineer_answering_connects_the_caller(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        read, _ = _script("123456", "yes", "y", "1")  # picks up and presses 1 to take the call
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


# -- `intake call`: which URL it signs for, and one line when it cannot go on ------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`intake call` as a user runs it: the token in the environment, PORT unlike the server's, no .env."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PORT", "3978")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)


def _intake_call(monkeypatch: pytest.MonkeyPatch, *argv: str, lines: tuple[str, ...] = ()) -> tuple[int, str]:
    """Run `intake call ARGV` in-process (call it in a thread), the caller typing `lines` then Ctrl-D."""
    read, _ = _script(*lines)
    monkeypatch.setattr("builtins.input", read)
    out = io.StringIO()
    return run(["call", *argv], out=out), out.getvalue()


@asynccontextmanager
async def _server_without_public_url(session_maker: SessionMaker) -> AsyncIterator[tuple[str, ScriptedBot]]:
    """A server started as `intake serve --port N` with no PUBLIC_BASE_URL: it checks signatures for its own URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    clock = FakeClock()
    bot = ScriptedBot(session_maker=session_maker, clock=clock)
    app = web.Application(middlewares=[error_middleware])  # as create_app mounts it
    setup_voice(app, config=voice_config(public_base_url=url), bot=bot, session_maker=session_maker, clock=clock)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield url, bot
    finally:
        await runner.cleanup()
        sock.close()


@pytest.mark.usefixtures("cli_env")
async def test_intake_call_signs_for_the_url_it_calls(
    session_maker: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server is not on PORT (3978): signing for http://localhost:3978 would get 403 on every webhook.
    async with _server_without_public_url(session_maker) as (url, bot):
        code, out = await asyncio.to_thread(_intake_call, monkeypatch, "--url", url, lines=("123456#", "2"))
    assert code == 0, out
    assert "BOT: Please key in your account number, then press pound." in out
    assert out.splitlines()[-1].endswith("ended by the service after 4 webhooks")
    assert len(bot.cases) == 1


@pytest.mark.usefixtures("cli_env")
async def test_intake_call_signs_for_public_base_url_when_it_is_set(
    session_maker: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC + "/")  # Twilio's view: a tunnel in front of the server
    async with voice_server(session_maker) as server:
        code, out = await asyncio.to_thread(_intake_call, monkeypatch, "--url", server.url, lines=("123456#", "2"))
    assert code == 0, out
    assert out.splitlines()[-1].endswith("ended by the service after 4 webhooks")


@pytest.mark.usefixtures("cli_env")
async def test_intake_call_refused_names_the_url_it_signed_for(
    session_maker: SessionMaker, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with voice_server(session_maker) as server:  # checks signatures for PUBLIC, which we do not set
        code, out = await asyncio.to_thread(_intake_call, monkeypatch, "--url", server.url)
    assert code == 1 and out == ""
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"intake call: the service refused the signature for {server.url}/twilio/voice (HTTP 403)")
    assert "PUBLIC_BASE_URL" in err


@pytest.mark.usefixtures("cli_env")
def test_intake_call_with_no_server_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as closed:  # bound, never listening: connections to it are refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        code, out = _intake_call(monkeypatch, "--url", url)
    assert code == 1 and out == ""
    assert capsys.readouterr().err == (
        f"intake call: cannot reach the service at {url} (Connection refused): is `intake serve` running?\n"
    )


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("url", ["localhost:3978", "ftp://localhost", "http://localhost:99999", "http://h/?q=1"])
def test_intake_call_refuses_a_url_that_is_not_a_server(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _intake_call(monkeypatch, "--url", url) == (2, "")
    assert capsys.readouterr().err.startswith(f"intake call: --url {url!r} is not")
