"""`/api/messages` is for Bot Framework channels only: the website's and the phone's conversations, ids and
caller numbers cannot be claimed through it, and replies go only to Bot Framework hosts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession, web
from botframework.connector.auth import ClaimsIdentity

from bot.adapter import ServiceUrlNotAllowedError, create_adapter, service_url_allowed
from bot.settings import load_settings
from store.accounts import import_accounts_csv
from store.db import create_engine, session_factory
from tests.bot.conftest import FakeClock, Service, start_service, stored_cases, texts

PRODUCTION = {
    "intake_env": "production",
    "public_base_url": "https://support.example.com",
    "directline_secret": "a-real-directline-secret-of-enough-length-0123",
    "link_secret": "a-real-link-secret-of-enough-length-0123456789",
}


def _activity(**fields: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "text": "K123456 status of case 2612-0001",
        "channelId": "webchat",
        "conversation": {"id": "conv-x"},
        "from": {"id": "user-1"},
        "recipient": {"id": "bot"},
        "deliveryMode": "expectReplies",
        **fields,
    }


async def _running(db_url: str, **settings: Any) -> AsyncIterator[tuple[str, ClientSession]]:
    runner, base = await start_service(db_url, FakeClock(), **settings)
    try:
        async with ClientSession() as http:
            yield base, http
    finally:
        await runner.cleanup()


async def test_off_in_production_without_an_app_id(db_url: str) -> None:
    async for base, http in _running(db_url, **PRODUCTION):
        async with http.post(f"{base}/api/messages", json=_activity()) as response:
            assert response.status == 404
            assert (await response.json())["error"]["code"] == "not_enabled"
        # The website chat does not need it: the gateway runs the bot in process.
        async with http.post(f"{base}/api/webchat/token") as response:
            token = await response.json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        conversation = token["conversationId"]
        url = f"{base}/v3/directline/conversations/{conversation}/activities"
        async with http.post(url, json={"type": "message", "text": "help"}, headers=headers) as response:
            assert response.status == 200
        async with http.get(url, headers=headers) as response:
            activities = (await response.json())["activities"]
        roles = [a["from"]["role"] for a in activities]
        assert "user" in roles and roles[-1] == "bot"  # the bot answered the customer


async def test_with_an_app_id_a_bot_framework_token_is_required_and_the_website_still_works(db_url: str) -> None:
    async for base, http in _running(db_url, microsoft_app_id="00000000-0000-0000-0000-000000000001"):
        for headers in ({}, {"Authorization": "Bearer not.a.jwt"}):
            async with http.post(f"{base}/api/messages", json=_activity(), headers=headers) as response:
                assert response.status == 401
        async with http.post(f"{base}/api/webchat/token") as response:
            token = await response.json()
        url = f"{base}/v3/directline/conversations/{token['conversationId']}/activities"
        headers = {"Authorization": f"Bearer {token['token']}"}
        async with http.post(url, json={"type": "message", "text": "help"}, headers=headers) as response:
            assert response.status == 200


async def test_explicitly_on_in_production(db_url: str) -> None:
    async for base, http in _running(db_url, api_messages="on", **PRODUCTION):
        async with http.post(f"{base}/api/messages", json=_activity(text="help")) as response:
            assert response.status == 200


@pytest.mark.parametrize("channel", ["directline", "twilio-voice", "DirectLine"])
async def test_built_in_channels_cannot_be_claimed(service: Service, channel: str) -> None:
    status, body = await service.post_activity(_activity(channelId=channel))
    assert status == 400 and body["error"]["code"] == "bad_activity"


async def test_a_website_conversation_cannot_be_reached(service: Service) -> None:
    async with service.http.post(f"{service.base_url}/api/webchat/token") as response:
        victim = (await response.json())["conversationId"]
    status, body = await service.post_activity(_activity(conversation={"id": victim}))
    assert status == 403 and body["error"]["code"] == "conversation_not_allowed"


async def test_a_phone_call_cannot_be_reached(service: Service) -> None:
    status, _ = await service.post_activity(_activity(conversation={"id": "CA" + "0" * 32}))
    assert status == 403


async def test_a_claimed_caller_number_greets_nobody_by_name(service: Service, db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await import_accounts_csv(
            session_factory(engine), "k_number,name,phones\nK765432,Mercy General,+1 202 555 0143\n"
        )
    finally:
        await engine.dispose()
    joined = _activity(
        type="conversationUpdate",
        text=None,
        membersAdded=[{"id": "user-1"}],
        channelData={"twilio": {"from": "+12025550143"}},
    )
    status, body = await service.post_activity(joined)
    assert status == 200
    greeting = texts(body["activities"])
    assert "Mercy" not in greeting and "K765432" not in greeting


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "invoke", "name": "adaptiveCard/action", "value": {"action": {"type": "Action.Execute"}}},
        {"conversation": {"id": "c" * 201}},
        {"channelId": "x" * 65},
        {"channelId": 7},
    ],
    ids=["invoke", "long-conversation-id", "long-channel-id", "channel-id-type"],
)
async def test_what_the_bot_cannot_take_is_refused(service: Service, fields: dict[str, Any]) -> None:
    status, body = await service.post_activity(_activity(**fields))
    assert status == 400, body


async def test_nul_and_lone_surrogates_are_replaced_not_a_failed_turn(service: Service) -> None:
    raw = (
        b'{"type": "message", "text": "K123456 a question\\u0000 how do I export\\ud800?", "channelId": "webchat",'
        b' "conversation": {"id": "conv-nul"}, "from": {"id": "u"}, "recipient": {"id": "bot"},'
        b' "deliveryMode": "expectReplies"}'
    )
    headers = {"Content-Type": "application/json"}
    async with service.http.post(f"{service.base_url}/api/messages", data=raw, headers=headers) as response:
        assert response.status == 200
        body = await response.json()
    assert "wrong on our side" not in texts(body["activities"])


class _Listener:
    """A loopback server standing for an internal address an attacker would like the bot to call."""

    def __init__(self) -> None:
        self.hits = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        return web.json_response({"id": "1"})


async def test_replies_never_go_to_a_service_url_off_the_allowlist(service: Service) -> None:
    listener = _Listener()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", listener.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        for url in (f"http://127.0.0.1:{port}/internal/", f"https://127.0.0.1:{port}/"):
            activity = _activity(serviceUrl=url, text="help")
            del activity["deliveryMode"]
            status, body = await service.post_activity(activity)
            assert status == 400 and body["error"]["code"] == "service_url_not_allowed"
        await asyncio.sleep(0)
    finally:
        await runner.cleanup()
    assert listener.hits == 0


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://smba.trafficmanager.net/amer/", True),
        ("https://webchat.botframework.com/", True),
        ("https://europe.webchat.botframework.com/", True),
        ("http://webchat.botframework.com/", False),
        ("https://botframework.com.evil.example/", False),
        ("https://evilbotframework.com/", False),
        ("https://webchat.botframework.com:8443/", False),
        ("https://user@webchat.botframework.com/", False),
        ("https://127.0.0.1/", False),
        ("https://[::1]/", False),
        ("https://webchat.botframework.com:bad/", False),
        ("not a url", False),
    ],
)
def test_service_url_allowlist(url: str, allowed: bool) -> None:
    hosts = load_settings().service_hosts
    assert service_url_allowed(url, hosts) is allowed


async def test_the_adapter_refuses_to_build_a_client_for_a_host_off_the_allowlist() -> None:
    adapter = create_adapter(load_settings())
    auth = adapter.bot_framework_authentication
    factory = auth.create_connector_factory(ClaimsIdentity({}, True))
    client = await factory.create("http://127.0.0.1:4999/internal/", "")
    with pytest.raises(ServiceUrlNotAllowedError):
        await client.conversations.send_to_conversation("conv", {})


async def test_one_activity_delivered_twenty_times_at_once_is_answered_once_for_all(service: Service) -> None:
    await service.join()
    first = await service.say("K123456 the print preview icon is misaligned for one user")
    assert first
    activity = _activity(id="same-one", text="Yes, that's right", conversation={"id": service.conversation})
    results = await asyncio.gather(*(service.post_activity(activity) for _ in range(20)))
    answers = [texts(body["activities"]) for _, body in results]
    assert [status for status, _ in results] == [200] * 20
    assert len(set(answers)) == 1 and "wrong on our side" not in answers[0]
    [case] = await stored_cases(service.db_url)
    assert case.number in answers[0]
