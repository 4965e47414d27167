"""Every webhook is checked against X-Twilio-Signature over the PUBLIC URL; refusals change nothing."""

from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

from bot.voice.signature import Verdict, public_url, sign, verify
from store.db import SessionMaker
from store.models import CallRecord, VoiceTurn
from tests.bot.voice.harness import PUBLIC, TOKEN, VoiceServer, call_params, new_call_sid, voice_config, voice_server


async def _rows(session_maker: SessionMaker) -> tuple[int, int]:
    async with session_maker() as session:
        calls = (await session.exec(select(func.count()).select_from(CallRecord))).one()
        turns = (await session.exec(select(func.count()).select_from(VoiceTurn))).one()
    return calls, turns


async def _refused(server: VoiceServer, status: int, body: str, expected: int = 403) -> None:
    assert status == expected, body
    assert json.loads(body)["error"]["code"]
    assert server.bot.turns == []
    assert await _rows(server.session_maker) == (0, 0)


def test_verify_accepts_twilios_signature_and_rejects_the_rest() -> None:
    url = PUBLIC + "/twilio/gather?step=2"
    params = call_params("CA" + "0" * 32, Digits="1")
    good = sign(auth_token=TOKEN, url=url, params=params)
    assert verify(auth_token=TOKEN, url=url, params=params, signature=good) is Verdict.VALID
    assert verify(auth_token=TOKEN, url=url, params=params, signature=None) is Verdict.MISSING
    assert verify(auth_token=TOKEN, url=url, params=params, signature="bm9wZQ==") is Verdict.INVALID
    assert verify(auth_token="other", url=url, params=params, signature=good) is Verdict.INVALID
    assert verify(auth_token=TOKEN, url=url + "0", params=params, signature=good) is Verdict.INVALID
    assert verify(auth_token=None, url=url, params=params, signature=good) is Verdict.NOT_CONFIGURED
    assert verify(auth_token=TOKEN, url=url, params={**params, "Digits": "2"}, signature=good) is Verdict.INVALID


def test_public_url_keeps_path_and_query_as_requested() -> None:
    assert public_url("https://x.test/", "/twilio/gather?step=3") == "https://x.test/twilio/gather?step=3"
    assert public_url("https://x.test/intake", "/twilio/voice") == "https://x.test/intake/twilio/voice"


async def test_signed_webhook_is_answered(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        status, body = await server.post("/twilio/voice", call_params(new_call_sid()))
        assert status == 200, body
        assert await _rows(session_maker) == (1, 1)


async def test_missing_signature_is_refused(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        status, body = await server.post("/twilio/voice", call_params(new_call_sid()), sign_it=False)
        await _refused(server, status, body)


async def test_wrong_signature_is_refused(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        status, body = await server.post(
            "/twilio/voice", call_params(new_call_sid()), signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA="
        )
        await _refused(server, status, body)


async def test_signature_made_with_another_token_is_refused(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        status, body = await server.post("/twilio/voice", call_params(new_call_sid()), token="not-the-token")
        await _refused(server, status, body)


@pytest.mark.parametrize(
    "signed_path",
    ["/twilio/gather?step=1", "/twilio/voice?x=1", "/twilio/status"],
    ids=["another-path", "another-query", "status-path"],
)
async def test_signature_for_another_url_is_refused(session_maker: SessionMaker, signed_path: str) -> None:
    async with voice_server(session_maker) as server:
        status, body = await server.post("/twilio/voice", call_params(new_call_sid()), signed_url=PUBLIC + signed_path)
        await _refused(server, status, body)


async def test_signature_over_the_internal_url_is_refused(session_maker: SessionMaker) -> None:
    # Twilio signs the public URL; a signature over the address we listen on proves nothing.
    async with voice_server(session_maker) as server:
        status, body = await server.post(
            "/twilio/voice", call_params(new_call_sid()), signed_url=server.url + "/twilio/voice"
        )
        await _refused(server, status, body)


async def test_tampered_form_is_refused(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        params = call_params(new_call_sid())
        signature = sign(auth_token=TOKEN, url=PUBLIC + "/twilio/voice", params=params)
        params["From"] = "+14155550000"
        status, body = await server.post("/twilio/voice", params, signature=signature)
        await _refused(server, status, body)


@pytest.mark.parametrize(
    "path",
    [
        "/twilio/voice",
        "/twilio/gather?step=1",
        "/twilio/dial-status?next=1",
        "/twilio/whisper?case=2611-0001",
        "/twilio/voicemail",
        "/twilio/status",
    ],
)
async def test_every_webhook_refuses_a_forged_request(session_maker: SessionMaker, path: str) -> None:
    async with voice_server(session_maker) as server:
        status, body = await server.post(path, call_params(new_call_sid()), signature="Zm9yZ2Vk")
        await _refused(server, status, body)


async def test_no_auth_token_configured_answers_503(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker, voice_config(auth_token=None)) as server:
        status, body = await server.post("/twilio/voice", call_params(new_call_sid()))
        await _refused(server, status, body, expected=503)
        assert "TWILIO_AUTH_TOKEN" in json.loads(body)["error"]["message"]


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/twilio/voice", {"CallSid": ""}),
        ("/twilio/voice", {"CallSid": "not-a-call-sid"}),
        ("/twilio/gather?step=zero", {}),
        ("/twilio/gather?step=0", {}),
        ("/twilio/gather?step=1", {"Digits": "12ab"}),
        ("/twilio/gather?step=1", {"SpeechResult": "hello", "Confidence": "very"}),
        ("/twilio/dial-status?next=-1", {}),
        ("/twilio/voicemail", {"RecordingUrl": "javascript:alert(1)"}),
        ("/twilio/whisper", {}),
    ],
)
async def test_malformed_but_signed_webhooks_get_400(
    session_maker: SessionMaker, path: str, extra: dict[str, str]
) -> None:
    async with voice_server(session_maker) as server:
        status, body = await server.post(path, {**call_params(new_call_sid()), **extra})
        await _refused(server, status, body, expected=400)


async def test_non_form_body_is_refused(session_maker: SessionMaker) -> None:
    async with voice_server(session_maker) as server:
        async with server.http.post(server.url + "/twilio/voice", json={"CallSid": new_call_sid()}) as resp:
            status, body = resp.status, await resp.text()
        await _refused(server, status, body, expected=415)
