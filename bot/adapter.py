"""CloudAdapter set-up: Bot Framework auth from settings, with connector clients reused across turns."""

from __future__ import annotations

from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import DeliveryModes
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
)

from bot.activity_json import to_json
from bot.settings import Settings


class _CachingConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    """Reuse one ConnectorClient per (service URL, audience) for the same credentials."""

    def __init__(self, inner: ConnectorFactory, cache: dict[tuple[str, str], Any]) -> None:
        self._inner = inner
        self._cache = cache

    async def create(self, service_url: str, audience: str) -> Any:
        key = (service_url, audience or "")
        client = self._cache.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            self._cache[key] = client
        return client


class CachingAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """Delegates to botbuilder's configuration auth, caching the clients it builds on every turn.

    botbuilder 4.17.1 builds a new msrest ConnectorClient and UserTokenClient per turn; their retry-policy
    set-up dominates a turn's cost (see docs/BENCHMARKS.md). botbuilder's older BotFrameworkAdapter cached
    connector clients the same way. Clients are keyed by the caller's app id, so credentials never mix.
    """

    def __init__(self, inner: ConfigurationBotFrameworkAuthentication) -> None:
        self._inner = inner
        self._connectors: dict[str, dict[tuple[str, str], Any]] = {}
        self._token_clients: dict[str, Any] = {}

    async def authenticate_request(self, activity: Any, auth_header: str) -> AuthenticateRequestResult:
        result: AuthenticateRequestResult = await self._inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            cache = self._connectors.setdefault(_app_id(result.claims_identity), {})
            result.connector_factory = _CachingConnectorFactory(result.connector_factory, cache)
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> Any:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        cache = self._connectors.setdefault(_app_id(claims_identity), {})
        return _CachingConnectorFactory(self._inner.create_connector_factory(claims_identity), cache)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> Any:
        key = _app_id(claims_identity)
        client = self._token_clients.get(key)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._token_clients[key] = client
        return client

    async def aclose(self) -> None:
        """Close every cached client's HTTP session (on app shutdown)."""
        clients = [c for cache in self._connectors.values() for c in cache.values()]
        clients += list(self._token_clients.values())
        self._connectors.clear()
        self._token_clients.clear()
        for client in clients:
            exit_ = getattr(client, "__aexit__", None)
            if exit_ is not None:
                await exit_(None, None, None)

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)


def _app_id(identity: ClaimsIdentity | None) -> str:
    claims = getattr(identity, "claims", None) or {}
    return str(claims.get("appid") or claims.get("azp") or claims.get("aud") or "")


class IntakeAdapter(CloudAdapter):  # type: ignore[misc]
    """CloudAdapter answering expectReplies with one plain JSON body.

    botbuilder 4.17.1 serialises ExpectedReplies through msrest (see bot/activity_json.py for the cost), and
    its aiohttp integration then serialises that dict again and fails with a 500; bot/messages.py sends
    the body as it is.
    """

    def _process_turn_results(self, context: TurnContext) -> InvokeResponse:
        if context.activity.delivery_mode == DeliveryModes.expect_replies:
            activities = [to_json(activity) for activity in context.buffered_reply_activities]
            return InvokeResponse(status=HTTPStatus.OK, body={"activities": activities})
        return super()._process_turn_results(context)


def create_adapter(settings: Settings) -> CloudAdapter:
    """A CloudAdapter for the configured app id; empty app id = local mode, like the Emulator."""
    configuration = SimpleNamespace(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password,
        APP_TYPE="SingleTenant" if settings.microsoft_app_tenant_id else "MultiTenant",
        APP_TENANTID=settings.microsoft_app_tenant_id,
    )
    return IntakeAdapter(CachingAuthentication(ConfigurationBotFrameworkAuthentication(configuration)))


async def close_adapter(adapter: CloudAdapter) -> None:
    """Release the HTTP sessions the adapter's cached clients hold."""
    auth = adapter.bot_framework_authentication
    if isinstance(auth, CachingAuthentication):
        await auth.aclose()
