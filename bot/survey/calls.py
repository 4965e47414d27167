"""The survey call's webhooks and the STOP line: /twilio/survey/* answer the outbound call as TwiML (the 0-10
and 1-5 questions on the keypad, then a spoken comment) and hear how it ended; /twilio/sms takes STOP and
START. Each is verified with X-Twilio-Signature against PUBLIC_BASE_URL before anything else."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from multidict import MultiDictProxy
from sqlmodel.ext.asyncio.session import AsyncSession
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from bot.errors import UnsupportedMediaTypeError
from bot.forms import read_form
from bot.survey.config import SurveyConfig
from bot.survey.followup import follow_up_if_unhappy
from bot.survey.scheduler import SurveyScheduler
from bot.voice.signature import SIGNATURE_HEADER, Verdict, public_url, verify
from bot.voice.webhooks import BadSignatureError, BadWebhookError, VoiceNotConfiguredError
from intake import wording_survey as words
from intake.clock import Clock
from intake.phones import InvalidPhoneError, to_e164
from intake.survey import Eligibility, InvalidAnswerError, eligibility, parse_csat, parse_nps
from store import surveys as survey_store
from store.db import SessionMaker
from store.models import SurveyPublic, SurveyStatus

log = logging.getLogger(__name__)

Form = MultiDictProxy[str]
LOCALE = "en-US"  # the phone line's voice and keypad prompts are English (as the intake line's)
GATHER_SECONDS = 8
COMMENT_SECONDS = 120
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
START_WORDS = frozenset({"START", "UNSTOP", "YES", "OPTIN"})
_UNANSWERED = frozenset({"completed", "no-answer", "busy", "failed", "canceled"})
# Twilio's recordings live under its API host; anything else in RecordingUrl is not a recording of ours.
_RECORDING_PREFIX = "https://api.twilio.com/"


class SurveyCalls:
    """The survey call's webhooks, bound to the database, the clock and the scheduler (for retries)."""

    def __init__(
        self, *, config: SurveyConfig, sessions: SessionMaker, clock: Clock, scheduler: SurveyScheduler
    ) -> None:
        self.config = config
        self._sessions = sessions
        self._clock = clock
        self._scheduler = scheduler

    async def answer(self, request: web.Request, form: Form) -> str:
        """The customer picked up: bind the call, check the survey may still be asked, ask for the score."""
        survey_id, call_sid, now = _survey_id(request), _call_sid(form), self._clock()
        async with self._sessions() as session, session.begin():
            survey = await survey_store.get_survey(session, survey_id=survey_id)
            bound = survey is not None and await survey_store.bind_call(
                session, survey_id=survey_id, call_sid=call_sid, now=now
            )
            if survey is None or not bound or not await self._still_open(session, survey, now):
                return _goodbye(words.call_not_now(LOCALE))
        response = VoiceResponse()
        response.say(words.call_hello(self.config.company, survey.case_number, LOCALE))
        self._ask(response, "nps", survey_id, words.call_ask_nps(LOCALE), digits=2)
        response.say(words.call_no_answer(LOCALE))
        response.hangup()
        return str(response)

    async def nps(self, request: web.Request, form: Form) -> str:
        """The 0-10 score: stored once (a detractor opens the manager's task), then the 1-5 question."""
        survey_id, call_sid = _survey_id(request), _call_sid(form)
        try:
            score = parse_nps(form.get("Digits", ""))
        except InvalidAnswerError:
            return self._again(request, "nps", survey_id, words.call_ask_nps(LOCALE, again=True), digits=2)
        survey = await self._record(survey_id, call_sid, nps=score)
        if survey is None:
            return _goodbye(words.call_not_now(LOCALE))
        response = VoiceResponse()
        self._ask(response, "csat", survey_id, words.call_ask_csat(LOCALE), digits=1)
        response.say(words.call_thanks(LOCALE))
        response.hangup()
        return str(response)

    async def csat(self, request: web.Request, form: Form) -> str:
        """The 1-5 satisfaction, then an optional spoken comment."""
        survey_id, call_sid = _survey_id(request), _call_sid(form)
        try:
            score = parse_csat(form.get("Digits", ""))
        except InvalidAnswerError:
            return self._again(request, "csat", survey_id, words.call_ask_csat(LOCALE, again=True), digits=1)
        if await self._record(survey_id, call_sid, csat=score) is None:
            return _goodbye(words.call_not_now(LOCALE))
        response = VoiceResponse()
        response.say(words.call_ask_comment(LOCALE))
        response.record(
            action=self.config.webhook("comment", survey_id),
            method="POST",
            max_length=COMMENT_SECONDS,
            finish_on_key="#",
            play_beep=True,
            timeout=5,
        )
        response.say(words.call_thanks(LOCALE))
        response.hangup()
        return str(response)

    async def comment(self, request: web.Request, form: Form) -> str:
        """The recorded comment: its URL and SID are kept (the audio stays with Twilio)."""
        survey_id, call_sid = _survey_id(request), _call_sid(form)
        url, sid = form.get("RecordingUrl", ""), form.get("RecordingSid", "")
        if url and (not url.startswith(_RECORDING_PREFIX) or len(url) > 500 or len(sid) > 64):
            raise BadWebhookError("RecordingUrl is not a Twilio recording")
        if url:
            await self._record(survey_id, call_sid, recording_url=url, recording_sid=sid or None)
        return _goodbye(words.call_thanks(LOCALE))

    async def status(self, request: web.Request, form: Form) -> str:
        """The call ended: unanswered (or no score keyed) counts as a try; the scheduler plans the next."""
        survey_id, call_sid = _survey_id(request), _call_sid(form)
        if form.get("CallStatus", "") in _UNANSWERED:
            # An answered survey is no longer `calling`: unanswered() leaves it alone.
            await self._scheduler.unanswered(survey_id=survey_id, call_sid=call_sid)
        return str(VoiceResponse())

    async def sms(self, request: web.Request, form: Form) -> str:
        """An inbound SMS: STOP (and its synonyms) opts the number out of surveys, START opts it back in."""
        word = form.get("Body", "").strip().upper()
        try:
            phone = to_e164(form.get("From", ""))
        except InvalidPhoneError as exc:
            raise BadWebhookError("From is not a phone number") from exc
        now = self._clock()
        async with self._sessions() as session, session.begin():
            if word in STOP_WORDS:
                await survey_store.opt_out(session, key=survey_store.phone_key(phone), now=now)
                skipped = await survey_store.skip_pending_for_phone(session, e164=phone, now=now)
                log.info("a number opted out of surveys; %d pending survey(s) skipped", skipped)
            elif word in START_WORDS:
                await survey_store.opt_in(session, key=survey_store.phone_key(phone))
        # Twilio answers STOP and START itself on its numbers: nothing to add.
        return str(MessagingResponse())

    # -- helpers ---------------------------------------------------------------------------------------------

    async def _still_open(self, session: AsyncSession, survey: SurveyPublic, now: datetime) -> bool:
        facts, _ = await survey_store.closed_case(session, case_id=survey.case_id)
        keys = [survey_store.account_key(survey.k_number), survey_store.phone_key(survey.phone)]
        out = await survey_store.opted_out(session, keys=keys)
        return eligibility(self.config.policy, facts, now, opted_out=out) is Eligibility.DUE

    async def _record(self, survey_id: int, call_sid: str, **answers: object) -> SurveyPublic | None:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            survey = await survey_store.record_call_answer(
                session,
                survey_id=survey_id,
                call_sid=call_sid,
                now=now,
                **answers,  # type: ignore[arg-type]
            )
            if survey is None or survey.status != SurveyStatus.ANSWERED.value:
                return None
            await follow_up_if_unhappy(session, config=self.config, survey=survey, now=now)
        return survey

    def _ask(self, response: VoiceResponse, step: str, survey_id: int, said: str, *, digits: int) -> None:
        gather = response.gather(
            input="dtmf",
            num_digits=digits,
            finish_on_key="#",
            timeout=GATHER_SECONDS,
            action=self.config.webhook(step, survey_id),
            method="POST",
            action_on_empty_result=False,
        )
        gather.say(said)

    def _again(self, request: web.Request, step: str, survey_id: int, said: str, *, digits: int) -> str:
        """One more chance after a wrong key; a second wrong key ends the call politely."""
        if request.query.get("again"):
            return _goodbye(words.call_thanks(LOCALE))
        response = VoiceResponse()
        gather = response.gather(
            input="dtmf",
            num_digits=digits,
            finish_on_key="#",
            timeout=GATHER_SECONDS,
            action=self.config.webhook(step, survey_id) + "&again=1",
            method="POST",
        )
        gather.say(said)
        response.say(words.call_thanks(LOCALE))
        response.hangup()
        return str(response)


def _goodbye(said: str) -> str:
    response = VoiceResponse()
    response.say(said)
    response.hangup()
    return str(response)


def _survey_id(request: web.Request) -> int:
    raw = request.query.get("survey", "")
    if not raw.isdigit() or len(raw) > 12:
        raise BadWebhookError("the survey parameter must be a survey id")
    return int(raw)


def _call_sid(form: Form) -> str:
    sid = form.get("CallSid", "")
    if not sid.startswith("CA") or len(sid) > 64:
        raise BadWebhookError("CallSid is missing")
    return sid


Webhook = Callable[[SurveyCalls, web.Request, Form], Awaitable[str]]

ROUTES: dict[str, Webhook] = {
    "/twilio/survey/answer": SurveyCalls.answer,
    "/twilio/survey/nps": SurveyCalls.nps,
    "/twilio/survey/csat": SurveyCalls.csat,
    "/twilio/survey/comment": SurveyCalls.comment,
    "/twilio/survey/status": SurveyCalls.status,
    "/twilio/sms": SurveyCalls.sms,
}


def signed(calls: SurveyCalls, webhook: Webhook) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler of one webhook: refuse anything Twilio did not sign for this public URL."""

    async def handle(request: web.Request) -> web.StreamResponse:
        token = calls.config.voice.auth_token
        if not token:
            raise VoiceNotConfiguredError("TWILIO_AUTH_TOKEN is not set: webhooks cannot be verified")
        if request.content_type != "application/x-www-form-urlencoded":
            raise UnsupportedMediaTypeError("Twilio webhooks are form-encoded")
        params = await read_form(request)
        url = public_url(calls.config.voice.public_base_url, request.raw_path)
        verdict = verify(auth_token=token, url=url, params=params, signature=request.headers.get(SIGNATURE_HEADER))
        if verdict is not Verdict.VALID:
            log.warning("refused %s webhook: signature %s", request.path, verdict.value)
            raise BadSignatureError(f"X-Twilio-Signature is {verdict.value} for this URL")
        return web.Response(text=await webhook(calls, request, params), content_type="text/xml")

    return handle
