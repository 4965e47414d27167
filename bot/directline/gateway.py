"""Direct Line 3.0 routes for clients (/v3/directline/*, /api/webchat/token) and setup_directline()."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from yarl import URL

from bot.bus import app_bus
from bot.client_address import client_address
from bot.directline.adapter import BotLogic, DirectLineAdapter, TurnErrorHandler
from bot.directline.config import DirectLineConfig
from bot.directline.errors import BadArgumentError, CrossSiteError, TokenScopeError
from bot.directline.http import bearer, read_json_object
from bot.directline.models import JsonObject, activity_set, parse_watermark, user_activity
from bot.directline.service import Credential, DirectLineService
from bot.directline.stream import pump
from bot.directline.tokens import Scope
from bot.periodic import Periodic
from intake.clock import Clock
from store.clock import utc_now
from store.db import SessionMaker
from store.directline import list_activities
from store.jobs import Jobs
from store.models import DirectLineActivityPublic, DirectLineConversationPublic

log = logging.getLogger(__name__)

DIRECTLINE_SERVICE = web.AppKey("directline_service", DirectLineService)

STREAM_ROUTE = "directline-stream"
_CONVERSATION_SCOPES = frozenset({Scope.CONVERSATION})
_STREAM_SCOPES = frozenset({Scope.CONVERSATION, Scope.STREAM})
# Client keep-alives are empty strings; nothing a client sends on the stream needs more.
_MAX_CLIENT_FRAME = 4096


class DirectLineRoutes:
    """Handlers of the Direct Line 3.0 client API."""

    def __init__(self, service: DirectLineService) -> None:
        self._service = service
        self._config = service.config

    def _credential(self, request: web.Request) -> Credential:
        return self._service.authenticate(bearer(request))

    async def _authorized_conversation(
        self, request: web.Request, credential: Credential, *, scopes: frozenset[Scope] = _CONVERSATION_SCOPES
    ) -> DirectLineConversationPublic:
        conversation_id = request.match_info["conversationId"]
        self._service.authorize(credential, conversation_id, scopes=scopes)
        return await self._service.conversation(conversation_id)

    def _stream_url(self, request: web.Request, conversation: DirectLineConversationPublic, watermark: int) -> str:
        # The page may sit behind a TLS-terminating proxy: a ws:// URL on an https page would be blocked.
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        scheme = "wss" if request.secure or forwarded == "https" else "ws"
        path = request.app.router[STREAM_ROUTE].url_for(conversationId=conversation.id)
        query = {"t": self._service.token_for(conversation, scope=Scope.STREAM)}
        if watermark:
            query["watermark"] = str(watermark)
        return str(URL.build(scheme=scheme, authority=request.host, path=path.path, query=query))

    def _conversation_json(
        self,
        request: web.Request,
        conversation: DirectLineConversationPublic,
        credential: Credential,
        *,
        watermark: int = 0,
    ) -> JsonObject:
        # A secret is never echoed: its holder gets a token for the conversation instead.
        if credential.claims is None:
            token, expires_in = self._service.token_for(conversation), self._service.expires_in()
        else:
            token, expires_in = bearer(request), self._service.expires_in(credential.claims)
        return {
            "conversationId": conversation.id,
            "token": token,
            "expires_in": expires_in,
            "streamUrl": self._stream_url(request, conversation, watermark),
            "referenceGrammarId": "",
        }

    def _token_json(self, conversation: DirectLineConversationPublic) -> JsonObject:
        return {
            "conversationId": conversation.id,
            "token": self._service.token_for(conversation),
            "expires_in": self._service.expires_in(),
        }

    async def webchat_token(self, request: web.Request) -> web.Response:
        """POST /api/webchat/token: the website's token vendor (a new conversation; no secret in the page)."""
        # Browsers label cross-site requests; no other site's page should mint conversations for its visitors.
        if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
            raise CrossSiteError("tokens are only issued to this site's own page")
        conversation = await self._service.new_conversation()
        return web.json_response(self._token_json(conversation))

    async def generate_token(self, request: web.Request) -> web.Response:
        """POST /v3/directline/tokens/generate: the secret holder gets a new conversation and its token."""
        credential = self._credential(request)
        if not credential.is_secret:
            raise TokenScopeError("generating a token needs the Direct Line secret")
        body = await read_json_object(request, limit=self._config.max_body, optional=True)
        user = body.get("user")
        user_id = user.get("id") if isinstance(user, dict) else None
        if user is not None and not isinstance(user_id, str):
            raise BadArgumentError("user must be an object with a string id")
        conversation = await self._service.new_conversation(user_id=user_id)
        return web.json_response(self._token_json(conversation))

    async def refresh_token(self, request: web.Request) -> web.Response:
        """POST /v3/directline/tokens/refresh: a still-valid token gets a fresh one for its conversation."""
        claims = self._credential(request).claims
        if claims is None or claims.scope is not Scope.CONVERSATION:
            raise TokenScopeError("only a conversation token can be refreshed")
        conversation = await self._service.conversation(claims.conversation_id)
        return web.json_response(self._token_json(conversation))

    async def start_conversation(self, request: web.Request) -> web.Response:
        """POST /v3/directline/conversations: start the token's conversation (with the secret, a new one)."""
        credential = self._credential(request)
        if credential.claims is not None and credential.claims.scope is not Scope.CONVERSATION:
            raise TokenScopeError("this token cannot be used for this request")
        body = await read_json_object(request, limit=self._config.max_body, optional=True)
        if credential.claims is None:
            conversation = await self._service.new_conversation()
        else:
            conversation = await self._service.conversation(credential.claims.conversation_id)
        locale = body.get("locale")
        started = await self._service.start(conversation, locale=locale if isinstance(locale, str) else None)
        return web.json_response(
            self._conversation_json(request, conversation, credential), status=201 if started else 200
        )

    async def resume_conversation(self, request: web.Request) -> web.Response:
        """GET /v3/directline/conversations/{id}?watermark=: a fresh streamUrl to reconnect with."""
        credential = self._credential(request)
        conversation = await self._authorized_conversation(request, credential)
        watermark = parse_watermark(request.query.get("watermark"))
        return web.json_response(self._conversation_json(request, conversation, credential, watermark=watermark))

    async def post_activity(self, request: web.Request) -> web.Response:
        """POST /v3/directline/conversations/{id}/activities: store, echo to streams, the bot takes it."""
        credential = self._credential(request)
        conversation = await self._authorized_conversation(request, credential)
        body = await read_json_object(request, limit=self._config.max_body)
        activity = user_activity(
            body,
            conversation_id=conversation.id,
            user_id=conversation.user_id,
            bot=self._service.bot_account,
            service_url=self._config.service_url,
            now=self._service.clock(),
        )
        if conversation.started_at is None:
            # A client that posts without starting still gets the bot's greeting, and first.
            await self._service.start(conversation, locale=activity.get("locale"))
        await self._service.greeted(conversation.id)
        client = client_address(request, self._config.trusted_proxies)
        stored = await self._service.receive(conversation.id, activity, client=client)
        return web.json_response({"id": stored.activity_id})

    async def get_activities(self, request: web.Request) -> web.Response:
        """GET /v3/directline/conversations/{id}/activities?watermark=: what came after the watermark."""
        credential = self._credential(request)
        conversation = await self._authorized_conversation(request, credential)
        watermark = parse_watermark(request.query.get("watermark"))
        batch = await list_activities(self._service.db, conversation_id=conversation.id, after_seq=watermark)
        last = batch[-1].seq if batch else watermark
        return web.json_response(activity_set([item.body for item in batch], last))

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """GET /v3/directline/conversations/{id}/stream?t=&watermark=: the WebSocket of ActivitySets."""
        # Browsers cannot set headers on a WebSocket, hence the token in the query (Direct Line's design).
        # Access logs record it: that is why streamUrl carries a read-only stream token that lives minutes.
        raw = request.query.get("t") or bearer(request)
        credential = self._service.authenticate(raw)
        conversation = await self._authorized_conversation(request, credential, scopes=_STREAM_SCOPES)
        watermark = parse_watermark(request.query.get("watermark"))
        # timeout bounds the wait for a vanished client's close reply (shutdown, or a stream ended here).
        heartbeat = self._config.stream_heartbeat.total_seconds()
        ws = web.WebSocketResponse(heartbeat=heartbeat, timeout=2.0, max_msg_size=_MAX_CLIENT_FRAME)
        if not ws.can_prepare(request).ok:
            raise BadArgumentError("this endpoint takes a WebSocket upgrade")
        await ws.prepare(request)
        db, hub = self._service.db, self._service.hub

        async def fetch(after: int) -> list[DirectLineActivityPublic]:
            known = hub.recent(conversation.id, after)
            if known is not None:
                return known
            return await list_activities(db, conversation_id=conversation.id, after_seq=after)

        with self._service.hub.subscribe(conversation.id) as subscription:
            await pump(ws, subscription, fetch=fetch, watermark=watermark)
        return ws


def setup_directline(
    app: web.Application,
    *,
    config: DirectLineConfig,
    session_maker: SessionMaker,
    bot: BotLogic,
    on_turn_error: TurnErrorHandler,
    clock: Clock = utc_now,
    jobs: Jobs | None = None,
) -> DirectLineAdapter:
    """Mount the Direct Line gateway on `app`; the bot's turns run in this process through the adapter."""
    service = DirectLineService(
        config=config, session_maker=session_maker, clock=clock, bus=app_bus(app, session_maker), jobs=jobs
    )
    app[DIRECTLINE_SERVICE] = service
    adapter = DirectLineAdapter(service, bot, on_turn_error)
    client = DirectLineRoutes(service)
    router = app.router
    router.add_post("/api/webchat/token", client.webchat_token)
    router.add_post("/v3/directline/tokens/generate", client.generate_token)
    router.add_post("/v3/directline/tokens/refresh", client.refresh_token)
    router.add_post("/v3/directline/conversations", client.start_conversation)
    router.add_get(
        "/v3/directline/conversations/{conversationId}",
        client.resume_conversation,
        allow_head=False,
    )
    router.add_post("/v3/directline/conversations/{conversationId}/activities", client.post_activity)
    router.add_get(
        "/v3/directline/conversations/{conversationId}/activities",
        client.get_activities,
        allow_head=False,
    )
    router.add_get(
        "/v3/directline/conversations/{conversationId}/stream",
        client.stream,
        name=STREAM_ROUTE,
        allow_head=False,
    )

    # Streams learn of other processes' writes from their notices (PostgreSQL) or, on SQLite, by one poll for
    # all of them; the recovery sweep runs at start (a restart after a crash) and then now and again
    # (another process's crash).
    poller = (
        Periodic("directline stream poll", config.poll_interval.total_seconds(), service.hub.poll_once)
        if service.hub.needs_poll
        else None
    )
    recovery = Periodic("directline recovery", config.recovery_interval.total_seconds(), service.recover)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        service.attach_bot(adapter.process)
        if poller is not None:
            poller.start()
        recovery.start()
        try:
            yield
        finally:
            await recovery.stop()
            await service.finish_background()
            if poller is not None:
                await poller.stop()
            service.attach_bot(None)

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(_close_streams)
    return adapter


async def _close_streams(app: web.Application) -> None:
    # Open sockets would otherwise hold graceful shutdown until its timeout.
    app[DIRECTLINE_SERVICE].hub.close_all()
