"""CloudAdapter set-up: Bot Framework auth from settings, connector clients reused across turns, and
replies only to the Bot Framework's own hosts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import DeliveryModes
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
)

from bot.activity_json import SENT_JSON, stamped_json, to_json
from bot.settings import Settings

log = logging.getLogger(__name__)


class ServiceUrlNotAllowedError(PermissionError):
    """A serviceUrl off the allowlist: the bot never sends a request there."""


def service_url_allowed(url: str, hosts: Sequence[str]) -> bool:
    """True if `url` is https on the default port to a host matching one of `hosts` ("*." = any subdomain)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme != "https" or parts.username is not None or parts.password is not None or port not in {None, 443}:
        return False
    host = (parts.hostname or "").rstrip(".").lower()
    for pattern in hosts:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


class _RefusingClient:
    """The connector client of a serviceUrl off the allowlist: any use is refused, and logged."""

    def __getattr__(self, name: str) -> Any:
        # The URL came with an activity: say that one was refused, not where it pointed.
        log.warning("reply refused: the activity's serviceUrl is not on the allowlist (BOT_SERVICE_HOSTS)")
        raise ServiceUrlNotAllowedError("the serviceUrl is not on the allowlist")


class _CachingConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    """Reuse one ConnectorClient per (service URL, audience) for the same credentials; refuse other hosts."""

    def __init__(self, inner: ConnectorFactory, cache: dict[tuple[str, str], Any], hosts: Sequence[str]) -> None:
        self._inner = inner
        self._cache = cache
        self._hosts = hosts

    async def create(self, service_url: str, audience: str) -> Any:
        if not service_url_allowed(service_url, self._hosts):
            # botbuilder builds a client for every turn, even one whose replies never leave (expectReplies):
            # this one refuses at the first use instead, so nothing is ever sent there.
            return _RefusingClient()
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

    def __init__(self, inner: ConfigurationBotFrameworkAuthentication, hosts: Sequence[str]) -> None:
        self._inner = inner
        self._hosts = tuple(hosts)
        self._connectors: dict[str, dict[tuple[str, str], Any]] = {}
        self._token_clients: dict[str, Any] = {}

    async def authenticate_request(self, activity: Any, auth_header: str) -> AuthenticateRequestResult:
        result: AuthenticateRequestResult = await self._inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            cache = self._connectors.setdefault(_app_id(result.claims_identity), {})
            result.connector_factory = _CachingConnectorFactory(result.connector_factory, cache, self._hosts)
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> Any:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        cache = self._connectors.setdefault(_app_id(claims_identity), {})
        return _CachingConnectorFactory(self._inner.create_connector_factory(claims_identity), cache, self._hosts)

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
            known = context.turn_state.get(SENT_JSON) or {}
            seen: dict[int, Any] = {}
            activities = [
                stamped_json(known[i], activity, seen) if i in known else to_json(activity)
                for i, activity in enumerate(context.buffered_reply_activities)
            ]
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
    auth = ConfigurationBotFrameworkAuthentication(configuration)
    return IntakeAdapter(CachingAuthentication(auth, settings.service_hosts))


async def close_adapter(adapter: CloudAdapter) -> None:
    """Release the HTTP sessions the adapter's cached clients hold."""
    auth = adapter.bot_framework_authentication
    if isinstance(auth, CachingAuthentication):
        await auth.aclose()
