"""The Bot Framework bot: runs the intake state machine on each turn and renders its prompts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botbuilder.core import ActivityHandler, ConversationState, StatePropertyAccessor, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    CardAction,
    ChannelAccount,
    EndOfConversationCodes,
    InputHints,
    SuggestedActions,
)

from bot.contract import EVENT_HANGUP, EVENT_NO_INPUT, VOICE_CHANNEL_ID
from bot.effects import EffectRunner
from intake import conversation as convo
from intake.domain import Channel
from intake.policy import Policy
from store.db import SessionMaker

if TYPE_CHECKING:
    from bot.handoff import HandoffService

log = logging.getLogger(__name__)

STATE_PROPERTY = "intake"
LAST_TURN_PROPERTY = "last_turn"
HANDED_OFF_PROPERTY = "handed_off"

AgentsOnline = Callable[[], Awaitable[int]]


async def _no_agents() -> int:
    return 0


class IntakeBot(ActivityHandler):  # type: ignore[misc]
    """One bot for every channel; the dialogue itself lives in intake.conversation."""

    def __init__(
        self,
        *,
        policy: Policy,
        conversation_state: ConversationState,
        session_maker: SessionMaker,
        clock: Callable[[], datetime],
        agents_online: AgentsOnline = _no_agents,
        handoff: HandoffService | None = None,
    ) -> None:
        self._policy = policy
        self._conversation_state = conversation_state
        self._state: StatePropertyAccessor = conversation_state.create_property(STATE_PROPERTY)
        self._last_turn: StatePropertyAccessor = conversation_state.create_property(LAST_TURN_PROPERTY)
        # Set when this conversation asks for a live agent, so the other turns skip the handoff lookup.
        self._handed_off: StatePropertyAccessor = conversation_state.create_property(HANDED_OFF_PROPERTY)
        self._effects = EffectRunner(session_maker=session_maker, policy=policy, handoff=handoff)
        self._handoff = handoff
        self._clock = clock
        self._agents_online = agents_online

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity_id = turn_context.activity.id
        if activity_id:
            last = await self._last_turn.get(turn_context)
            if isinstance(last, dict) and last.get("id") == activity_id:
                # A redelivered activity (client or channel retry): answer as before, run nothing twice.
                replies = [Activity().deserialize(a) for a in last.get("replies", [])]
                if replies:
                    await turn_context.send_activities(replies)
                return
        if self._handoff is not None and await self._handed_off.get(turn_context):
            if await self._handoff.relay_customer(turn_context):
                # Handed off to a live agent: the agent answers, never the bot too.
                await self._conversation_state.save_changes(turn_context)
                return
            if turn_context.activity.type == ActivityTypes.message:
                await self._handed_off.delete(turn_context)  # the agent handed back or closed
        await super().on_turn(turn_context)
        await self._conversation_state.save_changes(turn_context)

    async def _send(self, turn_context: TurnContext, activities: list[Activity]) -> None:
        """Send this turn's replies and remember them, so a redelivery gets the same answer."""
        if turn_context.activity.id:
            await self._last_turn.set(
                turn_context, {"id": turn_context.activity.id, "replies": [a.serialize() for a in activities]}
            )
        if activities:
            await turn_context.send_activities(activities)

    # -- activity -> dialogue event ---------------------------------------------------------------

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if not any(member.id != bot_id for member in members_added):
            return
        if await self._state.get(turn_context) is not None:
            return  # a reconnect, not a new conversation: don't greet twice
        ctx = await self._context(turn_context)
        known = await self._effects.caller_account(_caller_number(turn_context.activity))
        event = convo.Start(at=self._clock(), known_account=known)
        await self._run(turn_context, ctx, convo.start(ctx, event), event)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        twilio = _twilio_data(activity)
        digits = twilio.get("digits") if isinstance(twilio.get("digits"), str) else None
        names = tuple(a.name or a.content_type or "attachment" for a in activity.attachments or [])
        event = convo.UserTurn(at=self._clock(), text=activity.text or "", digits=digits, attachments=names)
        await self._dispatch(turn_context, event)

    async def on_event_activity(self, turn_context: TurnContext) -> None:
        name = turn_context.activity.name
        if name == EVENT_NO_INPUT:
            await self._dispatch(turn_context, convo.UserTurn(at=self._clock(), no_input=True))
        elif name == EVENT_HANGUP:
            await self._dispatch(turn_context, convo.HangUp(at=self._clock()))

    async def _dispatch(self, turn_context: TurnContext, event: convo.UserTurn | convo.HangUp) -> None:
        ctx = await self._context(turn_context)
        stored = await self._state.get(turn_context)
        if stored is None:
            if isinstance(event, convo.HangUp):
                return  # hung up before the greeting: nothing was said, nothing to keep
            # The customer spoke first (no conversationUpdate): start silently, then take this turn.
            state = convo.start(ctx, convo.Start(at=event.at)).state
        else:
            state = convo.State.from_dict(stored)
        await self._run(turn_context, ctx, convo.step(ctx, state, event), event)

    # -- the dialogue loop -------------------------------------------------------------------------

    async def _run(
        self,
        turn_context: TurnContext,
        ctx: convo.Context,
        step: convo.Step,
        event: convo.Start | convo.UserTurn | convo.HangUp,
    ) -> None:
        sent: list[convo.Prompt] = list(step.prompts)
        activities = [_prompt_activity(p) for p in step.prompts]
        # Effects with results feed back into the machine until it has nothing more to ask of us.
        for _ in range(8):
            followups: list[Activity] = []
            result = None
            for effect in step.effects:
                if isinstance(effect, convo.RequestHandoff):
                    await self._handed_off.set(turn_context, True)
                outcome = await self._effects.run(turn_context, ctx, step.state, effect)
                followups.extend(outcome.activities)
                if outcome.result is not None:
                    result = outcome.result
            activities.extend(followups)
            if result is None:
                break
            step = convo.step(ctx, step.state, result)
            sent.extend(step.prompts)
            activities.extend(_prompt_activity(p) for p in step.prompts)
        if step.done and ctx.channel is Channel.PHONE:
            # Hang up after the goodbye. Chat stays open (Web Chat has no renderer for endOfConversation).
            activities.append(
                Activity(type=ActivityTypes.end_of_conversation, code=EndOfConversationCodes.completed_successfully)
            )
        await self._state.set(turn_context, step.state.to_dict())
        await self._effects.record_turn(turn_context, ctx, event, sent)
        await self._send(turn_context, activities)

    async def _context(self, turn_context: TurnContext) -> convo.Context:
        activity = turn_context.activity
        channel = Channel.PHONE if activity.channel_id == VOICE_CHANNEL_ID else Channel.CHAT
        # Agents matter only while live chat is open: skip the query (a transaction) at night and on the phone.
        chat_open = channel is Channel.CHAT and self._policy.chat.is_open(self._clock())
        agents = await self._agents_online() if chat_open else 0
        return convo.Context(
            policy=self._policy,
            channel=channel,
            conversation_id=activity.conversation.id,
            agents_online=agents,
        )


def _twilio_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    twilio = data.get("twilio")
    return twilio if isinstance(twilio, dict) else {}


def _caller_number(activity: Activity) -> str | None:
    if activity.channel_id != VOICE_CHANNEL_ID:
        return None
    number = _twilio_data(activity).get("from")
    return number if isinstance(number, str) else None


def _prompt_activity(prompt: convo.Prompt) -> Activity:
    """A prompt as the activity contract of docs/ARCHITECTURE.md describes it."""
    asks = prompt.expects is not convo.Expect.NONE
    activity = Activity(
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
