"""The intake dialogue, chat and phone, inside and outside chat hours, with the instant injected."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from intake import numbers_times, prompts, understanding
from intake.case_numbers import KEYPAD_MAX_DIGITS
from intake.conversation import start, step
from intake.dialogue_events import (
    CaseCreated,
    CaseLookup,
    ConnectOnCall,
    Context,
    CreateCase,
    Effect,
    Event,
    HangUp,
    KnownAccount,
    LookupCase,
    NoteAttachment,
    RequestHandoff,
    Resume,
    Start,
    Step,
    UserTurn,
)
from intake.dialogue_state import Assessment, Phase, State, Told
from intake.domain import CaseStatus, CaseSummary, Channel, NaiveDatetimeError, Outcome, Severity
from intake.guided_questions import QUESTIONS, Question, Triage
from intake.limits import TextLimits
from intake.policy import Policy
from intake.prompts import Expect, Prompt
from intake.severity_policy import assess
from intake.wording import anything_else, ask_problem

NY = ZoneInfo("America/New_York")
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=NY)  # live chat open
TUESDAY_EVENING = datetime(2026, 11, 24, 18, 0, tzinfo=NY)  # closed, opens tomorrow 8:00
SATURDAY = datetime(2026, 11, 28, 3, 0, tzinfo=NY)  # closed, opens Monday 8:00
POLICY = Policy()
CASE = "2611-0042"
E = TypeVar("E", bound=Effect)

# Phrases whose triage the tests rely on; test_phrases_triage_as_assumed says so first when triage changes.
OUTAGE = "Nobody in the whole hospital can open the viewer, everything is down for everyone since 9"
SLOW = "The viewer is very slow for everyone, studies take minutes to open"
QUESTION = "How do I export a study to PDF?"
VAGUE = "something is wrong with the reports"
SLOW_FOR_ALL = "The viewer is very slow for all radiologists, reading has nearly stopped"


def triage(text: str, answers: dict[Question, str] | None = None) -> Triage:
    """The dialogue's verdict (the learned model read through the policy table), as the dialogue asks it."""
    return assess(text, answers or {})


@dataclass
class Talk:
    """One conversation driven turn by turn; every step is checked for the invariants of all prompts."""

    channel: Channel = Channel.CHAT
    at: datetime = TUESDAY
    agents: int = 1
    policy: Policy = POLICY
    last: Step = field(init=False)

    @property
    def ctx(self) -> Context:
        return Context(self.policy, self.channel, "conv-1", self.agents)

    def begin(self, known: KnownAccount | None = None) -> Step:
        self.last = _checked(start(self.ctx, Start(self.at, known)), self.channel)
        return self.last

    def send(self, event: Event) -> Step:
        self.last = _checked(step(self.ctx, self.last.state, event), self.channel)
        return self.last

    def say(
        self, text: str = "", *, digits: str | None = None, attachments: tuple[str, ...] = (), no_input: bool = False
    ) -> Step:
        return self.send(UserTurn(self.at, text, digits, attachments, no_input))

    def keys(self, digits: str) -> Step:
        """Keypad entry as the voice adapter sends it: the digits, and as text the choice value they stand for."""
        values = {c.digit: c.value for c in self.asks.choices if c.digit}
        return self.send(UserTurn(self.at, text=values.get(digits, digits), digits=digits))

    def created(self, number: str = CASE, fix_due: datetime | None = None) -> Step:
        """The store's answer to the pending CreateCase, with the policy's due times."""
        response, fix = POLICY.due(self.create_case().severity, self.at)
        return self.send(CaseCreated(self.at, number, response, fix_due or fix))

    def create_case(self) -> CreateCase:
        return self.effect(CreateCase)

    def effect(self, kind: type[E]) -> E:
        found = [e for e in self.last.effects if isinstance(e, kind)]
        assert len(found) == 1, self.last.effects
        return found[0]

    @property
    def state(self) -> State:
        return self.last.state

    def phase(self) -> Phase:
        """A call, not an attribute, so type checkers don't narrow it across turns."""
        return self.last.state.phase

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.last.prompts)

    @property
    def speak(self) -> str:
        return " ".join(p.speak for p in self.last.prompts)

    @property
    def asks(self) -> Prompt:
        return self.last.prompts[-1]


def _checked(result: Step, channel: Channel) -> Step:
    """Invariants of every step: JSON state, speakable prompts, one question at the end, phone hints."""
    restored = State.from_dict(json.loads(json.dumps(result.state.to_dict())))
    assert restored == result.state
    for prompt in result.prompts:
        assert prompt.text and prompt.speak
        assert "http" not in prompt.speak and "*" not in prompt.speak
    for prompt in result.prompts[:-1]:
        assert prompt.expects is Expect.NONE, "only the last prompt may ask something"
    if result.prompts and channel is Channel.PHONE and result.prompts[-1].expects is not Expect.NONE:
        asked = result.prompts[-1]
        assert asked.hints or asked.expects is Expect.DIGITS
        assert all(c.digit for c in asked.choices)
    return result


def _known(talk: Talk) -> Talk:
    """A customer who gave K123456 and was asked for the problem."""
    talk.begin()
    talk.say("K123456")
    assert talk.phase() is Phase.ASK_PROBLEM
    return talk


def _to_confirmation(talk: Talk, problem: str) -> Talk:
    """Describe a problem and skip any guided question, up to the severity confirmation."""
    talk.say(problem)
    while talk.phase() is Phase.GUIDED:
        talk.say("not sure")
    assert talk.phase() is Phase.CONFIRM_SEVERITY
    return talk


def _filed_as(
    severity: int, channel: Channel = Channel.CHAT, at: datetime = TUESDAY, agents: int = 1, problem: str = SLOW
) -> Talk:
    """A case the customer put at `severity` (their correction, so the test needn't depend on triage)."""
    talk = _to_confirmation(_known(Talk(channel, at, agents)), problem)
    talk.say(f"severity {severity}")
    assert talk.create_case().severity == severity
    return talk


def _summary(status: CaseStatus = CaseStatus.IN_PROGRESS) -> CaseSummary:
    return CaseSummary(
        CASE,
        Severity.SEV2,
        status,
        "Viewer slow",
        TUESDAY - timedelta(minutes=30),
        "an engineer added a note",
        TUESDAY + timedelta(hours=1),
        TUESDAY + timedelta(days=1),
    )


# ---------------------------------------------------------------- triage assumptions


def test_phrases_triage_as_assumed() -> None:
    assert triage(OUTAGE).severity is Severity.SEV1
    assert triage(SLOW).severity is Severity.SEV2
    assert triage(QUESTION).severity is Severity.SEV4
    assert triage(VAGUE).questions, "a vague problem should come with guided questions"
    assert not triage(SLOW).questions, "a clear Sev2 needs no guided question"
    assert triage(SLOW_FOR_ALL).sev1_unconfirmed, "slow for everyone may be a Sev1 to confirm"


# ---------------------------------------------------------------- greeting and account


def test_chat_greeting_names_the_company_and_asks_for_account_and_problem() -> None:
    greeting = Talk().begin().prompts[-1]
    assert "Vue Cloud Support" in greeting.text
    assert "K#" in greeting.text and "what's going on" in greeting.text
    assert greeting.expects is Expect.TEXT


@pytest.mark.parametrize("written", ["K123456", "k#123456", "K 123456", "k-123456", "my K# is K123456."])
def test_account_and_problem_in_the_first_message_are_not_asked_again(written: str) -> None:
    talk = Talk()
    talk.begin()
    talk.say(f"Hi, {written} {SLOW}")
    assert talk.state.k_number == "K123456"
    assert talk.state.told.problem == (SLOW,)
    assert talk.phase() in (Phase.GUIDED, Phase.CONFIRM_SEVERITY)
    assert "account number" not in talk.text and "describe the problem" not in talk.text
    assert "Thanks, K123456." in talk.text


def test_account_alone_then_the_problem_is_asked() -> None:
    talk = Talk()
    talk.begin()
    talk.say("k#123456")
    assert talk.phase() is Phase.ASK_PROBLEM
    assert "Thanks, K123456" in talk.text and "describe the problem" in talk.text


def test_problem_first_then_only_the_account_is_asked() -> None:
    talk = Talk()
    talk.begin()
    talk.say(SLOW)
    assert talk.phase() is Phase.ASK_ACCOUNT
    assert "I've got the problem" in talk.text and "account number" in talk.text
    talk.say("it's K123456")
    assert talk.state.told.problem == (SLOW,)
    assert talk.phase() in (Phase.GUIDED, Phase.CONFIRM_SEVERITY)


def test_a_short_k_number_after_the_problem_is_answered_with_what_a_k_number_looks_like() -> None:
    talk = Talk()
    talk.begin()
    talk.say(SLOW)
    talk.say("K12")
    assert talk.text.startswith("Sorry, I didn't catch that.")
    assert "a K followed by 4 to 10 digits, like K123456" in talk.text
    assert "I've got the problem" not in talk.text
    assert talk.phase() is Phase.ASK_ACCOUNT
    phone = Talk(Channel.PHONE)
    phone.begin()
    phone.keys("12")
    assert "4 to 10 digits after the K" in phone.speak and phone.phase() is Phase.ASK_ACCOUNT


def test_a_status_lookup_with_no_k_number_says_what_one_looks_like() -> None:
    talk = Talk()
    talk.begin()
    talk.say("status of case 2611-0042")
    talk.say("K12")
    assert "a K followed by 4 to 10 digits, like K123456" in talk.text
    assert talk.phase() is Phase.STATUS_ACCOUNT


def test_a_new_case_status_reads_as_a_sentence() -> None:
    talk = _known(Talk(agents=0))
    talk.say("status of case 2611-0042")
    talk.send(CaseLookup(TUESDAY, _summary(CaseStatus.NEW)))
    assert "is Severity 2 (severely degraded). Status: new, waiting for an engineer. Last update" in talk.text
    assert " and new" not in talk.text and "severity 2, severely degraded. Status: new" in talk.speak


def test_a_greeting_alone_gets_a_re_prompt_with_an_example() -> None:
    talk = Talk()
    talk.begin()
    talk.say("hello")
    assert talk.text.startswith("Sorry") and "K123456" in talk.text
    assert talk.phase() is Phase.ASK_ACCOUNT


def test_phone_account_keyed_in_as_digits_with_the_k_implied() -> None:
    talk = Talk(Channel.PHONE)
    greeting = talk.begin().prompts[-1]
    assert greeting.expects is Expect.DIGITS and greeting.max_digits == POLICY.account.max_digits
    assert "Thank you for calling Vue Cloud Support" in greeting.speak
    talk.keys("123456#")
    assert talk.state.k_number == "K123456"
    assert "K 1 2 3 4 5 6" in talk.speak


def test_chat_account_as_bare_digits() -> None:
    talk = Talk()
    talk.begin()
    talk.say("123456")
    assert talk.state.k_number == "K123456"


def test_phone_account_said_aloud() -> None:
    talk = Talk(Channel.PHONE)
    talk.begin()
    talk.say("K 123456")
    assert talk.state.k_number == "K123456"


def test_phone_account_with_too_few_digits_is_asked_again() -> None:
    talk = Talk(Channel.PHONE)
    talk.begin()
    talk.keys("12")
    assert talk.state.k_number is None
    assert talk.asks.expects is Expect.DIGITS and talk.speak.startswith("Sorry")


@pytest.mark.parametrize(
    ("answer", "digits"),
    [
        ("yes", None),
        ("yeah", None),
        ("yep", None),
        ("correct", None),
        ("that's right", None),
        ("sure", None),
        ("1", "1"),
    ],
)
def test_known_caller_is_greeted_by_name_and_confirms_the_account(answer: str, digits: str | None) -> None:
    talk = Talk(Channel.PHONE)
    greeting = talk.begin(KnownAccount("K123456", "Dana Reyes")).prompts[-1]
    assert "Hi Dana Reyes" in greeting.text and "K123456" in greeting.text
    assert greeting.expects is Expect.YES_NO
    assert [(c.value, c.digit) for c in greeting.choices] == [("yes", "1"), ("no", "2")]
    assert "Press 1 for Yes, or 2 for No." in greeting.speak
    talk.say(answer, digits=digits)
    assert talk.state.k_number == "K123456"
    assert talk.phase() is Phase.ASK_PROBLEM


@pytest.mark.parametrize(("answer", "digits"), [("no", None), ("nope", None), ("wrong", None), ("2", "2")])
def test_known_caller_saying_no_is_asked_for_the_account(answer: str, digits: str | None) -> None:
    talk = Talk(Channel.PHONE)
    talk.begin(KnownAccount("K123456", "Dana"))
    talk.say(answer, digits=digits)
    assert talk.phase() is Phase.ASK_ACCOUNT and talk.state.k_number is None
    assert talk.asks.expects is Expect.DIGITS
    talk.keys("654321")
    assert talk.state.k_number == "K654321"


def test_known_caller_gibberish_repeats_the_yes_no_choices() -> None:
    talk = Talk(Channel.PHONE)
    talk.begin(KnownAccount("K123456", "Dana"))
    talk.say("purple monkey")
    assert talk.phase() is Phase.CONFIRM_ACCOUNT
    assert talk.text.startswith("Sorry") and "Please answer yes or no." in talk.text
    assert "Press 1 for Yes, or 2 for No." in talk.speak


def test_known_caller_can_confirm_and_describe_at_once() -> None:
    talk = Talk()
    talk.begin(KnownAccount("K123456", "Dana"))
    talk.say(f"yes, {SLOW}")
    assert talk.state.k_number == "K123456" and talk.state.told.problem == (SLOW,)
    assert talk.phase() in (Phase.GUIDED, Phase.CONFIRM_SEVERITY)


# ---------------------------------------------------------------- triage, guided questions, severity


def test_vague_problem_gets_the_guided_questions_as_choices() -> None:
    expected = triage(VAGUE).questions[0]
    talk = _known(Talk(Channel.PHONE))
    talk.say(VAGUE)
    assert talk.phase() is Phase.GUIDED
    asked = talk.asks
    assert asked.expects is Expect.CHOICE and expected.text in asked.text
    assert [(c.value, c.digit) for c in asked.choices] == [
        (value, str(i)) for i, (value, _) in enumerate(expected.choices, start=1)
    ]
    assert asked.speak.endswith(prompts.press_keys(asked.choices))


def test_guided_answers_are_kept_and_re_triaged() -> None:
    talk = _known(Talk(Channel.PHONE))
    talk.say(VAGUE)
    first = QUESTIONS[Question(talk.state.assessment.question)]
    talk.keys("1")
    assert talk.state.assessment.answers[0] == (first.key.value, first.choices[0][0])
    while talk.phase() is Phase.GUIDED:
        talk.keys("1")
    assert talk.phase() is Phase.CONFIRM_SEVERITY
    proposed = talk.state.assessment.severity
    talk.keys(str(proposed))  # yes: the proposed severity's own key
    case = talk.create_case()
    assert f"- {first.key.value}: {first.choices[0][0]}" in case.description
    answers = {Question(k): v for k, v in talk.state.assessment.answers}
    assert int(case.severity) == proposed and case.severity is assess(VAGUE, answers).severity


def test_guided_answer_by_label_as_a_chat_button_sends_it() -> None:
    talk = _known(Talk())
    talk.say(VAGUE)
    question = triage(VAGUE).questions[0]
    value, label = question.choices[-1]
    talk.say(label)
    assert talk.state.assessment.answers[0] == (question.key.value, value)


def test_unknown_guided_answer_repeats_the_choices() -> None:
    talk = _known(Talk())
    talk.say(VAGUE)
    talk.say("purple")
    assert talk.phase() is Phase.GUIDED and not talk.state.assessment.answers
    labels = [label for _, label in triage(VAGUE).questions[0].choices]
    assert talk.text.startswith("Sorry") and all(label in talk.text for label in labels)


def test_confident_triage_goes_straight_to_the_severity() -> None:
    result = triage(SLOW)
    assert not result.sev1_unconfirmed
    talk = _known(Talk())
    talk.say(SLOW)
    assert talk.phase() is Phase.CONFIRM_SEVERITY
    assert "Severity 2" in talk.text and "Is that right?" in talk.text


def test_sev1_signal_is_confirmed_with_a_guided_question() -> None:
    result = triage(SLOW_FOR_ALL)
    assert result.sev1_unconfirmed and result.questions
    talk = _known(Talk())
    talk.say(SLOW_FOR_ALL)
    assert talk.phase() is Phase.GUIDED
    question = next(q for q in result.questions if q.key.value == talk.state.assessment.question)
    widest = question.choices[0][0]  # choices run from the widest impact (everyone, down) down
    talk.say(widest)
    while talk.phase() is Phase.GUIDED:
        talk.say(talk.asks.choices[0].label)
    assert "Severity 1" in talk.text


def test_severity_confirmation_offers_yes_and_the_other_severities() -> None:
    talk = _to_confirmation(_known(Talk()), SLOW)
    assert [c.label for c in talk.asks.choices] == [
        "Yes, that's right",
        "Severity 1: service down",
        "Severity 3: minor, not critical",
        "Severity 4: question or change request",
    ]
    assert "severity one" in talk.asks.hints


@pytest.mark.parametrize("answer", ["Yes, that's right", "yes", "correct", "yep, sounds right"])
def test_confirmed_severity_is_filed_without_a_correction(answer: str) -> None:
    talk = _to_confirmation(_known(Talk()), SLOW)
    talk.say(answer)
    case = talk.create_case()
    assert case.severity is Severity.SEV2 and case.severity_corrections == ()


@pytest.mark.parametrize("answer", ["Severity 3: minor, not critical", "sev 3", "no, it's severity three", "3"])
def test_severity_correction_is_recorded(answer: str) -> None:
    talk = _to_confirmation(_known(Talk()), SLOW)
    talk.say(answer)
    case = talk.create_case()
    assert case.severity is Severity.SEV3
    assert case.severity_corrections == ((2, 3),)


def test_phone_severity_correction_by_keypad() -> None:
    talk = _to_confirmation(_known(Talk(Channel.PHONE)), SLOW)
    assert "Press 2 for Yes, that's right, 1 for Severity 1, service down, 3 for Severity 3" in talk.asks.speak
    talk.keys("3")  # the key of severity 3 is 3
    assert talk.create_case().severity_corrections == ((2, 3),)


def test_plain_no_asks_which_severity_fits() -> None:
    talk = _to_confirmation(_known(Talk()), SLOW)
    talk.say("no")
    assert talk.phase() is Phase.PICK_SEVERITY and "Which severity fits better?" in talk.text
    assert "Yes, that's right" not in [c.label for c in talk.asks.choices]
    talk.say("Severity 4: question or change request")
    assert talk.create_case().severity_corrections == ((2, 4),)


def test_gibberish_at_the_severity_repeats_the_choices() -> None:
    talk = _to_confirmation(_known(Talk()), SLOW)
    talk.say("blorp")
    assert talk.phase() is Phase.CONFIRM_SEVERITY
    assert talk.text.startswith("Sorry") and "Please choose one of: Yes, that's right, Severity 1" in talk.text


def test_not_sure_skips_a_guided_question_without_asking_it_again() -> None:
    talk = _known(Talk())
    talk.say(VAGUE)
    skipped = talk.state.assessment.question
    talk.say("I'm not sure")
    assert skipped in talk.state.assessment.asked and not talk.state.assessment.answers
    assert talk.state.assessment.question != skipped


def test_guided_answer_in_a_sentence_or_by_position() -> None:
    talk = _known(Talk())
    talk.say(SLOW_FOR_ALL)
    scope = triage(SLOW_FOR_ALL).questions[0]
    talk.say("it's just one user really")
    assert talk.state.assessment.answers[0] == (scope.key.value, "one")
    talk = _known(Talk())
    talk.say(SLOW_FOR_ALL)
    talk.say("2")
    assert talk.state.assessment.answers[0] == (scope.key.value, scope.choices[1][0])


def test_a_stored_guided_question_triage_no_longer_asks_is_passed_over() -> None:
    # A triage upgrade between two turns may drop the question the stored state waits on.
    stored = State(
        Phase.GUIDED, "K123456", told=Told((SLOW,)), assessment=Assessment(asked=("scope",), question="scope")
    )
    talk = Talk()
    talk.last = Step((), stored)
    talk.say("help")
    assert "a little more" in talk.asks.text
    talk.say("everyone")
    assert talk.phase() is Phase.CONFIRM_SEVERITY


def test_help_during_a_guided_question_asks_it_again() -> None:
    talk = _known(Talk(Channel.PHONE))
    talk.say(VAGUE)
    pending = talk.asks
    talk.say("help")
    assert talk.asks == pending


# ---------------------------------------------------------------- outcomes


def test_chat_sev2_in_hours_web_request_with_due_times_and_a_live_agent_offer() -> None:
    talk = _filed_as(2)
    case = talk.create_case()
    assert case.key == "conv-1:case:1" and case.k_number == "K123456"
    assert case.decision.outcome is Outcome.WEB_REQUEST and not case.page_oncall and not case.incomplete
    assert case.summary == SLOW and case.description == SLOW
    assert case.at == TUESDAY
    assert talk.text == "One moment while I file your case."
    talk.created()
    assert "I've filed case 2611-0042 as Severity 2" in talk.text
    assert "respond by 11:00 AM Eastern today" in talk.text
    assert "fixed by 10:00 AM Eastern tomorrow" in talk.text
    assert talk.asks.expects is Expect.YES_NO and "live agent" in talk.asks.text
    talk.say("yes please")
    assert talk.last.effects == (RequestHandoff("question", CASE, TUESDAY),)
    assert talk.last.done


def test_declining_the_live_agent_asks_if_there_is_anything_else() -> None:
    talk = _filed_as(2)
    talk.created()
    talk.say("no thanks")
    assert talk.phase() is Phase.ANYTHING_ELSE and not talk.last.done


def test_no_live_agent_offer_when_no_agent_is_online() -> None:
    talk = _filed_as(2, agents=0)
    talk.created()
    assert talk.phase() is Phase.ANYTHING_ELSE and "live agent" not in talk.text


def test_chat_outside_hours_says_when_live_chat_opens_and_still_files() -> None:
    talk = _filed_as(3, at=SATURDAY)
    assert talk.create_case().decision.outcome is Outcome.WEB_REQUEST
    talk.created()
    assert "respond by 3:00 AM Eastern tomorrow" in talk.text
    assert "fixed by 3:00 AM Eastern on Thursday" in talk.text
    assert "Live chat with an agent is closed right now; it opens again Monday at 8:00 AM Eastern." in talk.text
    assert talk.phase() is Phase.ANYTHING_ELSE


def test_chat_closed_in_the_evening_opens_tomorrow() -> None:
    talk = _filed_as(2, at=TUESDAY_EVENING)
    talk.created()
    assert "it opens again tomorrow at 8:00 AM Eastern" in talk.text


def test_a_fix_target_more_than_six_days_away_is_a_date() -> None:
    talk = _filed_as(3)
    talk.created(fix_due=TUESDAY + timedelta(days=9))
    assert "fixed by 10:00 AM Eastern on Dec 3" in talk.text


def test_sev4_has_no_fix_target() -> None:
    talk = _filed_as(4, agents=0)
    assert talk.create_case().decision.fix_due is None
    talk.created()
    assert "respond by 10:00 AM Eastern on Thursday" in talk.text and "fixed" not in talk.text


def test_chat_sev4_in_hours_with_an_agent_goes_to_live_chat() -> None:
    talk = _filed_as(4, problem=QUESTION)
    assert talk.create_case().decision.outcome is Outcome.LIVE_CHAT
    talk.created()
    assert "live agent" in talk.text and CASE in talk.text
    assert talk.last.effects == (RequestHandoff("question", CASE, TUESDAY),)
    assert talk.last.done


def test_chat_sev1_is_paged_and_sent_to_the_phone_line_with_the_case_number() -> None:
    talk = _filed_as(1, at=SATURDAY)
    case = talk.create_case()
    assert case.page_oncall and case.decision.outcome is Outcome.REDIRECT_PHONE
    talk.created()
    assert "paged our on-call engineer" in talk.text
    assert "call our support line now at 1-800-555-0100" in talk.text and "quote case 2611-0042" in talk.text
    assert talk.phase() is Phase.ANYTHING_ELSE and not talk.last.done
    # Saturday: chat is closed, but in an outage the chat hours are noise after "call now".
    assert "Live chat" not in talk.text and "Monday" not in talk.text


def test_phone_sev1_connects_the_on_call_engineer() -> None:
    talk = _filed_as(1, channel=Channel.PHONE, at=SATURDAY, agents=0)
    case = talk.create_case()
    # The engineer is dialled now; the phone line pages only if nobody answers.
    assert not case.page_oncall and case.decision.outcome is Outcome.PHONE_ENGINEER
    talk.created()
    assert "2 6 1 1, 0 0 4 2" in talk.speak and "2611-0042" in talk.text
    assert "connecting you to our on-call engineer" in talk.text
    assert talk.last.effects == (ConnectOnCall(CASE, "K123456", case.summary, SATURDAY),)
    assert talk.last.done


def test_phone_web_request_reads_the_case_number_digit_by_digit() -> None:
    talk = _filed_as(3, channel=Channel.PHONE)
    talk.created()
    assert "I've filed case 2 6 1 1, 0 0 4 2 as severity 3" in talk.speak
    assert "respond by 10:00 AM Eastern tomorrow" in talk.speak
    assert talk.phase() is Phase.ANYTHING_ELSE  # no live agent on the phone
    assert "Press 1 for Report another problem" in talk.asks.speak


def test_another_problem_after_a_case_gets_the_next_key() -> None:
    talk = _filed_as(2, agents=0)
    talk.created()
    talk.say("Report another problem")
    assert talk.phase() is Phase.ASK_PROBLEM and talk.state.k_number == "K123456"
    _to_confirmation(talk, SLOW).say("yes")
    assert talk.create_case().key == "conv-1:case:2"


def test_a_new_description_instead_of_a_menu_choice_is_triaged() -> None:
    talk = _filed_as(2, agents=0)
    talk.created()
    talk.say(SLOW)
    assert talk.phase() in (Phase.GUIDED, Phase.CONFIRM_SEVERITY) and talk.state.told.problem == (SLOW,)


def test_bye_after_a_case_ends_politely() -> None:
    talk = _filed_as(2, agents=0)
    talk.created()
    talk.say("bye")
    assert "Goodbye" in talk.text and talk.last.done and not talk.last.effects


@pytest.mark.parametrize(
    ("answer", "phase"),
    [("yes", Phase.ASK_PROBLEM), ("Check a case status", Phase.STATUS_NUMBER), ("zzz", Phase.ANYTHING_ELSE)],
)
def test_anything_else_menu(answer: str, phase: Phase) -> None:
    talk = _filed_as(2, agents=0)
    talk.created()
    talk.say(answer)
    assert talk.phase() is phase and not talk.last.done


@pytest.mark.parametrize("answer", ["no", "That's all"])
def test_anything_else_no_ends(answer: str) -> None:
    talk = _filed_as(2, agents=0)
    talk.created()
    talk.say(answer)
    assert talk.last.done and "Goodbye" in talk.text


def test_phone_anything_else_by_keypad() -> None:
    talk = _filed_as(2, channel=Channel.PHONE)
    talk.created()
    talk.keys("2")
    assert talk.phase() is Phase.STATUS_NUMBER and talk.asks.expects is Expect.DIGITS


def test_describing_a_new_problem_instead_of_answering_the_agent_offer() -> None:
    talk = _filed_as(2)
    talk.created()
    talk.say(QUESTION)
    assert talk.state.told.problem == (QUESTION,) and talk.phase() is Phase.CONFIRM_SEVERITY


# ---------------------------------------------------------------- case status


def test_status_with_the_number_when_the_account_is_known_looks_it_up() -> None:
    talk = _known(Talk())
    talk.say("status of case 2611-0042")
    assert talk.last.effects == (LookupCase(CASE, "K123456", TUESDAY),)
    assert talk.phase() is Phase.LOOKING_UP


def test_status_from_the_start_asks_account_then_number() -> None:
    talk = Talk()
    talk.begin()
    talk.say("I'd like an update on my case")
    assert talk.phase() is Phase.STATUS_ACCOUNT and "account number" in talk.text
    talk.say("K123456")
    assert talk.phase() is Phase.STATUS_NUMBER and "case number" in talk.text
    talk.say("2611-0042")
    assert talk.effect(LookupCase) == LookupCase(CASE, "K123456", TUESDAY)


def test_status_and_account_in_one_message() -> None:
    talk = Talk()
    talk.begin()
    talk.say("any news on 2611-0042? K12345678")
    assert talk.effect(LookupCase) == LookupCase(CASE, "K12345678", TUESDAY)


def test_phone_status_by_keypad() -> None:
    talk = Talk(Channel.PHONE)
    talk.begin()
    talk.keys("123456")
    talk.say("case status")
    assert talk.asks.expects is Expect.DIGITS and talk.asks.max_digits == KEYPAD_MAX_DIGITS
    talk.keys("26110042")
    assert talk.effect(LookupCase).number == CASE
    assert "2 6 1 1, 0 0 4 2" in talk.speak


def test_phone_status_by_keypad_of_the_ten_thousandth_case_of_a_month() -> None:
    talk = Talk(Channel.PHONE)
    talk.begin()
    talk.keys("123456")
    talk.say("case status")
    assert talk.asks.max_digits is not None and talk.asks.max_digits >= len("261110000")
    talk.keys("261110000")
    assert talk.effect(LookupCase).number == "2611-10000"


def test_known_caller_status_needs_no_k_number() -> None:
    # Caller ID stands for the K#: the store checks the number calling is the case's account's.
    talk = Talk(Channel.PHONE)
    talk.begin(KnownAccount("K123456", "Dana"))
    talk.say("status of case 2611-0042")
    assert talk.effect(LookupCase) == LookupCase(CASE, "K123456", TUESDAY, by_caller_id=True)
    assert talk.phase() is Phase.LOOKING_UP
    talk.say("hello?")  # a turn while looking up re-emits the same lookup
    assert talk.effect(LookupCase) == LookupCase(CASE, "K123456", TUESDAY, by_caller_id=True)
    talk.send(CaseLookup(TUESDAY, _summary()))
    assert "is Severity 2" in talk.text


def test_known_caller_asking_without_a_number_is_asked_only_for_the_number() -> None:
    talk = Talk(Channel.PHONE)
    talk.begin(KnownAccount("K123456", "Dana"))
    talk.say("update on my case")
    assert talk.phase() is Phase.STATUS_NUMBER and talk.asks.expects is Expect.DIGITS
    talk.keys("26110042")
    assert talk.effect(LookupCase) == LookupCase(CASE, "K123456", TUESDAY, by_caller_id=True)


def test_known_caller_whose_case_is_not_under_their_number_is_told_how_to_ask() -> None:
    talk = Talk(Channel.PHONE)
    talk.begin(KnownAccount("K123456", "Dana"))
    talk.say("status of case 2611-0042")
    talk.send(CaseLookup(TUESDAY, None))
    assert "the account of the number you're calling from" in talk.text
    assert "K 1 2 3 4 5 6" in talk.speak and "that account's K#" in talk.speak
    # Naming the other account's K# looks it up by that K# (the usual proof).
    talk.say("status of case 2611-0042 for account K654321")
    assert talk.effect(LookupCase) == LookupCase(CASE, "K654321", TUESDAY)


def test_chat_never_looks_up_by_caller_id() -> None:
    talk = Talk()
    talk.begin()
    talk.say("status of case 2611-0042")
    assert talk.phase() is Phase.STATUS_ACCOUNT and "account number" in talk.text


def test_paused_lookups_are_explained_in_chat_with_the_wait_and_the_phone_line() -> None:
    talk = _known(Talk(agents=0))
    talk.say("status of case 2611-0042")
    talk.send(CaseLookup(TUESDAY, None, retry_after=timedelta(minutes=14, seconds=5)))
    first = talk.last.prompts[0]
    assert "paused" in first.text and "try again in about 15 minutes" in first.text
    assert numbers_times.phone_text(POLICY.support_phone) in first.text
    assert "couldn't find" not in talk.text and "Severity" not in talk.text
    assert talk.phase() is Phase.ANYTHING_ELSE and talk.state.status.lookup is None


def test_paused_lookups_on_the_phone_say_how_long_and_in_chat_hours_offer_an_agent() -> None:
    talk = Talk(Channel.PHONE)
    talk.begin(KnownAccount("K123456", "Dana"))
    talk.say("status of case 2611-0042")
    talk.send(CaseLookup(TUESDAY, None, retry_after=timedelta(hours=2)))
    assert "try again in about 2 hours" in talk.speak
    chat = _known(Talk())
    chat.say("status of case 2611-0042")
    chat.send(CaseLookup(TUESDAY, None, retry_after=timedelta(seconds=20)))
    assert "about 1 minute," in chat.text and chat.phase() is Phase.OFFER_AGENT
    chat.say("yes")
    assert chat.last.effects == (RequestHandoff("case_status", None, TUESDAY),)


def test_found_case_tells_status_severity_last_update_and_due_times() -> None:
    talk = _known(Talk(agents=0))
    talk.say("status of case 2611-0042")
    talk.send(CaseLookup(TUESDAY, _summary()))
    assert "Case 2611-0042 (Viewer slow) is Severity 2 (severely degraded)." in talk.text
    assert "Status: in progress with an engineer." in talk.text
    assert "Last update today at 9:30 AM Eastern: an engineer added a note." in talk.text
    assert "Response target: by 11:00 AM Eastern today." in talk.text
    assert "Fix target: by 10:00 AM Eastern tomorrow." in talk.text
    assert talk.phase() is Phase.ANYTHING_ELSE


def test_closed_case_has_no_due_times() -> None:
    talk = _known(Talk(agents=0))
    talk.say("status of case 2611-0042")
    talk.send(CaseLookup(TUESDAY, _summary(CaseStatus.CLOSED)))
    assert "closed" in talk.text and "target" not in talk.text


def test_missing_case_and_another_accounts_case_read_the_same() -> None:
    answers = []
    for _owner in ("nobody", "K999999"):  # the store answers None in both cases
        talk = _known(Talk(agents=0))
        talk.say("status of case 2611-0042")
        talk.send(CaseLookup(TUESDAY, None))
        answers.append(talk.last.prompts)
    assert answers[0] == answers[1]
    assert "I couldn't find case 2611-0042 under account K123456" in answers[0][0].text
    assert "Severity" not in answers[0][0].text


def test_status_in_chat_hours_offers_a_live_agent() -> None:
    talk = _known(Talk())
    talk.say("status of case 2611-0042")
    talk.send(CaseLookup(TUESDAY, _summary()))
    assert talk.phase() is Phase.OFFER_AGENT
    talk.say("yes")
    assert talk.last.effects == (RequestHandoff("case_status", CASE, TUESDAY),)


def test_status_outside_chat_hours_offers_no_agent() -> None:
    talk = _known(Talk(at=SATURDAY))
    talk.say("status of case 2611-0042")
    talk.send(CaseLookup(SATURDAY, _summary()))
    assert talk.phase() is Phase.ANYTHING_ELSE


@pytest.mark.parametrize(
    "asked",
    [
        "actually, what's the status of case 2611-0042?",
        # A problem beside the question is not held: the one being described is what the intake goes back to.
        f"what's the status of case 2611-0042? also {OUTAGE}",
    ],
)
def test_status_mid_intake_returns_to_the_pending_question(asked: str) -> None:
    talk = _to_confirmation(_known(Talk(agents=0)), SLOW)
    pending = talk.asks
    talk.say(asked)
    talk.send(CaseLookup(TUESDAY, None))
    assert talk.phase() is Phase.CONFIRM_SEVERITY and talk.asks == pending
    assert talk.state.told.problem == (SLOW,)


def test_status_after_a_case_was_filed() -> None:
    talk = _filed_as(2, agents=0)
    talk.created()
    talk.say("any news on 2611-0042?")
    assert talk.effect(LookupCase) == LookupCase(CASE, "K123456", TUESDAY)


def test_unreadable_case_number_is_asked_again() -> None:
    talk = _known(Talk())
    talk.say("update on my case")
    talk.say("the one from last week")
    assert talk.phase() is Phase.STATUS_NUMBER and talk.text.startswith("Sorry")


def test_status_while_the_account_was_pending_then_resumes_the_intake() -> None:
    talk = Talk()
    talk.begin()
    talk.say(SLOW)
    assert talk.phase() is Phase.ASK_ACCOUNT
    talk.say("what's the status of case 2611-0042")
    talk.say("K123456")
    talk.send(CaseLookup(TUESDAY, None))
    assert "Thanks, K123456." in talk.text and talk.phase() is Phase.CONFIRM_SEVERITY


def test_caller_without_a_known_number_keys_in_the_k_number_for_a_status() -> None:
    talk = Talk(Channel.PHONE)
    talk.begin()
    talk.say("update on my case")
    talk.say("gibberish")
    assert talk.text.startswith("Sorry") and talk.phase() is Phase.STATUS_ACCOUNT
    assert talk.asks.expects is Expect.DIGITS
    talk.keys("654321")
    assert talk.phase() is Phase.STATUS_NUMBER and talk.state.k_number == "K654321"


def test_turns_while_looking_up_re_emit_the_lookup_and_a_stray_result_is_ignored() -> None:
    talk = _known(Talk())
    talk.say("status of case 2611-0042")
    talk.say("hello?")
    assert talk.effect(LookupCase) == LookupCase(CASE, "K123456", TUESDAY) and "One moment" in talk.text
    talk.send(CaseLookup(TUESDAY, None))
    before = talk.state
    talk.send(CaseLookup(TUESDAY, None))
    assert talk.last.prompts == () and talk.state == before


def test_last_update_yesterday() -> None:
    talk = _known(Talk(agents=0))
    talk.say("status of case 2611-0042")
    talk.send(CaseLookup(TUESDAY, replace(_summary(), last_update=TUESDAY - timedelta(days=1))))
    assert "Last update yesterday at 10:00 AM Eastern" in talk.text


# ---------------------------------------------------------------- start over, cancel, help, a person


def test_start_over_forgets_everything_but_the_case_counter() -> None:
    talk = _filed_as(2, agents=0)
    talk.created()
    talk.say(SLOW)
    talk.say("start over")
    assert talk.state == State(cases=1)
    assert "start over" in talk.text and "account number" in talk.text


def test_cancel_ends_politely_and_records_nothing() -> None:
    talk = _to_confirmation(_known(Talk()), SLOW)
    talk.say("cancel")
    assert "nothing was recorded" in talk.text and talk.last.done and talk.last.effects == ()


@pytest.mark.parametrize("channel", [Channel.CHAT, Channel.PHONE])
def test_help_explains_then_asks_the_pending_question_again(channel: Channel) -> None:
    talk = _to_confirmation(_known(Talk(channel)), SLOW)
    pending = talk.asks
    talk.say("help")
    assert "Monday-Friday 8:00 AM-5:00 PM Eastern" in talk.text and "1-800-555-0100" in talk.text
    assert "check the status" in talk.text
    assert talk.asks == pending and talk.phase() is Phase.CONFIRM_SEVERITY


def test_help_asked_for_the_problem_explains_and_asks_for_it_again() -> None:
    talk = _known(Talk())
    talk.say("help")
    assert "check the status" in talk.text and talk.phase() is Phase.ASK_PROBLEM


def test_a_cry_for_help_asked_for_the_problem_is_the_problem() -> None:
    talk = _known(Talk())
    talk.say("HELP!!")
    assert talk.state.told.problem == ("HELP!!",) and talk.phase() is Phase.GUIDED


def test_person_in_chat_hours_before_any_problem_hands_off() -> None:
    talk = Talk()
    talk.begin()
    talk.say("I want to talk to a person")
    assert talk.last.effects == (RequestHandoff("customer_request", None, TUESDAY),) and talk.last.done


def test_person_in_chat_hours_after_a_problem_files_the_case_first() -> None:
    talk = _known(Talk())
    talk.say(SLOW)
    talk.say("agent")
    case = talk.create_case()
    assert case.live_agent_requested and case.severity is triage(SLOW).severity
    talk.created()
    assert "I've filed case 2611-0042" in talk.text and "live agent" in talk.text
    assert talk.last.effects == (RequestHandoff("customer_request", CASE, TUESDAY),) and talk.last.done


def test_back_from_a_live_agent_before_any_account_asks_for_it() -> None:
    talk = Talk()
    talk.begin()
    talk.say("I want to talk to a person")
    assert talk.phase() is Phase.DONE and talk.last.done
    talk.send(Resume(TUESDAY))
    assert talk.text == "What's your account number? It's your K#, for example K123456."
    assert talk.phase() is Phase.ASK_ACCOUNT and not talk.last.done and not talk.last.effects
    talk.say("K123456")
    assert talk.phase() is Phase.ASK_PROBLEM


def test_back_from_a_live_agent_with_a_problem_told_but_no_account() -> None:
    talk = Talk()
    talk.begin()
    talk.say(SLOW)
    talk.say("agent")  # no K# yet: an agent at once, no case
    assert talk.last.effects == (RequestHandoff("customer_request", None, TUESDAY),)
    talk.send(Resume(TUESDAY))
    assert talk.text.startswith("Thanks, I've got the problem. What's your account number?")
    assert talk.phase() is Phase.ASK_ACCOUNT and talk.state.told.problem == (SLOW,)


def test_back_from_a_live_agent_with_an_account_and_no_case_asks_for_the_problem() -> None:
    talk = _known(Talk())
    talk.say("agent")
    talk.send(Resume(TUESDAY))
    assert talk.asks == ask_problem(phone=False) and talk.phase() is Phase.ASK_PROBLEM


def test_back_from_a_live_agent_after_a_case_asks_if_there_is_anything_else() -> None:
    talk = _known(Talk())
    talk.say(SLOW)
    talk.say("agent")
    talk.created()
    silent = replace(talk.state, silences=1)  # a silence before the handoff is forgotten
    talk.last = replace(talk.last, state=silent)
    talk.send(Resume(TUESDAY))
    assert talk.asks == anything_else(phone=False)
    assert talk.phase() is Phase.ANYTHING_ELSE and talk.state.silences == 0 and talk.state.last_case == CASE
    talk.say("That's all")
    assert talk.phase() is Phase.DONE


@pytest.mark.parametrize("phase", list(Phase))
def test_a_chat_back_from_a_live_agent_resumes_from_any_phase(phase: Phase) -> None:
    # A handoff leaves the dialogue done, but a race (a message the bot took as the agent handed back) may
    # have moved it: the table lets Resume lead from anywhere to what is still missing.
    resumed = step(Talk().ctx, State(phase=phase, k_number="K123456"), Resume(TUESDAY))
    assert resumed.state.phase is Phase.ASK_PROBLEM


@pytest.mark.parametrize("at", [SATURDAY, TUESDAY_EVENING])
def test_person_outside_chat_hours_explains_and_continues(at: datetime) -> None:
    talk = _known(Talk(at=at))
    pending = talk.asks
    talk.say("can I speak with a representative")
    opens = "Monday" if at is SATURDAY else "tomorrow"
    assert f"Live chat is closed right now; it opens {opens} at 8:00 AM Eastern." in talk.text
    assert "call 1-800-555-0100" in talk.text
    assert talk.asks == pending and not talk.last.effects


def test_person_when_no_agent_is_free_explains_and_continues() -> None:
    talk = _known(Talk(agents=0))
    talk.say("human")
    assert "busy" in talk.text and talk.phase() is Phase.ASK_PROBLEM and not talk.last.effects


def test_person_on_the_phone_is_for_sev1_and_continues() -> None:
    talk = _known(Talk(Channel.PHONE))
    talk.say("talk to a person")
    assert "Severity 1 outages" in talk.text and talk.phase() is Phase.ASK_PROBLEM
    assert not talk.last.effects


# ---------------------------------------------------------------- unexpected input


def test_empty_message_is_re_prompted() -> None:
    talk = _known(Talk())
    talk.say("   ")
    assert talk.text.startswith("Sorry") and talk.phase() is Phase.ASK_PROBLEM


def test_one_word_problem_gets_the_guided_questions_and_never_dead_ends() -> None:
    talk = _known(Talk())
    talk.say("broken!!")
    truth = {"request": "Something is not working", "scope": "Everyone / all sites", "outage": "Not working at all"}
    while talk.phase() is Phase.GUIDED:
        talk.say(truth.get(talk.state.assessment.question or "", "not sure"))
    assert talk.phase() is Phase.CONFIRM_SEVERITY and talk.state.assessment.severity == 1


def test_more_description_instead_of_a_guided_answer_is_read_and_the_question_not_repeated() -> None:
    talk = _known(Talk())
    talk.say("broken")
    asked = talk.state.assessment.question
    talk.say("the worklist shows nothing since noon")
    assert talk.state.told.problem == ("broken", "the worklist shows nothing since noon")
    assert talk.state.assessment.question != asked and asked in talk.state.assessment.asked


def test_a_guided_answer_that_is_not_one_is_asked_again() -> None:
    talk = _known(Talk())
    talk.say("broken")
    pending = talk.asks
    talk.say("what?")
    assert talk.phase() is Phase.GUIDED and talk.text.startswith("Sorry") and pending.text in talk.text


def test_gibberish_to_the_live_agent_offer_repeats_yes_or_no() -> None:
    talk = _filed_as(2)
    talk.created()
    talk.say("zzz")
    assert talk.phase() is Phase.OFFER_AGENT and "Please answer yes or no." in talk.text


def test_turns_while_the_case_is_being_filed_re_emit_the_same_create_case() -> None:
    talk = _filed_as(2)
    first = talk.create_case()
    talk.say("hello?")
    assert talk.create_case() == first and "One moment" in talk.text


# ---------------------------------------------------------------- attachments


def test_attachment_before_the_case_is_carried_into_it() -> None:
    talk = _known(Talk())
    talk.say(SLOW, attachments=("screenshot.png",))
    assert "Thanks, I've attached screenshot.png to your case." in talk.text
    while talk.phase() is Phase.GUIDED:
        talk.say("not sure")
    talk.say("yes")
    assert talk.create_case().attachments == ("screenshot.png",)


def test_attachment_alone_is_acknowledged_and_the_question_repeated() -> None:
    talk = _known(Talk())
    talk.say(attachments=("log.txt", "screen.png"))
    assert "I've attached log.txt and screen.png" in talk.text
    assert "Sorry" not in talk.text and talk.phase() is Phase.ASK_PROBLEM


def test_attachment_after_the_case_is_noted_on_it() -> None:
    talk = _filed_as(2, agents=0)
    talk.created()
    talk.say(attachments=("screenshot.png",))
    assert "Thanks, I've attached screenshot.png to case 2611-0042." in talk.text
    assert talk.last.effects == (NoteAttachment(("screenshot.png",), CASE, TUESDAY),)


def test_attachment_while_filing_is_noted_once_the_case_exists() -> None:
    talk = _filed_as(2, agents=0)
    talk.say(attachments=("late.png",))
    assert talk.create_case().attachments == ()
    talk.created()
    assert talk.effect(NoteAttachment) == NoteAttachment(("late.png",), CASE, TUESDAY)


# ---------------------------------------------------------------- silence and hang-up


def test_phone_silence_once_re_prompts_twice_says_goodbye() -> None:
    talk = _known(Talk(Channel.PHONE))
    pending = talk.asks
    talk.say(no_input=True)
    assert "didn't hear" in talk.text and talk.asks == pending and not talk.last.done
    talk.say(no_input=True)
    assert talk.last.done and POLICY.web_url in talk.text and POLICY.chat.describe() in talk.text
    assert talk.last.effects == ()


def test_speech_between_silences_resets_the_count() -> None:
    talk = _known(Talk(Channel.PHONE))
    talk.say(no_input=True)
    talk.say("help")
    talk.say(no_input=True)
    assert not talk.last.done


def test_silence_after_a_problem_records_it_as_incomplete() -> None:
    talk = _known(Talk(Channel.PHONE))
    talk.say(SLOW)
    talk.say(no_input=True)
    talk.say(no_input=True)
    assert talk.last.done and talk.create_case().incomplete


def test_hang_up_after_a_problem_files_an_incomplete_case() -> None:
    talk = _known(Talk(Channel.PHONE))
    talk.say(OUTAGE)
    talk.send(HangUp(TUESDAY))
    case = talk.create_case()
    assert case.incomplete and case.description.startswith(OUTAGE)
    assert case.severity is triage(OUTAGE).severity
    assert case.page_oncall is (case.severity is Severity.SEV1)
    assert case.decision.outcome is (Outcome.PHONE_ENGINEER if case.page_oncall else Outcome.WEB_REQUEST)
    assert talk.last.done and talk.last.prompts == ()
    talk.created()  # the result of that case comes back: accepted silently
    assert talk.last.prompts == () and talk.state.cases == 1


def test_hang_up_before_any_problem_records_nothing() -> None:
    talk = _known(Talk(Channel.PHONE))
    talk.send(HangUp(TUESDAY))
    assert talk.last.done and talk.last.effects == ()
    talk.send(HangUp(TUESDAY))  # a duplicate status callback
    assert talk.last.done and talk.last.effects == ()


def test_hang_up_while_filing_re_emits_the_pending_case() -> None:
    talk = _filed_as(2, channel=Channel.PHONE)
    pending = talk.create_case()
    talk.send(HangUp(TUESDAY + timedelta(minutes=1)))
    assert talk.create_case() == pending and not pending.incomplete


def test_a_message_after_goodbye_starts_a_new_intake() -> None:
    talk = _filed_as(2, agents=0)
    talk.created()
    talk.say("bye")
    talk.say(f"K123456 {SLOW}")
    assert talk.phase() in (Phase.GUIDED, Phase.CONFIRM_SEVERITY) and talk.state.cases == 1


# ---------------------------------------------------------------- state and idempotency


def test_state_survives_json_mid_dialogue_and_the_dialogue_goes_on() -> None:
    talk = _known(Talk(Channel.PHONE))
    talk.say(VAGUE)
    talk.keys("1")
    stored = json.dumps(talk.state.to_dict())
    restored = State.from_dict(json.loads(stored))
    assert restored == talk.state
    event = UserTurn(TUESDAY, text="1", digits="1")
    assert step(talk.ctx, restored, event) == step(talk.ctx, talk.state, event)


def test_state_from_an_older_dict_takes_defaults() -> None:
    assert State.from_dict({"phase": "ask_problem", "k_number": "K1234"}) == State(Phase.ASK_PROBLEM, "K1234")


def test_a_redelivered_turn_yields_the_same_idempotency_key() -> None:
    talk = _to_confirmation(_known(Talk()), SLOW)
    before = talk.state
    first = step(talk.ctx, before, UserTurn(TUESDAY, text="yes"))
    again = step(talk.ctx, before, UserTurn(TUESDAY, text="yes"))
    assert first == again
    assert isinstance(first.effects[0], CreateCase) and first.effects[0].key == "conv-1:case:1"


def test_start_over_after_a_case_keeps_keys_unique() -> None:
    talk = _filed_as(2, agents=0)
    talk.created()
    talk.say("start over")
    talk.say(f"K123456 {SLOW}")
    while talk.phase() is Phase.GUIDED:
        talk.say("not sure")
    talk.say("yes")
    assert talk.create_case().key == "conv-1:case:2"


def test_naive_instants_are_rejected() -> None:
    with pytest.raises(NaiveDatetimeError):
        start(Talk().ctx, Start(datetime(2026, 11, 24, 10, 0)))


# ---------------------------------------------------------------- wording helpers


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (TUESDAY + timedelta(minutes=15), "by 10:15 AM Eastern today"),
        (TUESDAY + timedelta(days=1), "by 10:00 AM Eastern tomorrow"),
        (TUESDAY + timedelta(days=6), "by 10:00 AM Eastern on Monday"),
        (TUESDAY + timedelta(days=9), "by 10:00 AM Eastern on Dec 3"),
        (TUESDAY + timedelta(days=40), "by 10:00 AM Eastern on Jan 3, 2027"),
        (datetime(2026, 11, 24, 20, 0, tzinfo=ZoneInfo("UTC")), "by 3:00 PM Eastern today"),
    ],
)
def test_due_phrasing(when: datetime, expected: str) -> None:
    assert numbers_times.due(when, TUESDAY, NY) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (SATURDAY, "Monday at 8:00 AM Eastern"),
        (TUESDAY_EVENING, "tomorrow at 8:00 AM Eastern"),
        (datetime(2026, 11, 24, 6, 0, tzinfo=NY), "today at 8:00 AM Eastern"),
    ],
)
def test_next_opening_phrasing(now: datetime, expected: str) -> None:
    assert numbers_times.moment(POLICY.chat.next_open(now), now, NY) == expected


def test_numbers_are_spelled_for_speech() -> None:
    assert numbers_times.spell(CASE) == "2 6 1 1, 0 0 4 2"
    assert numbers_times.phone_text("+18005550100") == "1-800-555-0100"
    assert numbers_times.phone_text("+44 20 7946 0958") == "+44 20 7946 0958"


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("yes", True),
        ("Yeah!", True),
        ("yep", True),
        ("correct", True),
        ("right", True),
        ("sure", True),
        ("1", True),
        ("yes, and nothing works", True),
        ("that's right", True),
        ("no", False),
        ("nope", False),
        ("wrong", False),
        ("2", False),
        ("that's not right", False),
        ("hmm, not really", False),
        ("it isn't quite right", False),
        ("actually that's wrong", False),
        ("I think so, yes", True),
        # A sentence about the problem answers nothing, whatever negation it holds.
        ("Something is not working", None),
        ("there is no way to open studies at the north site", None),
        ("maybe", None),
        ("", None),
    ],
)
def test_yes_no_words(said: str, expected: bool | None) -> None:
    assert understanding.yes_no(said) is expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("start over", understanding.Command.START_OVER),
        ("cancel", understanding.Command.CANCEL),
        ("help", understanding.Command.HELP),
        ("talk to a person", understanding.Command.AGENT),
        ("agent", understanding.Command.AGENT),
        ("representative please", understanding.Command.AGENT),
        ("bye", understanding.Command.BYE),
        ("the stop button does not cancel the print job", None),
        ("the agent software crashed on every workstation", None),
    ],
)
def test_commands_are_whole_requests_not_words_in_a_problem(said: str, expected: understanding.Command | None) -> None:
    assert understanding.command_in(said) is expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("sev 1", Severity.SEV1),
        ("Severity two", Severity.SEV2),
        ("P3", Severity.SEV3),
        ("priority 4", Severity.SEV4),
        ("it's 1 user", None),
        ("the s 2 scanner", None),
    ],
)
def test_severity_named_in_an_answer(said: str, expected: Severity | None) -> None:
    assert understanding.severity_in(said) is expected


def test_a_long_problem_is_summarised_by_its_first_sentence() -> None:
    long = "Reports are slow to load. " + "It started after the weekend and affects the night shift. " * 3
    talk = _filed_as(
        3,
        problem="The viewer hangs for a minute every time a radiologist opens a mammography study "
        "with priors, then recovers. " + long,
    )
    case = talk.create_case()
    assert case.summary.startswith("The viewer hangs for a minute") and case.summary.endswith("...")
    assert len(case.summary) <= 80 and "weekend" in case.description


# ---------------------------------------------------------------- long messages: bounded reading, whole case

LIMITS = POLICY.text
BODY_LIMIT = 256 * 1024  # the largest activity the service accepts
PROSE = "The viewer shows a grey screen for some studies and the log says the cache is full. "
# Text the triage cannot read (another script, emoji) becomes runs of spaces that once cost quadratic time.
FOREIGN = "查看器打不开, the viewer is down, 所有医生都无法工作 \U0001f525\U0001f525 "


def _long(unit: str, size: int = BODY_LIMIT) -> str:
    """A message of `size` characters made of `unit`, ending on a whole word (tidy keeps it as it is)."""
    return (unit * (size // len(unit) + 1))[:size].rsplit(" ", 1)[0].rstrip(" ,.;:-")


@dataclass
class _Reads:
    """The longest text each CPU-bound reader of the dialogue was handed during a turn."""

    longest: dict[str, int] = field(default_factory=dict)

    def spy(self, monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> None:
        real = getattr(module, name)

        def reader(*args: object, **kwargs: object) -> object:
            text = next(a for a in args if isinstance(a, str))  # the text read (tidy's unread part is not)
            self.longest[name] = max(self.longest.get(name, 0), len(text))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, reader)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> _Reads:
    import intake.dialogue_triage as dialogue_triage

    found = _Reads()
    found.spy(monkeypatch, dialogue_triage, "assess")
    for name in ("command_in", "asks_status", "has_substance", "split_account", "tidy", "words", "yes_no"):
        found.spy(monkeypatch, understanding, name)
    dialogue_triage._triage_of.cache_clear()  # a verdict cached by another test would hide the triage call
    return found


@pytest.mark.parametrize("unit", [PROSE, FOREIGN, "no no not at the viewer "], ids=["prose", "foreign", "negations"])
def test_a_message_at_the_body_limit_is_read_only_up_to_the_limits_and_kept_whole(reads: _Reads, unit: str) -> None:
    message = "The viewer fails for every radiologist. " + _long(unit, BODY_LIMIT - 40)
    talk = _known(Talk())
    talk.say(message)
    # Every reader saw at most the message limit (one space to spare where the K# was cut out) and triage
    # at most the description limit: a turn's work no longer grows with the message.
    assert reads.longest["assess"] <= LIMITS.description
    assert max(reads.longest.values()) <= max(LIMITS.message + 1, LIMITS.description)
    notice = talk.last.prompts[0]
    assert "first 2,000 characters" in notice.text and "Everything you wrote will be kept on your case" in notice.text
    assert notice.expects is Expect.NONE and talk.phase() in (Phase.GUIDED, Phase.CONFIRM_SEVERITY)
    while talk.phase() is Phase.GUIDED:
        talk.say("not sure")
    talk.say("yes")
    case = talk.create_case()
    assert case.description.startswith(message) and len(case.summary) <= 80
    assert max(len(p) for p in talk.state.told.problem) <= LIMITS.message


def test_a_short_message_says_nothing_about_limits() -> None:
    talk = _known(Talk())
    talk.say(SLOW)
    assert "characters" not in talk.text and talk.state.told.kept == () and talk.state.told.dropped == 0


def test_four_long_messages_then_the_account_triage_reads_only_the_description_limit(reads: _Reads) -> None:
    # The turn: four 25k messages before the K#; the K# turn then triaged 100k characters.
    talk = Talk()
    talk.begin()
    messages = [_long(f"Message {n}: " + PROSE, 25_000) for n in range(4)]
    for message in messages:
        talk.say(message)
        assert "first 2,000 characters" in talk.text
    talk.say("K123456")
    assert talk.phase() in (Phase.GUIDED, Phase.CONFIRM_SEVERITY)
    assert reads.longest["assess"] <= LIMITS.description
    assert sum(map(len, talk.state.told.problem)) <= LIMITS.description
    assert talk.state.told.kept == tuple(messages)


def test_a_description_past_its_reading_limit_is_judged_by_its_start_and_kept_whole(reads: _Reads) -> None:
    talk = Talk(policy=Policy(text=TextLimits(message=1_000, description=1_500)))
    talk.begin()
    first, second = _long(OUTAGE + " ", 900), _long(PROSE, 900)
    talk.say(first)
    assert "characters" not in talk.text
    talk.say(second)  # still no K#: both are the description, and triage reads 1,500 characters of it
    assert "judged the problem by its first 1,500 characters" in talk.text
    assert "Everything you wrote will be kept on your case" in talk.text
    assert talk.state.told.kept == (first, second) and len(" ".join(talk.state.told.problem)) <= 1_500 + 1
    talk.say("K123456")
    assert reads.longest["assess"] <= 1_500 + 1
    while talk.phase() is Phase.GUIDED:
        talk.say("not sure")
    talk.say("yes")
    assert talk.create_case().description.startswith(f"{first}\n{second}")


def test_text_over_the_case_limit_is_not_kept_and_the_customer_is_told() -> None:
    talk = Talk(policy=Policy(text=TextLimits(message=500, description=1_000, kept=2_000)))
    talk.begin()
    for _ in range(6):  # a customer who never gives the K#: what is kept stops growing
        talk.say(_long(PROSE, 900))
    assert "A case keeps at most 2,000 characters of description" in talk.text
    assert sum(map(len, talk.state.told.kept)) <= 2_000 and talk.state.told.dropped > 0
    assert len(json.dumps(talk.state.to_dict())) < 2_000 + 1_500 + 1_000
    talk.say("K123456")
    while talk.phase() is Phase.GUIDED:
        talk.say("not sure")
    talk.say("yes")
    description = talk.create_case().description
    assert f"({talk.state.told.dropped:,} more characters were over the case's limit" in description


def test_a_long_answer_that_is_no_description_is_read_in_part_and_promises_nothing() -> None:
    talk = _to_confirmation(_known(Talk()), SLOW)
    talk.say("yes " + _long(PROSE, 10_000))
    notice = talk.last.prompts[0]
    assert "first 2,000 characters" in notice.text and "kept" not in notice.text
    assert talk.create_case().description == SLOW  # the answer is no part of the description


def test_a_cut_never_splits_a_k_number() -> None:
    talk = Talk()
    talk.begin()
    # The limit falls inside K1234567: read up to it, "K1234" would be taken for an account.
    start = _long(PROSE, LIMITS.message - 5).ljust(LIMITS.message - 5)
    message = start + "K1234567 " + _long(PROSE, 5_000)
    talk.say(message)
    assert talk.state.k_number is None and talk.phase() is Phase.ASK_ACCOUNT
    assert "K1234567" in talk.state.told.kept[-1]


def test_a_message_without_a_break_is_not_read_and_asked_again() -> None:
    talk = _known(Talk())
    talk.say("x" * BODY_LIMIT)
    assert "read only the start" in talk.text and "Sorry, I didn't catch that" in talk.text
    assert talk.phase() is Phase.ASK_PROBLEM and talk.state.told.problem == ()


@pytest.mark.parametrize("spaces", [" ", "\n", "\t"])
def test_an_account_prefix_before_a_long_run_of_spaces_reads_in_one_pass(spaces: str) -> None:
    # "K" then a run of spaces: the K# pattern's three `\s*` once split the run every way (cubic time:
    # 22 s at 2,000 spaces), and the severity pattern's two did the same for "sev" (quadratic).
    talk = Talk()
    talk.begin()
    talk.say("K" + spaces * (LIMITS.message - 10) + " x")
    assert talk.state.k_number is None
    assert understanding.severity_in("sev" + spaces * 100_000 + "x") is None
    assert POLICY.account.normalise("K" + spaces * 100_000 + "x") is None
