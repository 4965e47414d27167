"""A problem written beside a case-status question is held through the lookup, then offered as a new case."""

from __future__ import annotations

import pytest

from intake import understanding
from intake.dialogue_eval import DialogueCase, play
from intake.dialogue_events import CaseLookup, CreateCase, KnownAccount, LookupCase
from intake.dialogue_state import Phase
from intake.domain import Channel
from intake.prompts import Expect
from tests.intake.test_conversation import (
    CASE,
    OUTAGE,
    SLOW,
    TUESDAY,
    Talk,
    _filed_as,
    _known,
    _summary,
)

BESIDE = "since this morning every CT at our North hospital fails to send. The South hospital is fine."


@pytest.mark.parametrize(
    ("text", "beside"),
    [
        (f"Any update on case 2611-0098? Also, separately: {BESIDE}", BESIDE),
        ("any news on case 2611 0098 also the worklist is down for everyone", "the worklist is down for everyone"),
        ("Status of case 2611-0098 please, the CT also fails to send now", "the CT also fails to send now"),
        ("Any news on 2611-0042? It is the PACS one from Monday.", "It is the PACS one from Monday."),
        ("What is the status of case 2611-0098?", ""),
        ("hi, any update on case 2611-0042, thanks", ""),
        ("Any update on my case? Thanks!", ""),
    ],
)
def test_what_a_status_question_says_besides(text: str, beside: str) -> None:
    assert understanding.beside_status(text) == beside


def test_a_problem_beside_a_status_question_is_offered_once_the_status_is_told() -> None:
    talk = _known(Talk())
    talk.say(f"Any update on case 2611-0042? Also, separately: {OUTAGE}")
    assert talk.effect(LookupCase) == LookupCase(CASE, "K123456", TUESDAY)
    talk.send(CaseLookup(TUESDAY, _summary()))
    assert "is Severity 2" in talk.text  # the status first
    assert talk.phase() is Phase.HELD_PROBLEM and talk.asks.expects is Expect.YES_NO
    assert f"\u201c{OUTAGE}\u201d" in talk.text  # quoted back, so the customer knows what is meant
    talk.say("yes")
    assert talk.state.told.problem == (OUTAGE,)
    assert talk.phase() in (Phase.GUIDED, Phase.CONFIRM_SEVERITY)  # the intake of it, the K# already known
    while talk.phase() is Phase.GUIDED:
        talk.say("not sure")
    talk.say("yes")
    assert talk.effect(CreateCase).description == OUTAGE


def test_no_leaves_the_problem_and_asks_what_else() -> None:
    talk = _known(Talk(agents=0))
    talk.say(f"status of case 2611-0042, also {SLOW}")
    talk.send(CaseLookup(TUESDAY, None))
    talk.say("no")
    assert talk.phase() is Phase.ANYTHING_ELSE and not talk.state.described
    assert talk.state.status.held is None


def test_words_instead_of_yes_are_read_with_the_held_problem() -> None:
    talk = _known(Talk())
    talk.say(f"any news on 2611-0042? also {SLOW}")
    talk.send(CaseLookup(TUESDAY, None))
    talk.say("hmm")
    assert talk.text.startswith("Sorry") and talk.phase() is Phase.HELD_PROBLEM
    talk.say("it got worse, now nobody can work at all")
    assert talk.state.told.problem == (SLOW, "it got worse, now nobody can work at all")


def test_a_caller_known_by_number_confirms_the_account_for_the_held_problem() -> None:
    talk = Talk(Channel.PHONE)
    talk.begin(KnownAccount("K123456", "Dana"))
    talk.say("what's the status of case 2611-0042 also the scanner at the north site cannot send")
    assert talk.effect(LookupCase) == LookupCase(CASE, "K123456", TUESDAY, by_caller_id=True)
    talk.send(CaseLookup(TUESDAY, None))
    assert talk.phase() is Phase.HELD_PROBLEM and "You also mentioned a problem" in talk.speak
    talk.keys("1")
    assert talk.phase() is Phase.CONFIRM_ACCOUNT
    assert talk.state.told.problem == ("the scanner at the north site cannot send",)


def test_after_a_case_a_new_problem_beside_a_status_question_is_a_new_case() -> None:
    talk = _filed_as(3, agents=0)
    talk.created()
    talk.say(f"any news on 2611-0042? also {OUTAGE}")
    talk.send(CaseLookup(TUESDAY, None))
    talk.say("yes")
    assert talk.state.told.problem == (OUTAGE,) and talk.state.k_number == "K123456"


def test_the_dialogue_eval_plays_a_status_question_with_a_problem_to_the_end() -> None:
    line = DialogueCase(f"Any update on case 2611-0098? Also, separately: {BESIDE}", 2, {"request": "problem"})
    assert play(line).severity is not None  # was a dead end at "anything else?"


def test_a_customer_who_does_not_know_the_case_number_is_told_where_it_is_and_not_asked_forever() -> None:
    talk = _known(Talk(agents=0))
    talk.say("update on my case")
    assert talk.phase() is Phase.STATUS_NUMBER
    talk.say("I don't know it")
    assert "confirmation we sent" in talk.text and talk.phase() is Phase.ANYTHING_ELSE
    assert talk.last.effects == ()  # nothing looked up


def test_a_problem_beside_a_case_number_the_bot_cannot_read_is_still_offered() -> None:
    talk = _known(Talk())
    talk.say(f"Any update on case K1234-0098? Also, separately: {BESIDE}")  # not a case number's form
    assert talk.phase() is Phase.STATUS_NUMBER
    talk.say("not sure")
    assert talk.phase() is Phase.HELD_PROBLEM
    assert f"\u201c{BESIDE.removesuffix('.')}\u201d." in talk.text
