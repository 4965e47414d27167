"""Pure translation between Twilio Voice and the Bot Framework: webhook form -> Activity -> TwiML."""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import quote

from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    InputHints,
    RoleTypes,
)
from twilio.twiml.voice_response import Gather, VoiceResponse

from bot.contract import EVENT_CONNECT_ONCALL, EVENT_HANGUP, EVENT_NO_INPUT, VOICE_CHANNEL_ID
from bot.voice.config import VoiceConfig
from intake import wording_service as ws
from intake.phones import InvalidPhoneError, to_e164

BOT_ID = "support-intake"

_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
_DIGITS = re.compile(r"[0-9*#]*")
# Twilio's documented limits for <Gather hints>: phrases of at most 100 characters.
_MAX_HINT_CHARS = 100
_MAX_HINTS = 50
_MAX_SAY_CHARS = 4000  # <Say> refuses longer text


class WebhookError(ValueError):
    """A webhook body this service cannot read (answered with 400)."""


class TurnKind(Enum):
    """Which webhook a bot turn comes from."""

    ANSWER = "answer"  # the call was answered: the dialogue starts
    GATHER = "gather"  # a <Gather> finished: speech, digits or nothing
    HANGUP = "hangup"  # the status callback reported the end of the call


# --- webhook -> activity ---------------------------------------------------------------------------


def call_sid_of(form: Mapping[str, str]) -> str:
    """Return the form's CallSid; raise WebhookError when it is missing or not a call SID."""
    sid = form.get("CallSid", "")
    if not _CALL_SID.fullmatch(sid):
        raise WebhookError("CallSid missing or malformed")
    return sid


def caller_e164(raw: str | None) -> str | None:
    """Return the caller's number in E.164 (national numbers read as US), None when withheld or invalid."""
    if not raw:
        return None
    try:
        return to_e164(raw)
    except InvalidPhoneError:
        return None  # "Anonymous", "Restricted", SIP URIs: no caller ID to look up


def form_to_activity(
    form: Mapping[str, str],
    *,
    kind: TurnKind,
    step: int,
    public_base_url: str,
    now: datetime,
    keypad: Mapping[str, str] | None = None,
) -> Activity:
    """Translate one webhook into the Activity the bot receives (docs/ARCHITECTURE.md's contract)."""
    call_sid = call_sid_of(form)
    caller = caller_e164(form.get("From"))
    # Withheld numbers still need a per-call user id, or every anonymous caller would share user state.
    user = ChannelAccount(id=caller or f"anonymous:{call_sid}", role=RoleTypes.user)
    activity = Activity(
        id=f"{call_sid}:{step}",
        timestamp=now,
        local_timestamp=now,
        channel_id=VOICE_CHANNEL_ID,
        service_url=public_base_url,
        conversation=ConversationAccount(id=call_sid),
        from_property=user,
        recipient=ChannelAccount(id=BOT_ID, role=RoleTypes.bot),
        locale="en-US",
    )
    if kind is TurnKind.ANSWER:
        activity.type = ActivityTypes.conversation_update
        activity.members_added = [user]
        activity.channel_data = {"twilio": {"from": caller}}
    elif kind is TurnKind.HANGUP:
        activity.type = ActivityTypes.event
        activity.name = EVENT_HANGUP
        activity.channel_data = {"twilio": {"status": form.get("CallStatus", "completed")}}
    else:
        speech, digits, confidence = _gathered(form)
        if not speech and not digits:
            activity.type = ActivityTypes.event
            activity.name = EVENT_NO_INPUT
        else:
            activity.type = ActivityTypes.message
            activity.text = speech or (keypad or {}).get(digits, digits)
            activity.channel_data = {
                "twilio": {"digits": digits or None, "speech": speech or None, "confidence": confidence}
            }
    if caller and isinstance(activity.channel_data, dict):
        # Twilio sends the caller's number with every webhook: every turn may rely on it (caller ID
        # for a status lookup, the per-caller limits), not only the first.
        activity.channel_data["twilio"]["from"] = caller
    return activity


def _gathered(form: Mapping[str, str]) -> tuple[str, str, float | None]:
    speech = " ".join(form.get("SpeechResult", "").split())
    digits = form.get("Digits", "").strip()
    if not _DIGITS.fullmatch(digits):
        raise WebhookError("Digits must be keypad characters")
    # Twilio leaves the finishing '#' out; a caller's stray one must not reach the dialogue either.
    digits = digits.rstrip("#")
    raw_confidence = form.get("Confidence", "").strip()
    confidence: float | None = None
    if raw_confidence:
        try:
            confidence = float(raw_confidence)
        except ValueError as exc:
            raise WebhookError("Confidence must be a number") from exc
        if not (math.isfinite(confidence) and 0.0 <= confidence <= 1.0):
            raise WebhookError("Confidence must be between 0 and 1")
    return speech, digits, confidence


# --- activities -> plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """The message a <Gather> wraps, with how the caller may answer it."""

    say: str
    expects: str = "text"
    max_digits: int | None = None
    hints: tuple[str, ...] = ()
    keypad: Mapping[str, str] = field(default_factory=dict)  # digit -> answer text (yes/no, choices)


@dataclass(frozen=True)
class Handoff:
    """The bot's request to ring the on-call engineers for a case (the whisper reads the case itself)."""

    case_number: str


@dataclass(frozen=True)
class TurnPlan:
    """What the bot's activities for one turn ask the phone line to do."""

    says: tuple[str, ...] = ()
    prompt: Prompt | None = None
    handoff: Handoff | None = None
    ends: bool = False


def plan_turn(activities: Sequence[Activity]) -> TurnPlan:
    """Read the bot's buffered activities: what to say, what to gather, whether to dial or hang up."""
    spoken = [(a, speech_of(a)) for a in activities if a.type == ActivityTypes.message]
    messages = [(a, text) for a, text in spoken if text]
    handoff = next((h for h in map(_handoff_of, activities) if h is not None), None)
    ends = any(a.type == ActivityTypes.end_of_conversation for a in activities)
    prompt = None
    if messages and handoff is None and not ends and messages[-1][0].input_hint != InputHints.ignoring_input:
        last, text = messages.pop()
        prompt = _prompt_of(last, text)
    return TurnPlan(says=tuple(text for _, text in messages), prompt=prompt, handoff=handoff, ends=ends)


def _handoff_of(activity: Activity) -> Handoff | None:
    if activity.type != ActivityTypes.event or activity.name != EVENT_CONNECT_ONCALL:
        return None
    value = activity.value if isinstance(activity.value, dict) else {}
    number = value.get("case_number")
    if not isinstance(number, str) or not number:
        return None
    return Handoff(case_number=number)


def _prompt_of(activity: Activity, say: str) -> Prompt:
    intake = _intake_data(activity)
    expects = str(intake.get("expects") or "text")
    choices = [c for c in intake.get("choices") or [] if isinstance(c, dict)]
    hints = [str(h) for h in intake.get("hints") or [] if h]
    keypad: dict[str, str] = {}
    if expects in ("yes_no", "choice"):
        # The keys are the dialogue's (intake/wording.py gives them); the line only remembers them.
        keypad = {
            str(c["digit"]): str(c.get("value") or c["label"])
            for c in choices
            if c.get("digit") and (c.get("value") or c.get("label"))
        }
        hints += ["yes", "no"] if expects == "yes_no" else [str(c["label"]) for c in choices if c.get("label")]
    max_digits = intake.get("max_digits")
    return Prompt(
        say=say,
        expects=expects,
        max_digits=max_digits if isinstance(max_digits, int) and max_digits > 0 else None,
        # Twilio splits hints on commas, so a phrase keeps none.
        hints=tuple(dict.fromkeys(_squash(h.replace(",", " "))[:_MAX_HINT_CHARS] for h in hints))[:_MAX_HINTS],
        keypad=keypad,
    )


def _intake_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    intake = data.get("intake")
    return intake if isinstance(intake, dict) else {}


# --- speech text -----------------------------------------------------------------------------------


def speech_of(activity: Activity) -> str:
    """Return what <Say> should read for a message: its `speak` reduced to plain text, else its text."""
    speak = ssml_to_text(activity.speak or "")
    return (speak or markdown_to_text(activity.text or ""))[:_MAX_SAY_CHARS]


def ssml_to_text(ssml: str) -> str:
    """Reduce SSML (or plain text) to the plain words <Say> reads with any voice."""
    if "<" not in ssml:
        return _squash(ssml)
    try:
        root = ET.fromstring(ssml if ssml.lstrip().startswith("<speak") else f"<speak>{ssml}</speak>")
    except ET.ParseError:
        return _squash(html.unescape(re.sub(r"<[^>]*>", " ", ssml)))
    # Fragments are joined with spaces (a <break/> separates words); no space before punctuation, though.
    return re.sub(r" ([.,;:!?])", r"\1", _squash(" ".join(_ssml_words(root))))


def _ssml_words(element: ET.Element) -> list[str]:
    words = [element.text or ""]
    for child in element:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "sub" and child.get("alias"):
            words.append(child.get("alias") or "")
        elif tag == "say-as" and child.get("interpret-as") in ("characters", "spell-out", "digits"):
            # Spaced characters make every engine read "K 1 2 3" rather than "K one hundred twenty-three".
            words.append(" ".join("".join(child.itertext()).replace(" ", "")))
        else:
            words.extend(_ssml_words(child))
        words.append(child.tail or "")
    return words


def markdown_to_text(text: str) -> str:
    """Strip chat formatting (links, emphasis, code marks) that text-to-speech would read aloud."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(?m)^\s*[#>]+\s*", "", text)  # headings and quotes; a "K#" inside a sentence stays
    return _squash(re.sub(r"[*_`]+", "", text))


def _squash(text: str) -> str:
    return " ".join(text.split())


# --- plan -> TwiML ---------------------------------------------------------------------------------


def gather_url(config: VoiceConfig, step: int) -> str:
    """Return the public URL of the webhook for gather `step`."""
    return config.url(f"/twilio/gather?step={step}")


def dial_status_url(config: VoiceConfig, next_attempt: int) -> str:
    """Return the public URL Twilio calls when a <Dial> ends (`next` = the attempt to try on failure)."""
    return config.url(f"/twilio/dial-status?next={next_attempt}")


def whisper_url(config: VoiceConfig, case_number: str, attempt: int) -> str:
    """Return the public URL of the whisper on-call number `attempt` hears before being connected."""
    return config.url(f"/twilio/whisper?case={quote(case_number, safe='')}&attempt={attempt}")


def whisper_accept_url(config: VoiceConfig, case_number: str, attempt: int) -> str:
    """Return the public URL of the engineer's answer to the whisper (the key pressed)."""
    return config.url(f"/twilio/whisper-accept?case={quote(case_number, safe='')}&attempt={attempt}")


def voicemail_url(config: VoiceConfig) -> str:
    """Return the public URL Twilio posts the voicemail recording to."""
    return config.url("/twilio/voicemail")


def activities_to_twiml(activities: Sequence[Activity], *, config: VoiceConfig, step: int) -> str:
    """Render one bot turn (the webhook of `step`) as TwiML."""
    return plan_to_twiml(plan_turn(activities), config=config, step=step)


def plan_to_twiml(plan: TurnPlan, *, config: VoiceConfig, step: int) -> str:
    """Render a TurnPlan: Say each message, then Dial, Hangup or a Gather wrapping the prompt."""
    response = VoiceResponse()
    for text in plan.says:
        response.say(text)
    if plan.handoff is not None:
        if config.oncall_numbers:
            _dial(response, config, plan.handoff.case_number, attempt=0)
        else:
            # Nobody to ring: the dial-status webhook runs the same no-answer path (voicemail, page).
            response.redirect(dial_status_url(config, 0), method="POST")
    elif plan.ends:
        response.hangup()
    else:
        response.append(_gather(plan.prompt, config=config, step=step))
    return str(response)


def _gather(prompt: Prompt | None, *, config: VoiceConfig, step: int) -> Gather:
    attrs: dict[str, Any] = {
        "input": "speech dtmf",
        "action": gather_url(config, step + 1),
        "method": "POST",
        "speech_timeout": "auto",
        "action_on_empty_result": True,
    }
    if prompt is not None:
        if prompt.hints:
            attrs["hints"] = ", ".join(prompt.hints)
        if prompt.expects == "digits":
            attrs["finish_on_key"] = "#"
            if prompt.max_digits:
                attrs["num_digits"] = prompt.max_digits
        elif prompt.keypad:
            attrs["num_digits"] = max(len(d) for d in prompt.keypad)
    gather = Gather(**attrs)
    if prompt is not None:
        gather.say(prompt.say)
    return gather


def dial_twiml(config: VoiceConfig, *, case_number: str, attempt: int) -> str:
    """Ring on-call number `attempt` (0-based) with a whisper; the next attempt follows on failure."""
    response = VoiceResponse()
    _dial(response, config, case_number, attempt=attempt)
    return str(response)


def _dial(response: VoiceResponse, config: VoiceConfig, case_number: str, *, attempt: int) -> None:
    dial = response.dial(
        caller_id=config.support_phone,
        timeout=config.dial_timeout,
        action=dial_status_url(config, attempt + 1),
        method="POST",
    )
    dial.number(config.oncall_numbers[attempt], url=whisper_url(config, case_number, attempt), method="POST")


# Seconds the engineer has to press 1 after the briefing before the call moves on to the next number.
WHISPER_KEY_SECONDS = 8


def whisper_twiml(config: VoiceConfig, *, case_number: str, attempt: int, k_number: str, summary: str) -> str:
    """What the engineer hears before the caller is put through: the case, then "press 1 to take the call".

    Only a person presses 1: a voicemail or an answering machine hears the briefing, presses nothing and is
    hung up on, so the caller is never put through to a mailbox and the next number is rung.
    """
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1,
        timeout=WHISPER_KEY_SECONDS,
        action=whisper_accept_url(config, case_number, attempt),
        method="POST",
        action_on_empty_result=True,
    )
    gather.say(ws.whisper(case_number, k_number, _squash(summary)[:600]))
    return str(response)


def whisper_answer_twiml(*, accepted: bool) -> str:
    """After the engineer's key: nothing more (Twilio then bridges the caller), or a goodbye and hang up."""
    response = VoiceResponse()
    if not accepted:
        response.say(ws.whisper_declined())
        response.hangup()
    return str(response)


def voicemail_twiml(config: VoiceConfig, *, case_number: str) -> str:
    """Nobody answered: tell the caller what happens next and take a message."""
    response = VoiceResponse()
    response.say(ws.voicemail_invite(case_number))
    response.record(action=voicemail_url(config), method="POST", max_length=180, play_beep=True, finish_on_key="#")
    response.say(ws.voicemail_none(case_number))
    response.hangup()
    return str(response)


def voicemail_saved_twiml(*, case_number: str) -> str:
    """Thank the caller for the message and end the call."""
    response = VoiceResponse()
    response.say(ws.voicemail_saved(case_number))
    response.hangup()
    return str(response)


def connected_twiml() -> str:
    """The engineer's leg ended: say goodbye to the caller."""
    response = VoiceResponse()
    response.say(ws.call_ended())
    response.hangup()
    return str(response)


def retry_twiml(config: VoiceConfig, *, step: int) -> str:
    """Ask again when a turn could not be completed (its first delivery died mid-way)."""
    prompt = Prompt(say=ws.phone_retry())
    return plan_to_twiml(TurnPlan(prompt=prompt), config=config, step=step)


def empty_twiml() -> str:
    """A TwiML document with nothing to do (status callbacks)."""
    return str(VoiceResponse())
