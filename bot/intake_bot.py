"""The Bot Framework bot: runs the intake state machine on each turn and renders its prompts."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    DeliveryModes,
    EndOfConversationCodes,
)
from sqlalchemy.exc import DBAPIError

from bot.activity_json import SENT_JSON, Reply, to_json
from bot.contract import EVENT_HANGUP, EVENT_NO_INPUT, PHONE_LOCALE, TURN_CHANNEL, VOICE_CHANNEL_ID
from bot.effects import EffectRunner, transcript_lines
from bot.incidents import IncidentConfig
from bot.maintenance import MaintenanceConfig
from bot.rendering import prompt_activity
from bot.turn_state import (
    COMMITS_WITH_REPLIES,
    DIALOGUE,
    LAST_TURN,
    STATE_COMMIT,
    ConversationRecord,
    StateCommit,
    TranscriptLines,
    answered_before,
    load_record,
    remember_turn,
    save_record,
    storage_key,
)
from intake import conversation as convo
from intake.catalog import DEFAULT_LOCALE
from intake.clock import Clock
from intake.dialogue_events import Context, HangUp, Resume, Start, Step, UserTurn
from intake.dialogue_state import State
from intake.domain import Channel
from intake.policy import Policy
from intake.prompts import Prompt
from store.db import SessionMaker
from store.errors import StorageConflictError
from store.jobs import Jobs

if TYPE_CHECKING:
    from bot.handoff import HandoffService

log = logging.getLogger(__name__)

AgentsOnline = Callable[[], Awaitable[int]]

# The turn's ConversationRecord, in TurnContext.turn_state.
RECORD = "intake.record"
# How many times a turn feeds effect results back into the dialogue; a real intake needs two or three.
MAX_EFFECT_ROUNDS = 8


class EffectsDidNotConvergeError(RuntimeError):
    """The dialogue kept returning effects with results: a loop in the state machine."""


async def _no_agents() -> int:
    return 0


class IntakeBot(ActivityHandler):  # type: ignore[misc]
    """One bot for every channel; the dialogue itself lives in intake.conversation."""

    def __init__(
        self,
        *,
        policy: Policy,
        jobs: Jobs,
        session_maker: SessionMaker,
        clock: Clock,
        agents_online: AgentsOnline = _no_agents,
        handoff: HandoffService | None = None,
        incident_config: IncidentConfig | None = None,
        maintenance: MaintenanceConfig | None = None,
    ) -> None:
        self._policy = policy
        self._maintenance = maintenance or MaintenanceConfig()
        self._jobs = jobs
        self._effects = EffectRunner(
            session_maker=session_maker, jobs=jobs, policy=policy, handoff=handoff, incident_config=incident_config
        )
        self._handoff = handoff
        self._clock = clock
        self._agents_online = agents_online
        # One turn at a time per conversation in this process (a resend racing its original, a fast typist, a
        # hand-back); entries vanish with their last user. Across processes the eTag decides (see on_turn).
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        if handoff is not None:
            handoff.resume_through(self)  # a chat back from the live-agent queue carries on in this dialogue

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def on_turn(self, turn_context: TurnContext) -> None:
        key = storage_key(turn_context.activity)
        async with self._lock(key):
            try:
                await self._turn(turn_context, key)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                # The database dropped the connection (a restart, a failover): nothing of the turn was
                # committed but what is idempotent, so it runs once more before the customer hears of it.
                log.warning("turn: the database connection dropped; running the turn again")
                await self._turn(turn_context, key)
            except StorageConflictError:
                # Another process wrote the conversation meanwhile. If it was running this same activity
                # (a resend delivered twice at once), its answer is ours; otherwise the turn fails as before.
                if not await self._replay(turn_context, await load_record(self._jobs, key)):
                    raise

    async def _replay(self, turn_context: TurnContext, record: ConversationRecord) -> bool:
        """Answer a redelivered activity (client or channel retry) as before, running nothing twice."""
        activity = turn_context.activity
        if not activity.id:
            return False
        last = record.get(LAST_TURN)
        if not (isinstance(last, dict) and last.get("id") == activity.id):
            # An older turn's answer went out when it ran; the conversation has moved on since.
            return answered_before(record, activity.id)
        replies = [Activity().deserialize(a) for a in last.get("replies", [])]
        if replies:
            await turn_context.send_activities(replies)
        return True

    async def _turn(self, turn_context: TurnContext, key: str) -> None:
        activity = turn_context.activity
        # Only a customer's message can be a live agent's to answer: for those, the turn's read also asks
        # the handoffs table whether the conversation is handed off.
        relays = self._handoff is not None and activity.type == ActivityTypes.message
        record = await load_record(
            self._jobs,
            key,
            conversation_id=activity.conversation.id if relays else None,
            maintenance=(self._clock(), self._maintenance.rules),
        )
        turn_context.turn_state[RECORD] = record
        if await self._replay(turn_context, record):
            return
        if record.handed_off and self._handoff is not None and await self._handoff.relay_customer(turn_context, record):
            return  # handed off to a live agent: the agent answers, never the bot too
        await super().on_turn(turn_context)
        if record.changed:
            await save_record(self._jobs, record, now=self._clock())

    async def resume(self, turn_context: TurnContext, *, lead: Sequence[Activity], at: datetime) -> None:
        """The chat is the bot's again (handed back, or nobody took it): say `lead`, then what the dialogue asks.

        Outside any customer activity (the handoff service continues the conversation): the dialogue takes
        a Resume event and its prompts are kept and sent like any turn's.
        """
        key = storage_key(turn_context.activity)
        async with self._lock(key):
            record = await load_record(self._jobs, key, maintenance=(at, self._maintenance.rules))
            turn_context.turn_state[RECORD] = record
            ctx = await self._context(turn_context)
            event = Resume(at=at)
            step = convo.step(ctx, self._state(ctx, record, at), event)
            await self._run(turn_context, ctx, step, event, lead=lead)

    # -- activity -> dialogue event ---------------------------------------------------------------

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if not any(member.id != bot_id for member in members_added):
            return
        if _record(turn_context).get(DIALOGUE) is not None:
            return  # a reconnect, not a new conversation: don't greet twice
        ctx = await self._context(turn_context)
        known = await self._effects.caller_account(_caller_number(turn_context))
        event = Start(at=self._clock(), known_account=known)
        await self._run(turn_context, ctx, convo.start(ctx, event), event)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        twilio = _twilio_data(activity)
        digits = twilio.get("digits") if isinstance(twilio.get("digits"), str) else None
        names = tuple(a.name or a.content_type or "attachment" for a in activity.attachments or [])
        event = UserTurn(at=self._clock(), text=activity.text or "", digits=digits, attachments=names)
        await self._dispatch(turn_context, event)

    async def on_event_activity(self, turn_context: TurnContext) -> None:
        name = turn_context.activity.name
        if name == EVENT_NO_INPUT:
            await self._dispatch(turn_context, UserTurn(at=self._clock(), no_input=True))
        elif name == EVENT_HANGUP:
            await self._dispatch(turn_context, HangUp(at=self._clock()))

    async def _dispatch(self, turn_context: TurnContext, event: UserTurn | HangUp) -> None:
        ctx = await self._context(turn_context)
        record = _record(turn_context)
        if record.get(DIALOGUE) is None and isinstance(event, HangUp):
            return  # hung up before the greeting: nothing was said, nothing to keep
        state = self._state(ctx, record, event.at)
        await self._run(turn_context, ctx, convo.step(ctx, state, event), event)

    @staticmethod
    def _state(ctx: Context, record: ConversationRecord, at: datetime) -> State:
        stored = record.get(DIALOGUE)
        if stored is None:
            # No dialogue yet (the customer spoke first, without a conversationUpdate): start it silently.
            return convo.start(ctx, Start(at=at)).state
        return State.from_dict(stored)

    # -- the dialogue loop -------------------------------------------------------------------------

    async def _run(
        self,
        turn_context: TurnContext,
        ctx: Context,
        step: Step,
        event: Start | UserTurn | HangUp | Resume,
        lead: Sequence[Activity] = (),
    ) -> None:
        record = _record(turn_context)
        sent: list[Prompt] = list(step.prompts)
        activities = [*lead, *(prompt_activity(p) for p in step.prompts)]
        # Effects with results feed back into the machine until it has nothing more to ask of us.
        for _ in range(MAX_EFFECT_ROUNDS):
            followups: list[Activity] = []
            result = None
            for effect in step.effects:
                outcome = await self._effects.run(turn_context, ctx, step.state, effect)
                followups.extend(outcome.activities)
                if outcome.result is not None:
                    result = outcome.result
            activities.extend(followups)
            if result is None:
                break
            step = convo.step(ctx, step.state, result)
            sent.extend(step.prompts)
            activities.extend(prompt_activity(p) for p in step.prompts)
        else:
            # A dialogue that keeps asking for effects is a bug in the state machine: fail the turn (the
            # customer hears the apology) rather than stop somewhere silently.
            raise EffectsDidNotConvergeError(f"effects still had results after {MAX_EFFECT_ROUNDS} rounds")
        if step.done and ctx.channel is Channel.PHONE:
            # Hang up after the goodbye. Chat stays open (Web Chat has no renderer for endOfConversation).
            activities.append(
                Reply(type=ActivityTypes.end_of_conversation, code=EndOfConversationCodes.completed_successfully)
            )
        activity = turn_context.activity
        record.set(DIALOGUE, step.state.to_dict())
        replies = [to_json(a) for a in activities]
        if activity.id and not isinstance(event, Resume):  # a resume answers no activity of the customer's
            # Remembered so that a redelivery gets the same answer.
            remember_turn(record, activity.id, replies)
        transcript = TranscriptLines(
            conversation_id=ctx.conversation_id,
            channel=activity.channel_id or ctx.channel.value,
            at=event.at,
            lines=transcript_lines(event, sent),
        )
        # State and transcript are committed before any reply leaves, or with the replies where the channel stores
        # them in this database (the website): what the customer is told is kept.
        if activities and turn_context.turn_state.get(COMMITS_WITH_REPLIES):
            commit = StateCommit(record, now=self._clock(), transcript=transcript)
            turn_context.turn_state[STATE_COMMIT] = commit
            await _send(turn_context, activities, replies)
            commit.committed()
            return
        await save_record(self._jobs, record, now=self._clock(), transcript=transcript)
        if activities:
            await _send(turn_context, activities, replies)

    async def _context(self, turn_context: TurnContext) -> Context:
        activity = turn_context.activity
        channel = Channel.PHONE if _on_the_phone(turn_context) else Channel.CHAT
        # Agents matter only while live chat is open: skip the query (a transaction) at night and on the phone.
        chat_open = channel is Channel.CHAT and self._policy.chat.is_open(self._clock())
        agents = await self._agents_online() if chat_open else 0
        # The windows in their notice period or under way, of every account, read with the conversation's row:
        # the dialogue tells the customer of theirs once it knows the K# (a few rows at most; none on most days).
        notes = _record(turn_context).maintenance
        return Context(
            policy=self._policy,
            channel=channel,
            conversation_id=activity.conversation.id,
            agents_online=agents,
            # Chat speaks the browser's language (Web Chat sends it), the phone line English (its voice and ears).
            locale=PHONE_LOCALE if channel is Channel.PHONE else activity.locale or DEFAULT_LOCALE,
            maintenance=notes,
        )


async def _send(turn_context: TurnContext, activities: list[Activity], replies: list[dict[str, Any]]) -> None:
    """Send the turn's replies; an expectReplies body reuses their JSON (bot/adapter.py, stamped_json)."""
    first = len(turn_context.buffered_reply_activities)
    await turn_context.send_activities(activities)
    if turn_context.activity.delivery_mode == DeliveryModes.expect_replies:
        # send_activities buffered one stamped copy of each, in order, after those buffered before.
        known = turn_context.turn_state.setdefault(SENT_JSON, {})
        known.update({first + i: reply for i, reply in enumerate(replies)})


def _record(turn_context: TurnContext) -> ConversationRecord:
    record: ConversationRecord = turn_context.turn_state[RECORD]
    return record


def _twilio_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    twilio = data.get("twilio")
    return twilio if isinstance(twilio, dict) else {}


def _on_the_phone(turn_context: TurnContext) -> bool:
    # The adapter, not the activity's channelId, says where a turn comes from: only the phone line's own
    # adapter (signed Twilio webhooks) runs phone turns, whatever an activity claims.
    return bool(turn_context.turn_state.get(TURN_CHANNEL) == VOICE_CHANNEL_ID)


def _caller_number(turn_context: TurnContext) -> str | None:
    if not _on_the_phone(turn_context):
        return None
    number = _twilio_data(turn_context.activity).get("from")
    return number if isinstance(number, str) else None
