"""What each /twilio/* webhook does: run the bot once per webhook and answer TwiML, carry out the Sev1 dial with
its whisper, take the voicemail. The routes, their checks and the outage answers are bot/voice/webhooks.py."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import web
from botbuilder.core import Bot
from botbuilder.schema import Activity
from multidict import MultiDictProxy
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import (
    NotFoundError,
)
from bot.paging import escalate_unanswered
from bot.voice import twiml
from bot.voice.adapter import TwilioVoiceAdapter
from bot.voice.config import VoiceConfig
from bot.voice.twiml import TurnKind, WebhookError, call_sid_of
from intake.clock import Clock
from intake.domain import CaseEventKind
from store import cases as case_store
from store import voice as voice_store
from store.db import SessionMaker, read_session
from store.jobs import Jobs
from store.models import CallPhase

log = logging.getLogger(__name__)

Form = MultiDictProxy[str]

# Twilio gives up on a webhook after 15 s: a resend waits for the first delivery at most this long.
REPLAY_WAIT_SECONDS = 10.0
# A bot turn takes well under a second; a claim this old with no TwiML belongs to a process that died,
# and a resend takes it over (the bot answers a turn it had already committed from its memory of it).
TURN_LEASE = timedelta(seconds=5)
_REPLAY_POLL_SECONDS = 0.05
_CALL_OVER = {"completed", "busy", "failed", "no-answer", "canceled"}
# DialCallStatus values meaning the engineer's phone picked up (the bridged call has ended by the time we
# hear); a person answered only if they also pressed 1 in the whisper (ACCEPTED).
_ANSWERED = {"completed", "answered"}
ACCEPTED = "accepted"  # a dial attempt whose engineer pressed 1 in the whisper
NOT_ACCEPTED = "not_accepted"  # picked up (a voicemail, say) but nobody pressed 1


class UnknownCallError(NotFoundError):
    """A webhook names a call (or a handoff) this service has no record of."""

    code = "unknown_call"


class VoiceLine:
    """The phone line's webhooks, bound to a bot, a database and the Twilio configuration."""

    def __init__(
        self,
        *,
        config: VoiceConfig,
        adapter: TwilioVoiceAdapter,
        bot: Bot,
        sessions: SessionMaker,
        clock: Clock,
        jobs: Jobs | None = None,
    ) -> None:
        self.config = config
        self.adapter = adapter
        self._bot = bot
        self._sessions = sessions
        # A dialogue turn's claim and its answer: lone writes (store/voice.py), on the app's jobs.
        self._jobs = jobs if jobs is not None else Jobs.over(sessions)
        self._clock = clock
        # One bot turn at a time per call in this process: a hang-up racing a gather must not interleave
        # two turns on the same conversation state. Entries vanish with their last user.
        self._call_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # -- webhooks ---------------------------------------------------------------------------------

    async def answer(self, request: web.Request, form: Form) -> str:
        """POST /twilio/voice: the call is answered; the dialogue starts (step 0)."""
        return await self._bot_turn(form, kind=TurnKind.ANSWER, step=0)

    async def gather(self, request: web.Request, form: Form) -> str:
        """POST /twilio/gather?step=N: what the caller said or keyed in for the prompt of step N - 1."""
        return await self._bot_turn(form, kind=TurnKind.GATHER, step=_query_int(request, "step", minimum=1))

    async def dial_status(self, request: web.Request, form: Form) -> str:
        """POST /twilio/dial-status?next=N: ringing an engineer ended; try number N, or fall back."""
        next_attempt = _query_int(request, "next", minimum=0)
        call_sid = call_sid_of(form)
        outcome = form.get("DialCallStatus") or None
        caller_gone = form.get("CallStatus") in _CALL_OVER

        async def compute(session: AsyncSession, now: datetime) -> str:
            case_number = await _handoff_case(session, call_sid)
            numbers = self.config.oncall_numbers
            # Only an engineer who pressed 1 in the whisper answered: a voicemail also "completes" the dial.
            accepted = any(
                a.attempt == next_attempt - 1 and a.status == ACCEPTED
                for a in await voice_store.list_dial_attempts(session, call_sid=call_sid)
            )
            answered = outcome in _ANSWERED and accepted
            if outcome is not None and 0 < next_attempt <= len(numbers):
                await voice_store.record_dial_attempt(
                    session,
                    call_sid=call_sid,
                    case_number=case_number,
                    attempt=next_attempt - 1,
                    number=numbers[next_attempt - 1],
                    status=outcome if answered or outcome not in _ANSWERED else NOT_ACCEPTED,
                    at=now,
                )
            if answered:
                await voice_store.move_call(
                    session, call_sid=call_sid, from_phases=[CallPhase.DIALING], to_phase=CallPhase.CONNECTED
                )
                await case_store.record_first_response(session, number=case_number, actor="oncall", at=now)
                log.info("call %s: on-call engineer %d answered", call_sid, next_attempt)
                return twiml.connected_twiml()
            if caller_gone:
                await self._escalate(session, call_sid, case_number, CallPhase.ABANDONED, now)
                return twiml.empty_twiml()
            if next_attempt < len(numbers):
                return twiml.dial_twiml(self.config, case_number=case_number, attempt=next_attempt)
            await self._escalate(session, call_sid, case_number, CallPhase.VOICEMAIL, now)
            return twiml.voicemail_twiml(self.config, case_number=case_number)

        return await self._once(call_sid, f"dial-{next_attempt}", compute)

    async def voicemail(self, request: web.Request, form: Form) -> str:
        """POST /twilio/voicemail: the caller's message is recorded; attach it to the case."""
        call_sid = call_sid_of(form)
        recording_url = form.get("RecordingUrl", "")
        if not recording_url.startswith(("https://", "http://")):
            raise WebhookError("RecordingUrl missing or not a URL")
        duration = parse_digits(form.get("RecordingDuration", ""))

        async def compute(session: AsyncSession, now: datetime) -> str:
            case_number = await _handoff_case(session, call_sid)
            await case_store.add_event(
                session,
                number=case_number,
                kind=CaseEventKind.VOICEMAIL,
                actor="customer",
                at=now,
                detail={
                    "recording_url": recording_url,
                    "duration": duration,
                },
            )
            log.info("call %s: voicemail attached to case %s", call_sid, case_number)
            return twiml.voicemail_saved_twiml(case_number=case_number)

        return await self._once(call_sid, "voicemail", compute)

    async def whisper(self, request: web.Request, form: Form) -> str:
        """POST /twilio/whisper?case=N&attempt=K: brief the engineer and ask them to press 1 to take the call."""
        number = request.query.get("case", "")
        if not number:
            raise WebhookError("case missing from the whisper URL")
        attempt = _query_int(request, "attempt", minimum=0) if "attempt" in request.query else 0
        async with read_session(self._sessions) as session:
            case = await case_store.get_case(session, number=number)
        k_number, summary = (case.k_number, case.summary) if case is not None else ("", "")
        return twiml.whisper_twiml(self.config, case_number=number, attempt=attempt, k_number=k_number, summary=summary)

    async def whisper_accept(self, request: web.Request, form: Form) -> str:
        """POST /twilio/whisper-accept?case=N&attempt=K: the key the engineer pressed after the briefing.

        1 takes the call: it is recorded against the caller's call (ParentCallSid) before Twilio bridges, so
        the dial-status that follows knows a person answered. Anything else, or nothing, hangs up on them.
        """
        number = request.query.get("case", "")
        attempt = _query_int(request, "attempt", minimum=0)
        parent = form.get("ParentCallSid", "")
        accepted = form.get("Digits", "").strip() == "1"
        numbers = self.config.oncall_numbers
        if not number or not parent or attempt >= len(numbers):
            raise WebhookError("case, attempt or ParentCallSid missing from the whisper answer")
        if accepted:
            async with self._sessions() as session, session.begin():
                await voice_store.record_dial_attempt(
                    session,
                    call_sid=parent,
                    case_number=number,
                    attempt=attempt,
                    number=numbers[attempt],
                    status=ACCEPTED,
                    at=self._clock(),
                )
            log.info("call %s: on-call engineer %d took the call", parent, attempt + 1)
        return twiml.whisper_answer_twiml(accepted=accepted)

    async def status(self, request: web.Request, form: Form) -> str:
        """POST /twilio/status: the call's status callback; a hang-up mid-intake reaches the bot."""
        call_sid = call_sid_of(form)
        if form.get("CallStatus") not in _CALL_OVER:
            return twiml.empty_twiml()
        now = self._clock()
        async with self._sessions() as session, session.begin():
            await voice_store.end_call(session, call_sid=call_sid, at=now)
            # Compare-and-set: of two resent callbacks, only one moves the call and acts on it.
            mid_intake = await voice_store.move_call(
                session, call_sid=call_sid, from_phases=[CallPhase.INTAKE], to_phase=CallPhase.ABANDONED
            )
            if not mid_intake:
                call = await voice_store.get_call(session, call_sid=call_sid)
                if call is not None and call.case_number and call.status == CallPhase.DIALING.value:
                    await self._escalate(session, call_sid, call.case_number, CallPhase.ABANDONED, now)
        if mid_intake:
            log.info("call %s: caller hung up mid-intake", call_sid)
            activity = twiml.form_to_activity(
                form, kind=TurnKind.HANGUP, step=-1, public_base_url=self.config.public_base_url, now=now
            )
            await self._run_bot(call_sid, activity)
        return twiml.empty_twiml()

    # -- turns ------------------------------------------------------------------------------------

    async def _bot_turn(self, form: Form, *, kind: TurnKind, step: int) -> str:
        """Run the bot at most once for (CallSid, step); a resend gets the stored TwiML."""
        call_sid = call_sid_of(form)
        key = str(step)
        sessions = self._sessions
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPLAY_WAIT_SECONDS
        while True:
            now = self._clock()
            keypad = {}
            if kind is TurnKind.GATHER:
                # Read outside the write transaction: on SQLite that keeps the write lock held briefly.
                keypad = await voice_store.previous_keypad(self._jobs, call_sid=call_sid, step=step)
            # Validated before any write: a malformed body changes nothing.
            activity = twiml.form_to_activity(
                form, kind=kind, step=step, public_base_url=self.config.public_base_url, now=now, keypad=keypad
            )
            if kind is TurnKind.ANSWER:
                async with sessions() as session, session.begin():
                    caller = twiml.caller_e164(form.get("From"))
                    await voice_store.start_call(session, call_sid=call_sid, from_e164=caller, now=now)
                    claimed = await voice_store.claim_turn(session, call_sid=call_sid, step=key, now=now)
            else:
                claimed = await voice_store.claim_turn_alone(self._jobs, call_sid=call_sid, step=key, now=now)
            if claimed:
                return await self._run_claimed(sessions, call_sid, key, step, activity)
            async with read_session(sessions) as session:
                stored = await voice_store.get_turn(session, call_sid=call_sid, step=key)
            # A resend: wait (reading only) for the first delivery's answer.
            while stored is not None and stored.twiml is None:
                stale = stored.created_at < self._clock() - TURN_LEASE
                if stale and await self._take_over(sessions, call_sid, key):
                    return await self._run_claimed(sessions, call_sid, key, step, activity)
                if loop.time() >= deadline:
                    # The first delivery is still running (or died): keep the caller going instead of silence.
                    log.warning("call %s step %s: first delivery unfinished, asking again", call_sid, key)
                    return twiml.retry_twiml(self.config, step=step)
                await asyncio.sleep(_REPLAY_POLL_SECONDS)
                async with read_session(sessions) as session:
                    stored = await voice_store.get_turn(session, call_sid=call_sid, step=key)
            if stored is not None and stored.twiml is not None:
                log.info("call %s step %s: resent webhook answered from the store", call_sid, key)
                return stored.twiml
            # The first delivery failed and gave the turn back: claim it again (while there is time).
            if loop.time() >= deadline:
                return twiml.retry_twiml(self.config, step=step)

    async def _take_over(self, sessions: SessionMaker, call_sid: str, key: str) -> bool:
        now = self._clock()
        async with sessions() as session, session.begin():
            taken = await voice_store.take_over_turn(
                session, call_sid=call_sid, step=key, claimed_before=now - TURN_LEASE, now=now
            )
        if taken:
            log.warning("call %s step %s: taking over a turn whose process died", call_sid, key)
        return taken

    async def _run_claimed(self, sessions: SessionMaker, call_sid: str, key: str, step: int, activity: Activity) -> str:
        try:
            outgoing = await self._run_bot(call_sid, activity)
            plan = twiml.plan_turn(outgoing)
            document = twiml.plan_to_twiml(plan, config=self.config, step=step)
            await self._keep_answer(sessions, call_sid, key, plan, document)
        except BaseException:
            # Give the turn back so Twilio's retry can run it (the bot's case creation is idempotent).
            async with sessions() as session, session.begin():
                await voice_store.release_turn(session, call_sid=call_sid, step=key)
            raise
        log.info("call %s step %s answered (%d activities)", call_sid, key, len(outgoing))
        return document

    async def _keep_answer(
        self, sessions: SessionMaker, call_sid: str, key: str, plan: twiml.TurnPlan, document: str
    ) -> None:
        """Store the turn's TwiML, and move the call on when the turn dials on-call or ends it."""
        keypad = dict(plan.prompt.keypad) if plan.prompt else {}
        if plan.handoff is None and not plan.ends:  # the call carries on: the answer is all there is to store
            await voice_store.complete_turn_alone(
                self._jobs, call_sid=call_sid, step=key, twiml=document, keypad=keypad
            )
            return
        async with sessions() as session, session.begin():
            await voice_store.complete_turn(session, call_sid=call_sid, step=key, twiml=document, keypad=keypad)
            if plan.handoff is not None:
                await voice_store.move_call(
                    session,
                    call_sid=call_sid,
                    from_phases=[CallPhase.INTAKE],
                    to_phase=CallPhase.DIALING,
                    case_number=plan.handoff.case_number,
                )
            else:
                await voice_store.move_call(
                    session, call_sid=call_sid, from_phases=[CallPhase.INTAKE], to_phase=CallPhase.FINISHED
                )

    async def _run_bot(self, call_sid: str, activity: Activity) -> list[Activity]:
        lock = self._call_locks.get(call_sid)
        if lock is None:
            lock = self._call_locks[call_sid] = asyncio.Lock()
        async with lock:
            return await self.adapter.process_activity(activity, self._bot.on_turn)

    async def _once(self, call_sid: str, key: str, compute: Callable[[AsyncSession, datetime], Awaitable[str]]) -> str:
        """Compute a non-bot webhook's TwiML and its side effects in one transaction, exactly once."""
        async with self._sessions() as session, session.begin():
            # The claim and the side effects commit together: a concurrent resend blocks on the claim and
            # then reads the stored answer; a failure rolls both back for Twilio's retry.
            if await voice_store.claim_turn(session, call_sid=call_sid, step=key, now=self._clock()):
                document = await compute(session, self._clock())
                await voice_store.complete_turn(session, call_sid=call_sid, step=key, twiml=document, keypad={})
                return document
            stored = await voice_store.get_turn(session, call_sid=call_sid, step=key)
        if stored is None or stored.twiml is None:
            raise UnknownCallError(f"webhook {key} of call {call_sid} is in an unknown state")
        return stored.twiml

    async def _escalate(
        self, session: AsyncSession, call_sid: str, case_number: str, phase: CallPhase, now: datetime
    ) -> None:
        """Nobody took the call: escalate the case and page on-call (once, whichever path gets here)."""
        moved = await voice_store.move_call(session, call_sid=call_sid, from_phases=[CallPhase.DIALING], to_phase=phase)
        if moved:
            if phase is CallPhase.ABANDONED:
                reason = "caller hung up before an engineer answered"
            else:
                reason = "no on-call engineer answered the phone"
            await escalate_unanswered(session, case_number=case_number, reason=reason, now=now)
            log.info("call %s: case %s escalated (%s)", call_sid, case_number, phase.value)


async def _handoff_case(session: AsyncSession, call_sid: str) -> str:
    call = await voice_store.get_call(session, call_sid=call_sid)
    if call is None or not call.case_number:
        raise UnknownCallError(f"call {call_sid} has no on-call handoff")
    return call.case_number


def parse_digits(raw: str) -> int | None:
    # ASCII only: str.isdigit() also accepts characters like "²" that int() refuses.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else None


def _query_int(request: web.Request, name: str, *, minimum: int) -> int:
    value = parse_digits(request.query.get(name, ""))
    if value is None or value < minimum:
        raise WebhookError(f"query parameter {name!r} must be an integer >= {minimum}")
    return value
