"""The dialogue's prompts as Bot Framework activities (the contract of docs/ARCHITECTURE.md), in one place."""

from __future__ import annotations

from botbuilder.schema import Activity, ActivityTypes, CardAction, InputHints, SuggestedActions

from bot.activity_json import Reply
from intake.prompts import Expect, Prompt


def prompt_activity(prompt: Prompt) -> Activity:
    """A prompt as the activity contract of docs/ARCHITECTURE.md describes it."""
    asks = prompt.expects is not Expect.NONE
    activity = Reply(
        type=ActivityTypes.message,
        text=prompt.text,
        speak=prompt.speak,
        input_hint=InputHints.expecting_input if asks else InputHints.accepting_input,
        channel_data={
            "intake": {
                "expects": prompt.expects.value,
                "choices": [{"value": c.value, "label": c.label, "digit": c.digit} for c in prompt.choices],
                "hints": list(prompt.hints),
                "max_digits": prompt.max_digits,
            }
        },
    )
    if prompt.choices:
        activity.suggested_actions = SuggestedActions(
            actions=[CardAction(type="imBack", title=c.label, value=c.label) for c in prompt.choices]
        )
    return activity


def message_activity(text: str, *, agent: str | None = None) -> Activity:
    """A plain message (a notice, or an agent's words with the agent's name in channelData.handoff)."""
    data = {"handoff": {"agent": agent}} if agent else None
    return Activity(type=ActivityTypes.message, text=text, input_hint=InputHints.accepting_input, channel_data=data)
