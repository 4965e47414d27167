"""Activities to and from JSON without msrest's per-call set-up: every turn reads one and sends some.

`Activity.serialize()` builds a new msrest Serializer and validates as it walks; for one reply that costs
0.3 to 0.6 ms, and `Activity().deserialize()` about 0.2 ms, as much as the rest of botbuilder's work on a
turn. The walks here follow the same attribute maps, so the results are the same
(tests/bot/test_activity_json.py compares them). Input the fast reader cannot map exactly, such as a
number where a string belongs or a malformed date, goes to msrest, which converts or refuses it as ever.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from botbuilder import schema
from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model, Serializer


class Reply(Activity):  # type: ignore[misc]
    """An activity the bot builds for one turn and never touches again once it is sent.

    TurnContext.send_activities deep-copies every outgoing activity before stamping the conversation
    reference on the copy's top-level fields; a deep copy of an Activity costs about 0.35 ms. Nothing
    holds on to a Reply's nested values, so a shallow copy does the same job.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> Reply:
        return copy.copy(self)


def to_json(model: Model) -> dict[str, Any]:
    """Return what `model.serialize()` returns, for botbuilder's schema models."""
    out: dict[str, Any] = {}
    attributes = _attributes(type(model))
    # Most of an activity's forty-odd attributes are None: walk the instance's own values, in map order.
    for attr, value in vars(model).items():
        if value is None:
            continue
        desc = attributes.get(attr)
        if desc is None:
            continue
        key, kind = desc
        if type(value) is str:  # most values: as they are, whatever the attribute's type
            out[key] = value
        elif attr == "additional_properties" and key == "":
            out.update(value)
        else:
            out[key] = _value(value, kind)
    return out


_ATTRIBUTES: dict[type[Model], dict[str, tuple[str, str]]] = {}


def _attributes(cls: type[Model]) -> dict[str, tuple[str, str]]:
    # attribute -> (JSON key, msrest type), once a class.
    attributes = _ATTRIBUTES.get(cls)
    if attributes is None:
        attributes = {attr: (desc["key"], desc["type"]) for attr, desc in cls._attribute_map.items()}
        _ATTRIBUTES[cls] = attributes
    return attributes


# TurnContext.turn_state: {position in buffered_reply_activities: that reply's JSON before it was sent}.
SENT_JSON = "intake.sent_json"

# What TurnContext.send_activities sets on its copy of an outgoing activity (apply_conversation_reference, then
# its validator); the copy's other attributes are the very values of the activity the bot built.
_STAMPED = tuple(
    (attr, Activity._attribute_map[attr]["key"], Activity._attribute_map[attr]["type"])
    for attr in (
        "type", "id", "channel_id", "locale", "service_url", "conversation", "from_property", "recipient",
        "reply_to_id", "input_hint",
    )
)  # fmt: skip


def stamped_json(before: Mapping[str, Any], sent: Activity, seen: dict[int, Any] | None = None) -> dict[str, Any]:
    """`to_json(sent)`, where `sent` is TurnContext's stamped copy of an activity whose JSON was `before`.

    The bot serialises its replies once for the conversation's row (an answer to a redelivery); the
    expectReplies body then needs only the stamped fields again, not a second walk of every reply. The
    replies of one turn share their conversation, sender and recipient objects: with the same `seen` for
    all of them, each of those is serialised once (the callers keep them alive meanwhile).
    """
    out = dict(before)
    for attr, key, kind in _STAMPED:
        value = getattr(sent, attr)
        if value is None:
            out.pop(key, None)
        elif type(value) is str:
            out[key] = value
        elif seen is None or not isinstance(value, Model):
            out[key] = _value(value, kind)
        else:
            found = seen.get(id(value))
            if found is None:
                found = seen[id(value)] = _value(value, kind)
            out[key] = found
    return out


_PLAIN = (str, int, float, bool, type(None))


def _value(value: Any, kind: str) -> Any:
    if type(value) in _PLAIN:  # most values: exact types, so str-valued enums still get their .value below
        return str(value) if kind == "str" and type(value) is not str and value is not None else value
    if isinstance(value, Model):
        return to_json(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return Serializer.serialize_iso(value)  # type: ignore[no-untyped-call]
    # Strings are most items: taken as they are, whatever the inner type, without a call each.
    if isinstance(value, list | tuple):
        inner = kind[1:-1] if kind.startswith("[") else "object"
        return [item if type(item) is str else _value(item, inner) for item in value]
    if isinstance(value, dict):
        inner = kind[1:-1] if kind.startswith("{") else "object"
        return {key: item if type(item) is str else _value(item, inner) for key, item in value.items()}
    if kind == "str" and not isinstance(value, str):
        return str(value)
    return value


def activity_from_json(data: dict[str, Any]) -> Activity:
    """Return what `Activity().deserialize(data)` returns."""
    try:
        activity = _read_model(Activity, data)
    except _Unmapped:
        return Activity().deserialize(data)
    assert isinstance(activity, Activity)
    return activity


class _Unmapped(Exception):
    """A value msrest would convert or refuse: let msrest do it."""


_FIELDS: dict[type[Model], dict[str, tuple[str, str]]] = {}


def _fields(cls: type[Model]) -> dict[str, tuple[str, str]]:
    # JSON key -> (attribute, msrest type); botbuilder's schema has no flattened ("a.b") keys.
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = {desc["key"]: (attr, desc["type"]) for attr, desc in cls._attribute_map.items() if desc["key"]}
        _FIELDS[cls] = fields
    return fields


def _read_model(cls: type[Model], data: Any) -> Model:
    if not isinstance(data, dict):
        raise _Unmapped
    fields = _fields(cls)
    values: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            unknown[key] = value
        else:
            values[field[0]] = _read(value, field[1])
    model = cls(**values)
    if unknown:
        model.additional_properties = unknown  # as msrest keeps keys it does not know
    return model


_BASIC = {"str": str, "bool": bool}


def _read(value: Any, kind: str) -> Any:
    if value is None or kind == "object":
        return value
    basic = _BASIC.get(kind)
    if basic is not None:
        if type(value) is not basic:
            raise _Unmapped
        return value
    if kind == "iso-8601":
        if not isinstance(value, str):
            raise _Unmapped
        try:
            return Deserializer.deserialize_iso(value)  # type: ignore[no-untyped-call]
        except Exception as exc:
            raise _Unmapped from exc
    if kind.startswith("["):
        if not isinstance(value, list):
            raise _Unmapped
        return [_read(item, kind[1:-1]) for item in value]
    model = getattr(schema, kind, None)
    if isinstance(model, type) and issubclass(model, Model):
        return _read_model(model, value)
    raise _Unmapped
