"""`POST /api/messages`: the Bot Framework protocol for Bot Framework channels, checked before botbuilder.

The website and the phone line never come this way: their adapters run the bot in process. So an
activity here may not claim one of those channels, nor a conversation one of them owns; its replies go
only to the Bot Framework hosts on the allowlist; and with no MicrosoftAppId the endpoint is open only
in development (see Settings.api_messages).
"""

from __future__ import annotations

import logging
import re
from functools import partial
from http import HTTPStatus
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, DeliveryModes

from bot.activity_json import activity_from_json
from bot.adapter import ServiceUrlNotAllowedError, service_url_allowed
from bot.contract import BUILT_IN_CHANNEL_IDS, CLIENT_DATA_KEY
from bot.errors import BadRequestError, ForbiddenError, NotFoundError, ServiceError
from bot.jsonbody import read_json
from bot.kept import Kept
from bot.keys import ADAPTER, BOT, JOBS, SETTINGS
from store import ownership
from store.jobs import Jobs

log = logging.getLogger(__name__)

MAX_ACTIVITY_BYTES = 256 * 1024
# What the store keeps of a conversation id and a channel id (longer ones would fail the turn's writes).
MAX_CONVERSATION_ID = 200
MAX_CHANNEL_ID = 64
# Replies in expectReplies mode never leave the process, so any well-formed serviceUrl will do.
_EXPECT_REPLIES_SERVICE_URL = "http://localhost/expect-replies"
# Twilio's call ids: the phone line's conversations, even before the call is stored.
_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
# Conversations found to belong to no built-in channel. That never changes: the website's conversation ids
# are 144 random bits the gateway draws itself, and calls are Twilio's; so the store is asked once each.
_KNOWN_OUTSIDE = 10_000
OUTSIDE: web.AppKey[Kept[str, bool]] = web.AppKey("outside_conversations")


class ActivityError(BadRequestError, ValueError):
    """A request body that is not a Bot Framework activity we can process."""

    code = "bad_activity"


class EndpointOffError(NotFoundError):
    """The endpoint is off in this deployment (see Settings.api_messages)."""

    code = "not_enabled"


class ServiceUrlRefusedError(BadRequestError):
    """The activity names a serviceUrl off the allowlist: its replies would go where we never call."""

    code = "service_url_not_allowed"


class ConversationNotAllowedError(ForbiddenError):
    """The conversation belongs to one of the service's own channels."""

    code = "conversation_not_allowed"


class UnauthorizedError(ServiceError):
    """No valid Bot Framework token."""

    status = 401
    code = "unauthorized"


def parse_activity(data: Any) -> Activity:
    """Decoded JSON (read_json with storable) -> Activity, refusing what botbuilder would crash on (ActivityError)."""
    if not isinstance(data, dict):
        raise ActivityError("body must be a JSON object (an activity)")
    if not isinstance(data.get("type"), str) or not data["type"]:
        raise ActivityError("activity needs a 'type'")
    if data["type"] == "invoke":
        # No card actions, sign-ins or other invokes are offered: refused here, not a 501 from the bot.
        raise ActivityError("this bot takes no 'invoke' activities")
    conversation = data.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str) or not conversation["id"]:
        raise ActivityError("activity needs a 'conversation' with an 'id'")
    if len(conversation["id"]) > MAX_CONVERSATION_ID:
        raise ActivityError(f"'conversation.id' is longer than {MAX_CONVERSATION_ID} characters")
    for field in ("from", "recipient"):
        if field in data and data[field] is not None and not isinstance(data[field], dict):
            raise ActivityError(f"'{field}' must be an object")
    if data.get("text") is not None and not isinstance(data["text"], str):
        raise ActivityError("'text' must be a string")
    channel = data.setdefault("channelId", "api")
    if not isinstance(channel, str) or not 0 < len(channel) <= MAX_CHANNEL_ID:
        raise ActivityError(f"'channelId' must be a string of 1 to {MAX_CHANNEL_ID} characters")
    if channel.strip().lower() in BUILT_IN_CHANNEL_IDS:
        raise ActivityError(f"channel '{channel}' is this service's own: its activities never come this way")
    expect_replies = data.get("deliveryMode") == DeliveryModes.expect_replies.value
    if not data.get("serviceUrl"):
        if not expect_replies:
            raise ActivityError("activity needs a 'serviceUrl' (or deliveryMode 'expectReplies')")
        data["serviceUrl"] = _EXPECT_REPLIES_SERVICE_URL
    if not isinstance(data["serviceUrl"], str):
        raise ActivityError("'serviceUrl' must be a string")
    channel_data = data.get("channelData")
    if isinstance(channel_data, dict):
        # Only the website's gateway says where a customer is (for the per-address limits).
        channel_data.pop(CLIENT_DATA_KEY, None)
    try:
        return activity_from_json(data)
    except Exception as exc:  # msrest raises its own DeserializationError family
        raise ActivityError(f"not a Bot Framework activity: {exc}") from exc


def mount_messages(app: web.Application) -> None:
    """Route `POST /api/messages` and give it its memory of outside conversations."""
    app[OUTSIDE] = Kept(_KNOWN_OUTSIDE)
    app.router.add_post("/api/messages", handle_messages)


async def owned_by_built_in_channel(jobs: Jobs, outside: Kept[str, bool], conversation_id: str) -> bool:
    """True if the website gateway or the phone line owns `conversation_id`."""
    if _CALL_SID.fullmatch(conversation_id):
        return True
    if conversation_id in outside:
        return False
    # One statement in one store job: through an async session the two lookups cost about a fifth of the turn.
    if await jobs.lookup(partial(ownership.owned_by_built_in_channel, conversation_id=conversation_id)):
        return True
    outside.keep(conversation_id, True)
    return False


async def handle_messages(request: web.Request) -> web.StreamResponse:
    """Run one turn; expectReplies gets the buffered replies in the response body."""
    settings = request.app[SETTINGS]
    if not settings.api_messages_enabled:
        raise EndpointOffError("the Bot Framework endpoint is off (set MicrosoftAppId, or API_MESSAGES=on)")
    activity = parse_activity(await read_json(request, limit=MAX_ACTIVITY_BYTES, storable=True))
    if activity.delivery_mode != DeliveryModes.expect_replies and not service_url_allowed(
        activity.service_url, settings.service_hosts
    ):
        log.warning("activity refused: its serviceUrl is not on the allowlist (BOT_SERVICE_HOSTS)")
        raise ServiceUrlRefusedError("the serviceUrl is not a Bot Framework host we reply to")
    if await owned_by_built_in_channel(request.app[JOBS], request.app[OUTSIDE], activity.conversation.id):
        raise ConversationNotAllowedError("this conversation belongs to another channel")
    adapter: CloudAdapter = request.app[ADAPTER]
    bot: Bot = request.app[BOT]
    auth_header = request.headers.get("Authorization", "")
    try:
        invoke_response = await adapter.process_activity(auth_header, activity, bot.on_turn)
    except ServiceUrlNotAllowedError as exc:
        raise ServiceUrlRefusedError(str(exc)) from exc
    except (PermissionError, jwt.PyJWTError) as exc:
        # botbuilder validates any Authorization header as a Bot Framework JWT; a bad one is the caller's fault.
        raise UnauthorizedError("invalid or missing Bot Framework token") from exc
    if invoke_response is None:
        return web.Response(status=HTTPStatus.CREATED)
    return web.json_response(_jsonable(invoke_response.body), status=invoke_response.status)


def _jsonable(body: Any) -> Any:
    # botbuilder 4.17.1 already serialises ExpectedReplies to a dict; serialising it again (as its own
    # aiohttp integration does) fails with a 500. Models still get serialised here.
    if body is None or isinstance(body, dict | list | str | int | float | bool):
        return body
    serialize = getattr(body, "serialize", None)
    return serialize() if callable(serialize) else body
