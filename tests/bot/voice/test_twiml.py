"""The pure translation: webhook form -> Activity, bot activities -> TwiML (checked by parsing it)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from botbuilder.schema import Activity, ActivityTypes, InputHints

from bot.voice import twiml
from bot.voice.twiml import TurnKind, WebhookError, form_to_activity
from tests.bot.voice.harness import CALLER, ONCALL, PUBLIC, SUPPORT, T0, call_params, voice_config

SID = "CA" + "ab" * 16


def _message(text: str, *, expects: str = "text", hint: str = InputHints.expecting_input, **intake: object) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        text=text,
        input_hint=hint,
        channel_data={"intake": {"expects": expects, **intake}},
    )


def _render(*activities: Activity, step: int = 0, **config: object) -> ET.Element:
    return ET.fromstring(twiml.activities_to_twiml(list(activities), config=voice_config(**config), step=step))


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# --- form -> activity -------------------------------------------------------------------------------------


def test_answer_becomes_conversation_update_with_caller_id() -> None:
    activity = form_to_activity(
        call_params(SID, From="(415) 555-2671"), kind=TurnKind.ANSWER, step=0, public_base_url=PUBLIC, now=T0
    )
    assert activity.type == ActivityTypes.conversation_update
    assert activity.channel_id == "twilio-voice"
    assert activity.conversation.id == SID
    assert activity.from_property.id == CALLER
    assert [m.id for m in activity.members_added] == [CALLER]
    assert activity.channel_data == {"twilio": {"from": CALLER}}
    assert activity.recipient.id != CALLER


@pytest.mark.parametrize("raw", ["Anonymous", "+266696687", "", "sip:someone@example.com"])
def test_withheld_caller_id_gets_a_per_call_user(raw: str) -> None:
    activity = form_to_activity(
        call_params(SID, From=raw), kind=TurnKind.ANSWER, step=0, public_base_url=PUBLIC, now=T0
    )
    assert activity.channel_data == {"twilio": {"from": None}}
    assert activity.from_property.id == f"anonymous:{SID}"


def test_speech_becomes_message_with_confidence() -> None:
    form = call_params(SID, SpeechResult="  The whole   system is down ", Confidence="0.87")
    activity = form_to_activity(form, kind=TurnKind.GATHER, step=3, public_base_url=PUBLIC, now=T0)
    assert activity.type == ActivityTypes.message
    assert activity.text == "The whole system is down"
    assert activity.channel_data == {
        "twilio": {"digits": None, "speech": "The whole system is down", "confidence": 0.87, "from": CALLER}
    }
    assert activity.from_property.id == CALLER
    assert activity.id == f"{SID}:3"


def test_digits_become_text_and_keypad_maps_yes_no() -> None:
    digits = form_to_activity(
        call_params(SID, Digits="123456#"), kind=TurnKind.GATHER, step=1, public_base_url=PUBLIC, now=T0
    )
    assert digits.text == "123456"
    assert digits.channel_data["twilio"] == {"digits": "123456", "speech": None, "confidence": None, "from": CALLER}
    yes = form_to_activity(
        call_params(SID, Digits="1"),
        kind=TurnKind.GATHER,
        step=2,
        public_base_url=PUBLIC,
        now=T0,
        keypad={"1": "yes", "2": "no"},
    )
    assert yes.text == "yes"
    assert yes.channel_data["twilio"]["digits"] == "1"


def test_empty_result_becomes_no_input_event() -> None:
    activity = form_to_activity(
        call_params(SID, SpeechResult="", Digits=""), kind=TurnKind.GATHER, step=2, public_base_url=PUBLIC, now=T0
    )
    assert activity.type == ActivityTypes.event
    assert activity.name == "intake.no_input"


def test_hangup_becomes_event() -> None:
    activity = form_to_activity(
        call_params(SID, CallStatus="completed"), kind=TurnKind.HANGUP, step=-1, public_base_url=PUBLIC, now=T0
    )
    assert (activity.type, activity.name) == (ActivityTypes.event, "intake.hangup")


@pytest.mark.parametrize(
    "extra",
    [
        {"CallSid": "CA123"},
        {"Digits": "1x"},
        {"SpeechResult": "hi", "Confidence": "nan"},
        {"SpeechResult": "hi", "Confidence": "1.5"},
    ],
)
def test_malformed_forms_raise(extra: dict[str, str]) -> None:
    with pytest.raises(WebhookError):
        form_to_activity(call_params(SID, **extra), kind=TurnKind.GATHER, step=1, public_base_url=PUBLIC, now=T0)


# --- activities -> TwiML ----------------------------------------------------------------------------------


def test_prompt_expecting_input_is_wrapped_in_gather() -> None:
    root = _render(
        _message("Welcome to support.", expects="none", hint=InputHints.accepting_input),
        _message(
            "Please key in your account number, then press pound.",
            expects="digits",
            max_digits=10,
            hints=["account number"],
        ),
        step=0,
    )
    assert [child.tag for child in root] == ["Say", "Gather"]
    assert root[0].text == "Welcome to support."
    gather = root[1]
    assert gather.get("input") == "speech dtmf"
    assert gather.get("speechTimeout") == "auto"
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("action") == PUBLIC + "/twilio/gather?step=1"
    assert gather.get("method") == "POST"
    assert gather.get("finishOnKey") == "#"
    assert gather.get("numDigits") == "10"
    assert gather.get("hints") == "account number"
    assert [say.text for say in gather.findall("Say")] == ["Please key in your account number, then press pound."]


YES_NO = [{"value": "yes", "label": "Yes", "digit": "1"}, {"value": "no", "label": "No", "digit": "2"}]


def test_yes_no_prompt_takes_one_key_and_hints_the_words() -> None:
    gather = _render(_message("Is it down for everyone?", expects="yes_no", choices=YES_NO), step=4).find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert gather.get("action") == PUBLIC + "/twilio/gather?step=5"
    assert set(gather.get("hints", "").split(", ")) == {"yes", "no"}
    plan = twiml.plan_turn([_message("?", expects="yes_no", choices=YES_NO)])
    assert plan.prompt is not None and plan.prompt.keypad == {"1": "yes", "2": "no"}


def test_the_keypad_is_the_dialogues_own_keys_never_positions() -> None:
    # Severity 3 proposed: the dialogue gives Severity N the key N and yes the key 3.
    choices = [
        {"value": "yes", "label": "Yes, that's right", "digit": "3"},
        {"value": "sev1", "label": "Severity 1: service down", "digit": "1"},
        {"value": "sev2", "label": "Severity 2: severely degraded", "digit": "2"},
        {"value": "sev4", "label": "Severity 4: question or change request", "digit": "4"},
    ]
    plan = twiml.plan_turn([_message("Is that right?", expects="choice", choices=choices)])
    assert plan.prompt is not None
    assert plan.prompt.keypad == {"3": "yes", "1": "sev1", "2": "sev2", "4": "sev4"}


def test_choice_prompt_maps_digits_to_values() -> None:
    choices = [
        {"value": "new", "label": "A new problem", "digit": "1"},
        {"value": "update", "label": "An existing case", "digit": "2"},
    ]
    plan = twiml.plan_turn([_message("Which?", expects="choice", choices=choices)])
    assert plan.prompt is not None
    assert plan.prompt.keypad == {"1": "new", "2": "update"}
    gather = _render(_message("Which?", expects="choice", choices=choices)).find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    assert "A new problem" in gather.get("hints", "")


def test_speak_is_preferred_and_ssml_reduced_to_plain_text() -> None:
    activity = _message("**Case** 2611-0001", expects="none", hint=InputHints.accepting_input)
    activity.speak = (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis">Case '
        '<say-as interpret-as="characters">2611</say-as><break time="200ms"/> is '
        '<emphasis>open</emphasis> &amp; <sub alias="Sev one">Sev1</sub>.</speak>'
    )
    root = _render(activity, _message("Anything else?"))
    assert root[0].tag == "Say"
    assert root[0].text == "Case 2 6 1 1 is open & Sev one."
    assert "<" not in ET.tostring(root[0], encoding="unicode").replace("<Say>", "").replace("</Say>", "")


def test_text_fallback_drops_markdown() -> None:
    root = _render(
        _message("See **[the portal](https://x.test)** for `details`", expects="none", hint=InputHints.accepting_input),
        _message("Next?"),
    )
    assert root[0].text == "See the portal for details"
    assert twiml.markdown_to_text("# Heading\nHave your K# ready") == "Heading Have your K# ready"


def test_broken_ssml_still_speaks_words() -> None:
    assert twiml.ssml_to_text("<speak>Hello <break>world") == "Hello world"


def test_end_of_conversation_says_then_hangs_up() -> None:
    root = _render(
        _message("Case 2611-0002 recorded. Goodbye.", expects="none", hint=InputHints.ignoring_input),
        Activity(type=ActivityTypes.end_of_conversation),
    )
    assert [child.tag for child in root] == ["Say", "Hangup"]


def test_connect_oncall_dials_first_engineer_with_whisper() -> None:
    root = _render(
        _message("Connecting you to an engineer.", expects="none", hint=InputHints.ignoring_input),
        Activity(
            type=ActivityTypes.event,
            name="intake.connect_oncall",
            value={"case_number": "2611-0007", "k_number": "K123456", "summary": "All down"},
        ),
        step=3,
    )
    assert [child.tag for child in root] == ["Say", "Dial"]
    dial = root[1]
    assert dial.get("callerId") == SUPPORT
    assert dial.get("timeout") == "15"
    assert dial.get("action") == PUBLIC + "/twilio/dial-status?next=1"
    numbers = dial.findall("Number")
    assert [n.text for n in numbers] == [ONCALL[0]]
    assert numbers[0].get("url") == PUBLIC + "/twilio/whisper?case=2611-0007&attempt=0"


def test_connect_oncall_without_numbers_goes_straight_to_the_fallback() -> None:
    root = _render(
        Activity(type=ActivityTypes.event, name="intake.connect_oncall", value={"case_number": "2611-0007"}),
        oncall_numbers=(),
    )
    assert [child.tag for child in root] == ["Redirect"]
    assert root[0].text == PUBLIC + "/twilio/dial-status?next=0"


def test_silent_activities_and_empty_turns_still_listen() -> None:
    root = _render(Activity(type=ActivityTypes.typing), step=2)
    assert [child.tag for child in root] == ["Gather"]
    assert root[0].get("action") == PUBLIC + "/twilio/gather?step=3"


def test_dial_chain_and_fallback_documents() -> None:
    config = voice_config()
    second = ET.fromstring(twiml.dial_twiml(config, case_number="2611-0007", attempt=1))
    dial = second.find("Dial")
    assert dial is not None
    assert _query(dial.get("action", "")) == {"next": ["2"]}
    assert [n.text for n in dial.findall("Number")] == [ONCALL[1]]

    voicemail = ET.fromstring(twiml.voicemail_twiml(config, case_number="2611-0007"))
    assert [child.tag for child in voicemail] == ["Say", "Record", "Say", "Hangup"]
    assert "escalated" in (voicemail[0].text or "")
    # One spelling on the phone: the voicemail reads the case number as the dialogue does when it records it.
    assert "Case 2 6 1 1, 0 0 0 7 has been escalated" in (voicemail[0].text or "")
    assert voicemail[1].get("action") == PUBLIC + "/twilio/voicemail"

    whisper = ET.fromstring(
        twiml.whisper_twiml(config, case_number="2611-0007", attempt=1, k_number="K12", summary="All down")
    )
    said = whisper.findtext("Gather/Say") or ""
    assert "2 6 1 1, 0 0 0 7" in said and "K 1 2" in said and "All down" in said
    assert said.endswith("Press 1 to take the call.")
    # Only a key takes the call; silence (a voicemail) posts an empty answer, which hangs up on it.
    gather = whisper.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1" and gather.get("actionOnEmptyResult") == "true"
    assert gather.get("action") == PUBLIC + "/twilio/whisper-accept?case=2611-0007&attempt=1"
    assert [c.tag for c in ET.fromstring(twiml.whisper_answer_twiml(accepted=True))] == []
    declined = ET.fromstring(twiml.whisper_answer_twiml(accepted=False))
    assert [c.tag for c in declined] == ["Say", "Hangup"]
