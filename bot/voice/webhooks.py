"""The edge of the phone line: the /twilio/* routes, each verified and answered as TwiML, and what a caller
hears while the database is down. What each webhook does is bot/voice/routes.py's VoiceLine."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from botbuilder.core import Bot
from twilio.twiml.voice_response import VoiceResponse
from yarl import URL

from bot.errors import (
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    ServiceError,
    UnsupportedMediaTypeError,
    database_unavailable_response,
    is_database_unavailable,
    request_label,
)
from bot.forms import read_form
from bot.voice import twiml
from bot.voice.adapter import TwilioVoiceAdapter
from bot.voice.config import VoiceConfig
from bot.voice.routes import Form, VoiceLine, parse_digits
from bot.voice.signature import SIGNATURE_HEADER, Verdict, public_url, verify
from bot.voice.twiml import WebhookError
from intake import wording_service as ws
from intake.clock import Clock
from store.db import SessionMaker
from store.errors import CaseNotFoundError
from store.jobs import Jobs

__all__ = ["VOICE_LINE", "outage_twiml", "setup_voice"]

log = logging.getLogger(__name__)

# While the database is down, a caller hears "one moment" and the webhook is asked again this many times.
OUTAGE_REDIRECTS = 5
_OUTAGE_PAUSE_SECONDS = 2
_OUTAGE_PARAM = "outage"


class UnknownCaseError(NotFoundError):
    """A webhook names a case this service has no record of."""

    code = "unknown_case"


class BadWebhookError(BadRequestError):
    """A signed webhook whose parameters are not what Twilio sends."""

    code = "bad_webhook"


class BadSignatureError(ForbiddenError):
    """X-Twilio-Signature is missing or does not sign this URL and these parameters: a forged webhook."""

    code = "bad_signature"


class VoiceNotConfiguredError(ServiceError):
    """No Twilio auth token is configured, so no webhook can be verified."""

    status = 503
    code = "voice_not_configured"


# --- wiring ----------------------------------------------------------------------------------------

VOICE_LINE = web.AppKey("voice_line", VoiceLine)

Webhook = Callable[[VoiceLine, web.Request, Form], Awaitable[str]]

_ROUTES: dict[str, Webhook] = {
    "/twilio/voice": VoiceLine.answer,
    "/twilio/gather": VoiceLine.gather,
    "/twilio/dial-status": VoiceLine.dial_status,
    "/twilio/whisper": VoiceLine.whisper,
    "/twilio/whisper-accept": VoiceLine.whisper_accept,
    "/twilio/voicemail": VoiceLine.voicemail,
    "/twilio/status": VoiceLine.status,
}


def setup_voice(
    app: web.Application,
    *,
    config: VoiceConfig,
    bot: Bot,
    session_maker: SessionMaker,
    clock: Clock,
    adapter: TwilioVoiceAdapter | None = None,
    jobs: Jobs | None = None,
) -> VoiceLine:
    """Add the /twilio/* webhooks, answered by `bot` on the database of `session_maker` (and `jobs`, the app's
    store jobs on it, when given)."""
    line = VoiceLine(
        config=config,
        adapter=adapter or TwilioVoiceAdapter(),
        bot=bot,
        sessions=session_maker,
        clock=clock,
        jobs=jobs,
    )
    app[VOICE_LINE] = line
    for path, webhook in _ROUTES.items():
        app.router.add_post(path, _handler(line, webhook))
    return line


def _handler(line: VoiceLine, webhook: Webhook) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        if not line.config.auth_token:
            raise VoiceNotConfiguredError("TWILIO_AUTH_TOKEN is not set: webhooks cannot be verified")
        if request.content_type != "application/x-www-form-urlencoded":
            raise UnsupportedMediaTypeError("Twilio webhooks are form-encoded")
        params: Form = await read_form(request)
        url = public_url(line.config.public_base_url, request.raw_path)
        verdict = verify(
            auth_token=line.config.auth_token,
            url=url,
            params=params,
            signature=request.headers.get(SIGNATURE_HEADER),
        )
        if verdict is not Verdict.VALID:
            log.warning("refused %s webhook: signature %s", request.path, verdict.value)
            raise BadSignatureError(f"X-Twilio-Signature is {verdict.value} for this URL")
        try:
            document = await webhook(line, request, params)
        except WebhookError as exc:
            raise BadWebhookError(str(exc)) from exc
        except CaseNotFoundError as exc:
            raise UnknownCaseError(str(exc)) from exc
        except ServiceError:
            raise
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            # Twilio plays its own error message for a non-TwiML answer: keep the caller with us instead.
            outage = outage_twiml(line.config, request, params)
            log.warning(
                "%s: database unavailable (%s), %s",
                request_label(request),
                type(exc).__name__,
                "answered 503" if outage is None else "asked the caller to hold",
            )
            if outage is None:
                return database_unavailable_response()
            document = outage
        return web.Response(text=document, content_type="text/xml")

    return handle


def outage_twiml(config: VoiceConfig, request: web.Request, params: Form | None = None) -> str | None:
    """What the caller hears when a webhook cannot reach the database (None: nobody is listening)."""
    path = request.path
    if path == "/twilio/status":
        return None  # a status callback: Twilio reads no TwiML from it
    if path == "/twilio/whisper":
        # The engineer is briefed all the same, without the case's details, and asked to press 1.
        attempt = parse_digits(request.query.get("attempt", "")) or 0
        case_number = request.query.get("case", "")
        return twiml.whisper_twiml(config, case_number=case_number, attempt=attempt, k_number="", summary="")
    if path == "/twilio/whisper-accept":
        # The key cannot be recorded: put a person who pressed 1 through rather than lose the caller.
        return twiml.whisper_answer_twiml(accepted=params is not None and params.get("Digits", "").strip() == "1")
    response = VoiceResponse()
    if path == "/twilio/voicemail":
        response.say(ws.phone_outage_goodbye())
        response.hangup()
        return str(response)
    step = parse_digits(request.query.get("step", ""))
    if path == "/twilio/gather" and step:
        # Ask for the same step again (the words did not reach the bot); its keypad is the previous step's.
        prompt = twiml.Prompt(say=f"{ws.one_moment()} {ws.phone_retry()}")
        return twiml.plan_to_twiml(twiml.TurnPlan(prompt=prompt), config=config, step=step - 1)
    tries = parse_digits(request.query.get(_OUTAGE_PARAM, "")) or 0
    if tries >= OUTAGE_REDIRECTS:
        response.say(ws.phone_outage_goodbye())
        response.hangup()
        return str(response)
    response.say(ws.one_moment())
    response.pause(length=_OUTAGE_PAUSE_SECONDS)
    again = URL(public_url(config.public_base_url, request.raw_path)).update_query({_OUTAGE_PARAM: str(tries + 1)})
    response.redirect(str(again), method="POST")
    return str(response)
