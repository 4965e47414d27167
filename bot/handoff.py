"""Live-agent handoff: queue a chat, relay it both ways, hand it back, and time it out to a web request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, ConversationReference
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels import Channels
from bot.keys import CHANNELS, CLOCK, JOBS, POLICY, SESSION_MAKER, SETTINGS
from bot.periodic import Periodic, run_with_app
from bot.rendering import message_activity
from bot.turn_state import ConversationRecord, TranscriptLines, remember_turn, save_record
from intake import wording_service as ws
from intake.clock import Clock
from intake.numbers_times import due
from intake.policy import Policy
from store import agents as agent_store
from store import cases as case_store
from store import handoffs as handoff_store
from store import transcripts as transcript_store
from store.db import SessionMaker
from store.errors import CaseNotFoundError
from store.jobs import Jobs
from store.models import AgentPublic, CasePublic, HandoffPublic, HandoffStatus

log = logging.getLogger(__name__)

# How often this process looks for handoffs that waited too long (every process sweeps; claims are atomic).
SWEEP_INTERVAL_SECONDS = 1.0


class Dialogue(Protocol):
    """Where a chat carries on once it is the bot's again (IntakeBot.resume)."""

    async def resume(self, turn_context: TurnContext, *, lead: Sequence[Activity], at: datetime) -> None: ...


class EndHandoff(Protocol):
    """store.handoffs.hand_back or close: end an agent's active handoff; False when it is not."""

    async def __call__(self, session: AsyncSession, *, handoff_id: int, agent_id: int, at: datetime) -> bool: ...


class HandoffError(Exception):
    """Base class of handoff errors; handlers turn them into HTTP errors."""


class HandoffNotFoundError(HandoffError, LookupError):
    """No handoff has this id."""


class NotYourHandoffError(HandoffError, PermissionError):
    """Another agent has claimed this conversation."""


class HandoffStateError(HandoffError):
    """The handoff is not in a state that allows this (already claimed, already ended, no case)."""


class DeliveryError(HandoffError):
    """The customer's channel did not take a message."""


class HandoffService:
    """Relays a handed-off chat between the customer and an agent, and keeps the bot out of it meanwhile."""

    def __init__(
        self,
        *,
        session_maker: SessionMaker,
        channels: Channels,
        jobs: Jobs,
        policy: Policy,
        clock: Clock,
        timeout: timedelta,
    ) -> None:
        self._sessions = session_maker
        self._channels = channels
        self._jobs = jobs
        self._policy = policy
        self._clock = clock
        self.timeout = timeout
        # In-process wake-up of the console feed; other processes hear of it through `on_change` (the console
        # feed's notice to them) or their poll.
        self.changed = asyncio.Event()
        self.on_change: list[Callable[[], None]] = []
        self._dialogue: Dialogue | None = None

    def resume_through(self, dialogue: Dialogue) -> None:
        """Have `dialogue` carry on the chats that come back from the queue (the bot that relays them)."""
        self._dialogue = dialogue

    def notify(self) -> None:
        """Wake this process's console feed, and tell the others: a handoff changed."""
        self.changed.set()
        for hook in self.on_change:
            hook()

    # -- the bot's side --------------------------------------------------------------------------

    async def agents_online(self) -> int:
        """How many agents are available for live chat right now (the dialogue offers chat only then)."""
        # A store job, not an async session: every chat turn asks while live chat is open.
        return await self._jobs.lookup(partial(agent_store.available_now, now=self._clock()))

    async def start(self, turn_context: TurnContext, *, case_number: str | None, reason: str, at: datetime) -> int:
        """Queue the conversation for an agent; return its place in the queue."""
        activity = turn_context.activity
        reference = TurnContext.get_conversation_reference(activity).serialize()
        async with self._sessions() as session, session.begin():
            case = await case_store.get_case(session, number=case_number) if case_number else None
            handoff, created = await handoff_store.create_handoff(
                session,
                conversation_id=activity.conversation.id,
                channel=activity.channel_id or "unknown",
                reason=reason,
                reference=reference,
                at=at,
                case_number=case.number if case else None,
                severity=int(case.severity) if case else None,
                response_due=case.response_due if case else None,
            )
            position = await handoff_store.queue_position(session, handoff_id=handoff.id)
        if created:
            log.info("handoff %s queued for conversation %s (%s)", handoff.id, handoff.conversation_id, reason)
        self.notify()
        return position or 1

    async def relay_customer(self, turn_context: TurnContext, record: ConversationRecord) -> bool:
        """Keep a handed-off customer's message for the agent; True = the bot stays silent.

        The message's transcript line, the bump that wakes the consoles, and the turn's memory of the message
        in the conversation's record (LAST_TURN, with no replies) are one transaction: a redelivery is then
        answered from the record like any turn's (IntakeBot._replay) and never reaches the agent twice.
        False, with nothing written, when the conversation is no longer handed off (handed back meanwhile).
        """
        activity = turn_context.activity
        if activity.type != ActivityTypes.message or activity.conversation is None:
            return False
        conversation_id = activity.conversation.id
        names = [a.name or a.content_type or "attachment" for a in activity.attachments or []]
        text = activity.text or ""
        if names:
            text = (text + " " if text else "") + "[attachments: " + ", ".join(names) + "]"
        now = self._clock()
        if activity.id:
            remember_turn(record, activity.id, [])
        line = TranscriptLines(
            conversation_id=conversation_id,
            channel=activity.channel_id or "unknown",
            at=now,
            lines=[("customer", text)],
            activity=activity.serialize(),
        )
        woken = partial(handoff_store.touch_open, conversation_id=conversation_id)
        if not await save_record(self._jobs, record, now=now, transcript=line, only_if=woken):
            return False  # the dialogue takes the message (and records LAST_TURN with its replies)
        self.notify()
        return True

    # -- the agent's side ------------------------------------------------------------------------

    async def claim(self, handoff_id: int, agent: AgentPublic, at: datetime) -> HandoffPublic:
        """Take a queued conversation; HandoffStateError when another agent was first."""
        async with self._sessions() as session, session.begin():
            if await handoff_store.get_handoff(session, handoff_id=handoff_id) is None:
                raise HandoffNotFoundError(f"no handoff {handoff_id}")
            won = await handoff_store.claim(session, handoff_id=handoff_id, agent_id=agent.id, at=at)
            handoff = await handoff_store.get_handoff(session, handoff_id=handoff_id)
            assert handoff is not None
            if won:
                await self._log_line(session, handoff, "bot", ws.agent_joined(agent.name), at)
        if not won:
            raise HandoffStateError("this conversation was claimed by another agent or has ended")
        log.info("handoff %s claimed by agent %s", handoff_id, agent.id)
        self.notify()
        await self._deliver_quietly(handoff, [message_activity(ws.agent_joined(agent.name))])
        return handoff

    async def send_agent_message(self, handoff_id: int, agent: AgentPublic, text: str, at: datetime) -> None:
        """Send the agent's words to the customer; the first reply on a case stamps its first response."""
        async with self._sessions() as session, session.begin():
            handoff = await self._owned(session, handoff_id, agent)
            await self._log_line(session, handoff, "agent", text, at)
            if handoff.case_number:
                case = await case_store.record_first_response(
                    session, number=handoff.case_number, actor=agent.name, at=at
                )
                if case.first_response_at == at:
                    log.info("case %s: first response, target met: %s", case.number, case.response_met)
        self.notify()
        await self._deliver(handoff, [message_activity(text, agent=agent.name)])

    async def hand_back(self, handoff_id: int, agent: AgentPublic, at: datetime) -> None:
        """Return the conversation to the bot, which tells the customer and carries on."""
        message = ws.handed_back()
        handoff = await self._end(handoff_id, agent, at, handoff_store.hand_back, message)
        log.info("handoff %s handed back to the bot by agent %s", handoff_id, agent.id)
        await self._resume(handoff, [message], at)

    async def close(self, handoff_id: int, agent: AgentPublic, at: datetime) -> None:
        """End the live chat; the customer's next message starts a new conversation with the bot."""
        message = ws.agent_closed(agent.name, self._policy.company_name)
        handoff = await self._end(handoff_id, agent, at, handoff_store.close, message)
        log.info("handoff %s closed by agent %s", handoff_id, agent.id)
        await self._deliver_quietly(handoff, [message_activity(message)])

    async def _end(
        self, handoff_id: int, agent: AgentPublic, at: datetime, end: EndHandoff, message: str
    ) -> HandoffPublic:
        """End the agent's active handoff with `end` (hand back or close), noting `message` in the transcript."""
        async with self._sessions() as session, session.begin():
            handoff = await self._owned(session, handoff_id, agent)
            if not await end(session, handoff_id=handoff_id, agent_id=agent.id, at=at):
                raise HandoffStateError("the conversation is no longer active")
            await self._log_line(session, handoff, "bot", message, at)
        self.notify()
        return handoff

    async def _owned(self, session: AsyncSession, handoff_id: int, agent: AgentPublic) -> HandoffPublic:
        handoff = await handoff_store.get_handoff(session, handoff_id=handoff_id, lock=True)
        if handoff is None:
            raise HandoffNotFoundError(f"no handoff {handoff_id}")
        if handoff.agent_id is not None and handoff.agent_id != agent.id:
            raise NotYourHandoffError("another agent has this conversation")
        if handoff.status is not HandoffStatus.ACTIVE:
            raise HandoffStateError(f"the conversation is {handoff.status.value}, not active")
        return handoff

    # -- nobody came -----------------------------------------------------------------------------

    async def expire_due(self) -> int:
        """Turn handoffs nobody took within the timeout into web support requests; return how many."""
        now = self._clock()
        # A read first: the sweep's write transaction (SQLite's write lock, which every turn's save waits
        # for) and its async session cost a turn's worth of CPU each second, for a queue that is rarely late.
        if not await self._jobs.read(partial(handoff_store.any_timeout_due, now=now, timeout=self.timeout)):
            return 0
        told: dict[int, str] = {}
        async with self._sessions() as session, session.begin():
            expired = await handoff_store.due_timeouts(session, now=now, timeout=self.timeout)
            for handoff in expired:
                case = None
                if handoff.case_number:
                    with contextlib.suppress(CaseNotFoundError):
                        await handoff_store.route_to_web_request(
                            session, number=handoff.case_number, actor="bot", at=now
                        )
                        case = await case_store.get_case(session, number=handoff.case_number)
                told[handoff.id] = self._timed_out_text(case, now)
                await self._log_line(session, handoff, "bot", told[handoff.id], now)
        for handoff in expired:
            log.info("handoff %s timed out unclaimed; case %s is a web request", handoff.id, handoff.case_number)
            await self._resume(handoff, [told[handoff.id]], now)
        if expired:
            self.notify()
        return len(expired)

    def _timed_out_text(self, case: CasePublic | None, now: datetime) -> str:
        if case is None:
            return ws.no_agent_no_case()
        return ws.no_agent_web_request(case.number, due(case.response_due, now, self._policy.chat.tz))

    # -- talking to the customer -----------------------------------------------------------------

    async def _log_line(
        self, session: AsyncSession, handoff: HandoffPublic, role: str, text: str, at: datetime
    ) -> None:
        await transcript_store.append_transcript(
            session, conversation_id=handoff.conversation_id, role=role, text=text, at=at, channel=handoff.channel
        )
        await handoff_store.touch(session, handoff_id=handoff.id)

    async def _continue(self, handoff: HandoffPublic, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        reference = ConversationReference().deserialize(handoff.conversation_reference)
        try:
            await self._channels.continue_conversation(reference, logic)
        except Exception as exc:  # msrest and aiohttp raise many kinds; all mean "not delivered"
            log.warning("handoff %s: message not delivered: %s", handoff.id, type(exc).__name__)
            raise DeliveryError("the customer's chat did not take the message") from exc

    async def _deliver(self, handoff: HandoffPublic, activities: Sequence[Activity]) -> None:
        async def send(turn_context: TurnContext) -> None:
            await turn_context.send_activities(list(activities))

        await self._continue(handoff, send)

    async def _deliver_quietly(self, handoff: HandoffPublic, activities: Sequence[Activity]) -> None:
        # A notice the agent did not write: failing to deliver it must not fail the agent's action.
        with contextlib.suppress(DeliveryError):
            await self._deliver(handoff, activities)

    async def _resume(self, handoff: HandoffPublic, lead: Sequence[str], at: datetime) -> None:
        """Tell the customer `lead` (already in the transcript), then let the dialogue ask what comes next."""
        notices = [message_activity(text) for text in lead]
        dialogue = self._dialogue

        async def carry_on(turn_context: TurnContext) -> None:
            if dialogue is None:  # no bot relays for this service: the notice is all there is to say
                await turn_context.send_activities(notices)
            else:
                await dialogue.resume(turn_context, lead=notices, at=at)

        with contextlib.suppress(DeliveryError):
            await self._continue(handoff, carry_on)


HANDOFF = web.AppKey("handoff", HandoffService)


def setup_handoff(app: web.Application) -> HandoffService:
    """Create the handoff service from the app's shared objects and run its timeout sweeper."""
    settings = app[SETTINGS]
    service = HandoffService(
        session_maker=app[SESSION_MAKER],
        channels=app[CHANNELS],
        jobs=app[JOBS],
        policy=app[POLICY],
        clock=app[CLOCK],
        timeout=timedelta(seconds=settings.handoff_timeout_seconds),
    )
    app[HANDOFF] = service
    # Every process sweeps (claims are atomic); a failed round is logged and the next one retries.
    run_with_app(app, Periodic("handoff timeout sweep", SWEEP_INTERVAL_SECONDS, service.expire_due))
    return service
