"""JSON shapes of the Direct Line 3.0 protocol and the pure functions that build and check activities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.activity_json import activity_from_json
from bot.contract import CLIENT_DATA_KEY, WEBSITE_CHANNEL_ID
from bot.directline.errors import BadArgumentError, MalformedJsonError
from bot.jsonbody import loads_bounded, scrub_strings

JsonObject = dict[str, Any]

CHANNEL_ID = WEBSITE_CHANNEL_ID
MAX_TYPE_LENGTH = 64
MAX_NAME_LENGTH = 100

# Fields only the gateway may set: a client must not choose its id, its position, who it is or where
# the bot answers (serviceUrl would point the bot's replies, and its credentials, anywhere).
_SERVER_FIELDS = frozenset(
    {"id", "from", "recipient", "conversation", "serviceUrl", "channelId", "timestamp", "replyToId"}
)
# Fields whose JSON type botbuilder relies on; a wrong type would fail inside the bot instead of here.
_FIELD_TYPES: Mapping[str, type | tuple[type, ...]] = {
    "text": str,
    "speak": str,
    "locale": str,
    "name": str,
    "textFormat": str,
    "inputHint": str,
    "localTimestamp": str,
    "channelData": dict,
    "attachments": list,
    "entities": list,
    "suggestedActions": dict,
    "from": dict,
}


@dataclass(frozen=True, kw_only=True)
class Account:
    """A channel account (user or bot) as the Direct Line JSON shows it."""

    id: str
    role: str
    name: str | None = None

    def to_json(self) -> JsonObject:
        """Return the account as a ChannelAccount JSON object."""
        data: JsonObject = {"id": self.id, "role": self.role}
        if self.name:
            data["name"] = self.name
        return data


def format_timestamp(at: datetime) -> str:
    """Return `at` as the ISO-8601 UTC form Direct Line uses ("...T12:00:00.123Z")."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_json_object(raw: bytes) -> JsonObject:
    """Decode a request body that must be one JSON object."""
    try:
        value = loads_bounded(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedJsonError("the body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise BadArgumentError("the body must be a JSON object")
    return value


def check_activity(body: JsonObject) -> JsonObject:
    """Return `body` if it is an activity (a `type`, and the well-known fields of the right JSON types)."""
    kind = body.get("type")
    if not isinstance(kind, str) or not kind or len(kind) > MAX_TYPE_LENGTH:
        raise BadArgumentError("the activity needs a `type` string")
    for name, expected in _FIELD_TYPES.items():
        if name in body and body[name] is not None and not isinstance(body[name], expected):
            raise BadArgumentError(f"the activity field `{name}` has the wrong JSON type")
    return body


def _client_fields(body: JsonObject) -> JsonObject:
    fields = {key: value for key, value in body.items() if key not in _SERVER_FIELDS and value is not None}
    data = fields.get("channelData")
    if isinstance(data, dict) and CLIENT_DATA_KEY in data:
        fields["channelData"] = {key: value for key, value in data.items() if key != CLIENT_DATA_KEY}
    return fields


def with_client(activity: JsonObject, address: str | None) -> JsonObject:
    """`activity` as the bot gets it: with the client's address the gateway vouches for, if known."""
    if address is None:
        return activity
    data = activity.get("channelData")
    channel_data = {**(data if isinstance(data, dict) else {}), CLIENT_DATA_KEY: {"address": address}}
    return {**activity, "channelData": channel_data}


def _display_name(body: JsonObject) -> str | None:
    sender = body.get("from")
    name = sender.get("name") if isinstance(sender, dict) else None
    return name[:MAX_NAME_LENGTH] if isinstance(name, str) and name else None


def user_activity(
    body: JsonObject, *, conversation_id: str, user_id: str, bot: Account, service_url: str, now: datetime
) -> JsonObject:
    """Return the activity a user posted, with the fields the gateway vouches for (all but `id`).

    Checked the way the bot will read it, before anything is stored: what the bot cannot take is the
    client's mistake (400), not a stored activity the bot then refuses. Text no database can store
    (NUL, lone surrogates) is replaced.
    """
    activity: JsonObject = {
        **_client_fields(check_activity(body)),
        "channelId": CHANNEL_ID,
        "serviceUrl": service_url,
        "timestamp": format_timestamp(now),
        "conversation": {"id": conversation_id},
        # The token decides who the user is; a client-supplied from.id is ignored.
        "from": Account(id=user_id, role="user", name=_display_name(body)).to_json(),
        "recipient": bot.to_json(),
    }
    activity = scrub_strings(activity)
    try:
        activity_from_json(activity)
    except Exception as exc:  # msrest's DeserializationError family
        raise BadArgumentError("the activity has a field the bot cannot read (a wrong type or date)") from exc
    return activity


def bot_activity(
    body: JsonObject,
    *,
    conversation_id: str,
    user_id: str,
    bot: Account,
    reply_to_id: str | None,
    now: datetime,
) -> JsonObject:
    """Return an activity the bot sent, stamped as the bot's (all but `id`)."""
    sender = body.get("from")
    name = sender.get("name") if isinstance(sender, dict) else None
    bot_id = sender.get("id") if isinstance(sender, dict) else None
    activity: JsonObject = {
        **_client_fields(check_activity(body)),
        "channelId": CHANNEL_ID,
        "timestamp": format_timestamp(now),
        "conversation": {"id": conversation_id},
        "from": Account(
            id=bot_id if isinstance(bot_id, str) and bot_id else bot.id,
            role="bot",
            name=name if isinstance(name, str) and name else bot.name,
        ).to_json(),
        "recipient": Account(id=user_id, role="user").to_json(),
    }
    reply_to = reply_to_id or body.get("replyToId")
    if isinstance(reply_to, str) and reply_to:
        activity["replyToId"] = reply_to
    return activity


def conversation_update(
    *, conversation_id: str, user_id: str, bot: Account, service_url: str, now: datetime, locale: str | None
) -> JsonObject:
    """Return the conversationUpdate that tells the bot the user and the bot joined (so it greets)."""
    user = Account(id=user_id, role="user").to_json()
    activity: JsonObject = {
        "type": "conversationUpdate",
        "id": f"{conversation_id}|start",
        "channelId": CHANNEL_ID,
        "serviceUrl": service_url,
        "timestamp": format_timestamp(now),
        "conversation": {"id": conversation_id},
        "from": user,
        "recipient": bot.to_json(),
        "membersAdded": [bot.to_json(), user],
    }
    if locale:
        activity["locale"] = locale
    return activity


def activity_set(activities: list[JsonObject], watermark: int) -> JsonObject:
    """Return the ActivitySet JSON of GET activities and of stream frames."""
    return {"activities": activities, "watermark": str(watermark)}


def parse_watermark(raw: str | None) -> int:
    """Return the position a client has seen (0 for none); raise BadArgumentError if it is not one."""
    if raw is None or raw == "":
        # directlinejs sends "?watermark=" before it has one.
        return 0
    if not raw.isdigit() or len(raw) > 12:
        raise BadArgumentError("watermark must be a non-negative integer")
    return int(raw)
