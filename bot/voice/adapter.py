"""The Twilio Voice channel as a botbuilder BotAdapter: run a turn, buffer what the bot sends."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core import conversation_reference_extension as references
from botbuilder.schema import Activity, ActivityTypes, ConversationReference, InputHints, ResourceResponse

from bot.contract import EVENT_HANGUP, TURN_CHANNEL, VOICE_CHANNEL_ID
from bot.voice.privacy import describe_error
from intake import wording_service as ws

log = logging.getLogger(__name__)

BotLogic = Callable[[TurnContext], Awaitable[None]]
TurnErrorHandler = Callable[[TurnContext, Exception], Awaitable[None]]

# Where a turn's outgoing activities wait until the webhook renders them as TwiML.
_BUFFER_KEY = "TwilioVoiceAdapter.outgoing"
# Nothing a phone call can play: typing indicators, traces, delays.
_SILENT = {ActivityTypes.trace, ActivityTypes.typing, "delay"}


class VoiceUnsupportedError(NotImplementedError):
    """An operation a phone call cannot do (a spoken sentence cannot be edited or taken back)."""


class TwilioVoiceAdapter(BotAdapter):  # type: ignore[misc]
    """Runs the bot for one webhook and hands back its outgoing activities (like the Slack adapter)."""

    def __init__(self, on_turn_error: TurnErrorHandler | None = None) -> None:
        super().__init__(on_turn_error or apologise_on_error)

    async def process_activity(self, activity: Activity, logic: BotLogic) -> list[Activity]:
        """Run one turn through the middleware and the bot; return what it sent."""
        context = TurnContext(self, activity)
        outgoing: list[Activity] = []
        context.turn_state[_BUFFER_KEY] = outgoing
        context.turn_state[TURN_CHANNEL] = VOICE_CHANNEL_ID
        await self.run_pipeline(context, logic)
        return outgoing

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        """Buffer the activities; TwiML is the webhook's response, so nothing leaves before the turn ends."""
        outgoing: list[Activity] | None = context.turn_state.get(_BUFFER_KEY)
        responses = []
        for activity in activities:
            activity.id = activity.id or str(uuid.uuid4())
            responses.append(ResourceResponse(id=activity.id))
            if activity.type in _SILENT:
                continue
            if outgoing is None:
                # A proactive turn has no webhook to answer; a live call could only be redirected.
                log.warning("voice: dropped a %s activity sent outside a webhook turn", activity.type)
                continue
            outgoing.append(activity)
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> Any:
        """Refuse: speech already played cannot be changed."""
        raise VoiceUnsupportedError("a phone call cannot update an activity")

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> Any:
        """Refuse: speech already played cannot be taken back."""
        raise VoiceUnsupportedError("a phone call cannot delete an activity")

    async def continue_conversation(
        self,
        reference: ConversationReference,
        callback: BotLogic,
        bot_id: str | None = None,
        claims_identity: Any = None,
        audience: str | None = None,
    ) -> None:
        """Run `callback` outside a webhook; what it sends cannot reach the caller and is dropped."""
        context = TurnContext(self, references.get_continuation_activity(reference))
        context.turn_state[TURN_CHANNEL] = VOICE_CHANNEL_ID
        await self.run_pipeline(context, callback)


async def apologise_on_error(context: TurnContext, error: Exception) -> None:
    """Log the failure (no caller words or numbers) and keep the caller on the line with a retry prompt."""
    conversation = context.activity.conversation.id if context.activity.conversation else "?"
    log.error("voice turn failed in call %s: %s", conversation, describe_error(error))
    if context.activity.name == EVENT_HANGUP:
        return  # nobody is listening any more
    await context.send_activity(
        Activity(
            type=ActivityTypes.message,
            text=ws.turn_failed(phone=True, locale=context.activity.locale),
            input_hint=InputHints.expecting_input,
        )
    )
