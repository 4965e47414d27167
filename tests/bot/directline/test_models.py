"""Pure activity shaping and input checks of the gateway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.directline.config import DirectLineConfig
from bot.directline.errors import BadArgumentError, MalformedJsonError
from bot.directline.models import (
    Account,
    bot_activity,
    check_activity,
    conversation_update,
    format_timestamp,
    parse_json_object,
    parse_watermark,
    user_activity,
)

NOW = datetime(2026, 11, 3, 14, 0, 5, 123456, tzinfo=UTC)
BOT = Account(id="intake-bot", role="bot", name="Intake")


def test_user_activity_keeps_content_and_overrides_what_the_gateway_vouches_for() -> None:
    posted: dict[str, Any] = {
        "type": "message",
        "text": "hello",
        "id": "forged",
        "from": {"id": "dl_somebody_else", "name": "Alice", "role": "bot"},
        "recipient": {"id": "other-bot"},
        "serviceUrl": "http://attacker.example/",
        "channelId": "msteams",
        "conversation": {"id": "other"},
        "timestamp": "1999-01-01T00:00:00Z",
        "replyToId": "x",
        "channelData": {"clientActivityID": "c-1"},
        "locale": "en-GB",
    }
    activity = user_activity(
        posted, conversation_id="C1", user_id="dl_alice", bot=BOT, service_url="http://127.0.0.1:3978/", now=NOW
    )
    assert activity == {
        "type": "message",
        "text": "hello",
        "channelData": {"clientActivityID": "c-1"},
        "locale": "en-GB",
        "channelId": "directline",
        "serviceUrl": "http://127.0.0.1:3978/",
        "timestamp": "2026-11-03T14:00:05.123Z",
        "conversation": {"id": "C1"},
        "from": {"id": "dl_alice", "role": "user", "name": "Alice"},
        "recipient": {"id": "intake-bot", "role": "bot", "name": "Intake"},
    }


def test_bot_activity_is_stamped_as_the_bots() -> None:
    activity = bot_activity(
        {"type": "message", "text": "hi", "from": {"id": "intake-bot", "name": "Intake"}, "serviceUrl": "x"},
        conversation_id="C1",
        user_id="dl_alice",
        bot=BOT,
        reply_to_id="C1|0000001",
        now=NOW,
    )
    assert activity["from"] == {"id": "intake-bot", "role": "bot", "name": "Intake"}
    assert activity["recipient"] == {"id": "dl_alice", "role": "user"}
    assert activity["replyToId"] == "C1|0000001"
    assert "serviceUrl" not in activity


def test_conversation_update_adds_bot_and_user() -> None:
    update = conversation_update(
        conversation_id="C1", user_id="dl_alice", bot=BOT, service_url="http://s/", now=NOW, locale="en-US"
    )
    assert update["type"] == "conversationUpdate"
    assert [m["id"] for m in update["membersAdded"]] == ["intake-bot", "dl_alice"]
    assert update["recipient"]["id"] == "intake-bot"
    assert update["serviceUrl"] == "http://s/"
    assert update["locale"] == "en-US"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"type": ""},
        {"type": 5},
        {"type": None},
        {"type": "m" * 65},
        {"type": "message", "text": 5},
        {"type": "message", "channelData": []},
        {"type": "message", "attachments": {}},
        {"type": "message", "from": "alice"},
    ],
    ids=["no-type", "empty-type", "int-type", "null-type", "long-type", "int-text", "list-cd", "dict-att", "str-from"],
)
def test_not_an_activity(body: dict[str, Any]) -> None:
    with pytest.raises(BadArgumentError):
        check_activity(body)


@pytest.mark.parametrize("raw", [b"{", b"not json", b"\xff\xfe", b""], ids=["truncated", "text", "bytes", "empty"])
def test_malformed_json(raw: bytes) -> None:
    with pytest.raises(MalformedJsonError):
        parse_json_object(raw)


@pytest.mark.parametrize("raw", [b"[]", b"1", b'"s"', b"null"])
def test_json_that_is_not_an_object(raw: bytes) -> None:
    with pytest.raises(BadArgumentError):
        parse_json_object(raw)


@pytest.mark.parametrize(("raw", "expected"), [(None, 0), ("", 0), ("0", 0), ("7", 7), ("0012", 12)])
def test_watermark(raw: str | None, expected: int) -> None:
    assert parse_watermark(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "abc", "1.5", "1e3", "9" * 13, " 1"])
def test_bad_watermark(raw: str) -> None:
    with pytest.raises(BadArgumentError):
        parse_watermark(raw)


def test_timestamp_is_utc_with_z() -> None:
    assert format_timestamp(NOW.astimezone(UTC)) == "2026-11-03T14:00:05.123Z"


def _config(**overrides: Any) -> DirectLineConfig:
    values: dict[str, Any] = {
        "secret": "s" * 32,
        "service_url": "http://127.0.0.1:3978/",
        "bot_name": "Intake",
    }
    values.update(overrides)
    return DirectLineConfig(**values)


def test_config_defaults() -> None:
    config = _config()
    assert config.token_ttl == timedelta(minutes=30)
    assert config.max_body == 256 * 1024
    assert config.bot_id == "intake-bot"


@pytest.mark.parametrize(
    "overrides",
    [
        {"secret": "s" * 31},
        {"service_url": "127.0.0.1:3978"},
        {"token_ttl": timedelta(0)},
        {"max_body": 10},
    ],
    ids=["short-secret", "service-url", "ttl", "max-body"],
)
def test_config_rejects_unsafe_settings(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        _config(**overrides)
