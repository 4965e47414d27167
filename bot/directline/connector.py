"""The Bot Connector endpoints the bot replies to (/v3/conversations/*), open to loopback peers only.

Why loopback only: the bot runs without a Microsoft app id, so its replies carry no credential the gateway
could verify. Anyone who can reach these endpoints can speak as the bot in any conversation whose id they
know, so they answer only peers on this machine (the bot runs in this process or beside it). Behind a
reverse proxy on the same host every request looks local: such a proxy must not forward /v3/conversations/,
and as a second line a request bearing proxy headers (X-Forwarded-For, Forwarded, X-Real-IP) is refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from aiohttp import web

from bot.directline.errors import ActivityNotFoundError, PeerNotAllowedError
from bot.directline.http import json_errors, read_json_object
from bot.directline.models import bot_activity
from bot.directline.service import DirectLineService
from store.directline import delete_activity, replace_activity

PeerCheck = Callable[[web.Request], bool]

_PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def is_loopback_peer(remote: str | None) -> bool:
    """True if `remote` (an aiohttp request.remote) is a loopback address: 127.0.0.0/8, ::1 or v4-mapped."""
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def connector_peer_allowed(request: web.Request) -> bool:
    """True if the request comes straight from this machine, not relayed by a proxy."""
    if any(header in request.headers for header in _PROXY_HEADERS):
        return False
    return is_loopback_peer(request.remote)


class ConnectorRoutes:
    """Handlers of the Bot Connector API subset botbuilder uses to send, reply, update and delete."""

    def __init__(self, service: DirectLineService, *, peer_allowed: PeerCheck) -> None:
        self._service = service
        self._peer_allowed = peer_allowed

    def register(self, router: web.UrlDispatcher) -> None:
        """Add the connector routes to `router`."""
        base = "/v3/conversations/{conversationId}/activities"
        router.add_post(base, json_errors(self.send))
        router.add_post(base + "/{activityId}", json_errors(self.send))
        router.add_put(base + "/{activityId}", json_errors(self.update))
        router.add_delete(base + "/{activityId}", json_errors(self.delete))

    def _check_peer(self, request: web.Request) -> None:
        if not self._peer_allowed(request):
            raise PeerNotAllowedError("the connector endpoints answer only the bot on this machine")

    async def send(self, request: web.Request) -> web.Response:
        """POST .../activities[/{replyToId}]: store the bot's activity and push it to the streams."""
        self._check_peer(request)
        conversation = await self._service.conversation(request.match_info["conversationId"])
        body = await read_json_object(request, limit=self._service.config.max_body)
        activity = bot_activity(
            body,
            conversation_id=conversation.id,
            user_id=conversation.user_id,
            bot=self._service.bot_account,
            reply_to_id=request.match_info.get("activityId"),
            now=self._service.clock(),
        )
        stored = await self._service.append(conversation.id, activity)
        return web.json_response({"id": stored.activity_id})

    async def update(self, request: web.Request) -> web.Response:
        """PUT .../activities/{id}: replace a stored activity; streams get it again under the same id."""
        self._check_peer(request)
        conversation = await self._service.conversation(request.match_info["conversationId"])
        body = await read_json_object(request, limit=self._service.config.max_body)
        activity_id = request.match_info["activityId"]
        activity = bot_activity(
            body,
            conversation_id=conversation.id,
            user_id=conversation.user_id,
            bot=self._service.bot_account,
            reply_to_id=None,
            now=self._service.clock(),
        )
        stored = await replace_activity(
            self._service.session_maker,
            conversation_id=conversation.id,
            activity_id=activity_id,
            activity=activity,
        )
        if stored is None:
            raise ActivityNotFoundError("no activity of this conversation has this id")
        self._service.hub.notify(conversation.id, stored.seq)
        return web.json_response({"id": stored.activity_id})

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE .../activities/{id}: remove a stored activity (clients that already got it keep it)."""
        self._check_peer(request)
        conversation = await self._service.conversation(request.match_info["conversationId"])
        deleted = await delete_activity(
            self._service.session_maker,
            conversation_id=conversation.id,
            activity_id=request.match_info["activityId"],
        )
        if not deleted:
            raise ActivityNotFoundError("no activity of this conversation has this id")
        return web.Response(status=200)
