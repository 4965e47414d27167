"""bot.activity_json gives exactly msrest's JSON, and Reply survives botbuilder's send pipeline."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    EndOfConversationCodes,
    Entity,
    InputHints,
    SuggestedActions,
)

from bot.activity_json import Reply, activity_from_json, stamped_json, to_json

ACTIVITIES = [
    pytest.param(
        Activity(
            type=ActivityTypes.message,
            text="Is Severity 3 right?",
            speak="Is severity three right?",
            input_hint=InputHints.expecting_input,
            channel_data={"intake": {"expects": "choice", "choices": [{"value": "yes", "digit": "1"}], "n": None}},
            suggested_actions=SuggestedActions(actions=[CardAction(type="imBack", title="Yes", value="Yes")]),
            from_property=ChannelAccount(id="bot", name="Intake", role="bot"),
            recipient=ChannelAccount(id="user-1"),
            conversation=ConversationAccount(id="c-1", is_group=False),
            reply_to_id="a-1",
            service_url="http://localhost/",
            channel_id="directline",
        ),
        id="prompt",
    ),
    pytest.param(
        Activity(
            type=ActivityTypes.end_of_conversation,
            code=EndOfConversationCodes.completed_successfully,
            timestamp=datetime(2026, 3, 8, 7, 0, 1, 250000, tzinfo=UTC),
            local_timestamp=datetime(2026, 3, 8, 2, 0, 1, tzinfo=timezone(timedelta(hours=-5))),
        ),
        id="dates-and-enums",
    ),
    pytest.param(
        Activity(
            type=ActivityTypes.event,
            name="handoff.initiate",
            value={"reason": "asked", "case_number": None, "nested": [{"a": [1, 2.5, True]}]},
            attachments=[
                Attachment(
                    content_type="application/vnd.microsoft.activity.transcript",
                    name="Transcript",
                    content=[{"role": "bot", "text": "Hello", "at": "2026-11-22T12:00:00+00:00"}],
                )
            ],
        ),
        id="handoff-event",
    ),
    pytest.param(
        Activity(
            type=ActivityTypes.message,
            entities=[Entity(type="mention")],
            channel_data=ChannelAccount(id="a model inside channelData"),
            members_added=[ChannelAccount(id="u", name="Ada")],
            value=5,
        ),
        id="models-in-objects",
    ),
    pytest.param(Activity(), id="empty"),
]


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_same_json_as_msrest(activity: Activity) -> None:
    assert to_json(activity) == activity.serialize()


def test_a_reply_is_the_same_activity_to_msrest() -> None:
    reply = Reply(type=ActivityTypes.message, text="hi", suggested_actions=SuggestedActions(actions=[]))
    assert isinstance(reply, Activity)
    assert (
        to_json(reply)
        == reply.serialize()
        == Activity(type="message", text="hi", suggested_actions=SuggestedActions(actions=[])).serialize()
    )


def _stamped(built: Activity, channel: str, **incoming: str) -> Activity:
    """What TurnContext.send_activities does to each outgoing activity: copy, then stamp the reference."""
    received = Activity(
        type=ActivityTypes.message,
        id="a-1",
        channel_id=channel,
        service_url="http://localhost/",
        conversation=ConversationAccount(id="c-1"),
        from_property=ChannelAccount(id="user-1"),
        recipient=ChannelAccount(id="bot"),
        **incoming,
    )
    reference = TurnContext.get_conversation_reference(received)
    return TurnContext.apply_conversation_reference(copy.deepcopy(built), reference)


def test_reply_copies_leave_the_original_untouched() -> None:
    # What TurnContext.send_activities does to each outgoing activity: copy, then stamp the reference.
    original = Reply(type=ActivityTypes.message, text="hi", channel_data={"intake": {"expects": "none"}})
    sent = _stamped(original, "directline")
    assert sent is not original
    assert sent.conversation.id == "c-1" and sent.recipient.id == "user-1"
    assert original.conversation is None and original.recipient is None
    assert to_json(sent)["channelData"] == {"intake": {"expects": "none"}}


@pytest.mark.parametrize(
    "built",
    [
        Reply(type=ActivityTypes.message, text="hi", suggested_actions=SuggestedActions(actions=[])),
        Reply(text="no type or hint yet", channel_data={"intake": {"expects": "none", "choices": []}}),
        Activity(type=ActivityTypes.event, name="intake/connectOnCall", value={"case_number": "2611-0042"}),
        Reply(type=ActivityTypes.end_of_conversation, code="completedSuccessfully", id="stale", locale="fr"),
    ],
)
@pytest.mark.parametrize("channel", ["webchat", "msteams"])  # msteams: the reply names the activity it answers
def test_a_sent_copy_s_json_from_the_json_before_it_was_stamped(built: Activity, channel: str) -> None:
    before = to_json(built)
    sent = _stamped(built, channel, locale="en-US")
    # What send_activities' validator does to each copy after stamping it.
    sent.type, sent.input_hint, sent.id = sent.type or "message", sent.input_hint or "acceptingInput", None
    assert stamped_json(before, sent) == to_json(sent) == sent.serialize()
    assert to_json(built) == before  # the reply itself is left as it was built


def test_replies_of_one_turn_serialise_their_shared_reference_once() -> None:
    built = [Reply(type=ActivityTypes.message, text=text) for text in ("one", "two")]
    received = Activity(
        type=ActivityTypes.message,
        id="a-1",
        channel_id="webchat",
        service_url="http://localhost/",
        conversation=ConversationAccount(id="c-1"),
        from_property=ChannelAccount(id="user-1"),
        recipient=ChannelAccount(id="bot"),
    )
    reference = TurnContext.get_conversation_reference(received)
    sent = [TurnContext.apply_conversation_reference(copy.copy(b), reference) for b in built]
    assert sent[0].conversation is sent[1].conversation  # what lets the JSON be shared
    seen: dict[int, Any] = {}
    bodies = [stamped_json(to_json(b), s, seen) for b, s in zip(built, sent, strict=True)]
    assert bodies == [s.serialize() for s in sent]
    assert bodies[0]["conversation"] is bodies[1]["conversation"]


INCOMING = [
    pytest.param(
        {
            "type": "message",
            "id": "c-1|0000002",
            "text": "K123456 the print preview icon is misaligned",
            "from": {"id": "dl_user", "name": "Ada", "role": "user"},
            "recipient": {"id": "bot"},
            "conversation": {"id": "c-1"},
            "channelId": "directline",
            "serviceUrl": "http://localhost:3978/",
            "timestamp": "2026-11-22T12:00:01.123456Z",
            "localTimestamp": "2026-11-22T07:00:01-05:00",
            "locale": "en-US",
            "channelData": {"clientActivityID": "abc", "nested": {"x": [1, {"y": None}]}},
            "deliveryMode": "expectReplies",
            "attachments": [{"contentType": "image/png", "name": "screen.png", "contentUrl": "http://x/y.png"}],
            "entities": [{"type": "ClientCapabilities", "requiresBotState": True}],
        },
        id="web-chat-message",
    ),
    pytest.param(
        {
            "type": "conversationUpdate",
            "membersAdded": [{"id": "bot"}, {"id": "dl_user", "aadObjectId": "x"}],
            "conversation": {"id": "c-1", "isGroup": False},
            "channelId": "webchat",
            "serviceUrl": "http://localhost/",
            "someFutureField": {"kept": True},
        },
        id="conversation-update-with-unknown-keys",
    ),
    pytest.param(
        {
            "type": "event",
            "name": "twilio.no_input",
            "value": [1, "two", {"three": 3}],
            "conversation": {"id": "CA123"},
            "channelId": "twilio-voice",
            "serviceUrl": "http://localhost/",
            "suggestedActions": {"to": ["u"], "actions": [{"type": "imBack", "title": "Yes", "value": "Yes"}]},
            "relatesTo": {"conversation": {"id": "c-0"}, "channelId": "webchat"},
        },
        id="event-with-nested-models",
    ),
    # Values msrest converts or refuses: the reader hands these to msrest.
    pytest.param({"type": 5, "text": 7, "conversation": {"id": 9}, "serviceUrl": "http://x/"}, id="numbers-as-strings"),
]


def _state(value: object) -> object:
    """Everything msrest sets on a model, recursively (additional properties included)."""
    if isinstance(value, list):
        return [_state(item) for item in value]
    if isinstance(value, dict):
        return {key: _state(item) for key, item in value.items()}
    if hasattr(value, "_attribute_map"):
        return (type(value).__name__, {key: _state(item) for key, item in vars(value).items()})
    return value


@pytest.mark.parametrize("data", INCOMING)
def test_reads_what_msrest_reads(data: dict[str, object]) -> None:
    fast = activity_from_json(copy.deepcopy(data))
    slow = Activity().deserialize(copy.deepcopy(data))
    assert type(fast) is Activity
    assert _state(fast) == _state(slow)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"type": "message", "timestamp": "garbage"}, id="bad-date"),
        pytest.param({"type": "message", "from": 5}, id="account-not-an-object"),
    ],
)
def test_refuses_what_msrest_refuses(data: dict[str, object]) -> None:
    with pytest.raises(Exception) as slow:
        Activity().deserialize(copy.deepcopy(data))
    with pytest.raises(type(slow.value)):
        activity_from_json(copy.deepcopy(data))
