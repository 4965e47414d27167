"""`POST /api/messages`: the Bot Framework protocol, with input checked before botbuilder sees it."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, DeliveryModes

from bot.activity_json import activity_from_json
from bot.errors import json_error
from bot.jsonbody import loads_bounded
from bot.keys import ADAPTER, BOT

log = logging.getLogger(__name__)

MAX_ACTIVITY_BYTES = 256 * 1024
# Replies in expectReplies mode never leave the process, so any well-formed serviceUrl will do.
_EXPECT_REPLIES_SERVICE_URL = "http://localhost/expect-replies"


class ActivityError(ValueError):
    """A request body that is not a Bot Framework activity we can process."""


def parse_activity(body: bytes) -> Activity:
    """Bytes -> Activity, refusing what botbuilder would crash on (so the caller can answer 400)."""
    try:
        data = loads_bounded(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ActivityError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ActivityError("body must be a JSON object (an activity)")
    if not isinstance(data.get("type"), str) or not data["type"]:
        raise ActivityError("activity needs a 'type'")
    conversation = data.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str) or not conversation["id"]:
        raise ActivityError("activity needs a 'conversation' with an 'id'")
    for field in ("from", "recipient"):
        if field in data and data[field] is not None and not isinstance(data[field], dict):
            raise ActivityError(f"'{field}' must be an object")
    if data.get("text") is not None and not isinstance(data["text"], str):
        raise ActivityError("'text' must be a string")
    expect_replies = data.get("deliveryMode") == DeliveryModes.expect_replies.value
    if not data.get("serviceUrl"):
        if not expect_replies:
            raise ActivityError("activity needs a 'serviceUrl' (or deliveryMode 'expectReplies')")
        data["serviceUrl"] = _EXPECT_REPLIES_SERVICE_URL
    data.setdefault("channelId", "api")
    try:
        return activity_from_json(data)
    except Exception as exc:  # msrest raises its own DeserializationError family
        raise ActivityError(f"not a Bot Framework activity: {exc}") from exc


async def handle_messages(request: web.Request) -> web.StreamResponse:
    """Run one turn; expectReplies gets the buffered replies in the response body."""
    if request.content_type != "application/json":
        return json_error(415, "unsupported_media_type", "Content-Type must be application/json")
    if request.content_length is not None and request.content_length > MAX_ACTIVITY_BYTES:
        return json_error(413, "too_large", f"activity over {MAX_ACTIVITY_BYTES} bytes")
    body = await request.read()
    try:
        activity = parse_activity(body)
    except ActivityError as exc:
        return json_error(400, "bad_activity", str(exc))
    adapter: CloudAdapter = request.app[ADAPTER]
    bot: Bot = request.app[BOT]
    auth_header = request.headers.get("Authorization", "")
    try:
        invoke_response = await adapter.process_activity(auth_header, activity, bot.on_turn)
    except (PermissionError, jwt.PyJWTError):
        # botbuilder validates any Authorization header as a Bot Framework JWT; a bad one is the caller's fault.
        return json_error(401, "unauthorized", "invalid or missing Bot Framework token")
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
