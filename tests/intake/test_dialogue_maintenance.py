"""Planned maintenance in the dialogue: an affected customer is told once the K# is known; an outage during their
window is answered with it, and a case is recorded only if they say it is something else."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from intake.dialogue_events import Context, CreateCase, HangUp, KnownAccount
from intake.dialogue_state import Phase
from intake.domain import Channel
from intake.prompts import NO_KEY, YES_KEY, Expect
from intake.wording_maintenance import MaintenanceNote
from tests.intake.test_conversation import OUTAGE, QUESTION, TUESDAY, Talk

HOUR = timedelta(hours=1)
# Under way at TUESDAY 10:00 New York, until 13:00; and one ahead, in its notice period.
UNDER_WAY = MaintenanceNote("Database upgrade", TUESDAY - HOUR, TUESDAY + 3 * HOUR, True, frozenset({"K123456"}))
AHEAD = MaintenanceNote("Network switch", TUESDAY + timedelta(days=5), TUESDAY + timedelta(days=5, hours=2), True, None)


@dataclass
class WindowTalk(Talk):
    """A conversation whose turns carry the windows the bot read (in their notice period or under way)."""

    notes: tuple[MaintenanceNote, ...] = ()

    @property
    def ctx(self) -> Context:
        return replace(super().ctx, maintenance=self.notes)


def _to_window_question(talk: WindowTalk) -> WindowTalk:
    talk.begin()
    talk.say(f"K123456 {OUTAGE}")
    while talk.phase() is Phase.GUIDED:
        talk.say(talk.asks.choices[0].value)
    assert talk.phase() is Phase.IN_WINDOW, talk.text
    return talk


def test_an_affected_customer_is_told_once_the_account_is_known() -> None:
    talk = WindowTalk(notes=(AHEAD,))
    talk.begin()
    assert "maintenance" not in talk.text  # before the K#: nobody knows whom it affects
    talk.say("K123456")
    assert "Please note: planned maintenance affects your service from " in talk.text
    assert "Network switch" in talk.text and "Eastern" in talk.text
    assert talk.phase() is Phase.ASK_PROBLEM
    talk.say(QUESTION)  # told once: not again with the next question
    assert "maintenance" not in talk.text


def test_a_customer_the_window_does_not_name_hears_nothing_of_it() -> None:
    talk = WindowTalk(notes=(UNDER_WAY,))
    talk.begin()
    talk.say(f"K654321 {OUTAGE}")
    while talk.phase() is Phase.GUIDED:
        talk.say(talk.asks.choices[0].value)
    assert "maintenance" not in talk.text and talk.phase() is Phase.CONFIRM_SEVERITY


def test_an_outage_during_their_window_is_answered_with_it_and_not_recorded_when_it_is_the_maintenance() -> None:
    talk = _to_window_question(WindowTalk(notes=(UNDER_WAY,)))
    said = talk.text
    assert "That may well be the planned maintenance under way on your service until " in said
    assert "Database upgrade" in said and said.count("Database upgrade") == 1  # told once, not twice
    assert talk.asks.expects is Expect.YES_NO and "something else" in talk.asks.text
    assert talk.last.effects == ()
    talk.say("no")
    assert "nothing to record" in talk.text and talk.phase() is Phase.ANYTHING_ELSE
    assert talk.last.effects == () and not talk.state.described  # the problem is dropped, no case
    talk.say("bye")
    assert talk.last.effects == () and talk.phase() is Phase.DONE


def test_an_outage_during_their_window_is_still_recorded_when_they_say_it_is_something_else() -> None:
    talk = _to_window_question(WindowTalk(notes=(UNDER_WAY,)))
    talk.say("yes")
    assert talk.phase() is Phase.CONFIRM_SEVERITY
    talk.say("yes")
    case = talk.create_case()
    assert case.k_number == "K123456" and case.description.startswith(OUTAGE)
    assert "the customer says it is something else" in case.description
    talk.created()
    assert talk.phase() in (Phase.ANYTHING_ELSE, Phase.OFFER_AGENT)


def test_more_words_instead_of_yes_or_no_are_read_as_something_else() -> None:
    talk = _to_window_question(WindowTalk(notes=(UNDER_WAY,)))
    talk.say("the login page says error 500 and the archive will not open either")
    assert talk.phase() in (Phase.GUIDED, Phase.CONFIRM_SEVERITY)  # not asked about the window again
    assert "the login page" in " ".join(talk.state.told.problem)


def test_a_question_during_the_window_or_an_outage_before_it_is_filed_as_usual() -> None:
    talk = WindowTalk(notes=(UNDER_WAY,))
    talk.begin()
    talk.say(f"K123456 {QUESTION}")
    assert "under way" in talk.text  # told of the window on the K#
    assert talk.phase() is not Phase.IN_WINDOW
    ahead = WindowTalk(notes=(replace(UNDER_WAY, start=TUESDAY + HOUR),))
    ahead.begin()
    ahead.say(f"K123456 {OUTAGE}")
    while ahead.phase() is Phase.GUIDED:
        ahead.say(ahead.asks.choices[0].value)
    assert ahead.phase() is Phase.CONFIRM_SEVERITY  # not yet under way: an outage is not the maintenance


def test_a_window_over_is_not_told() -> None:
    talk = WindowTalk(notes=(UNDER_WAY,), at=UNDER_WAY.end)
    talk.begin()
    talk.say("K123456")
    assert "maintenance" not in talk.text


def test_on_the_phone_a_caller_presses_no_for_the_maintenance_or_yes_for_a_case() -> None:
    caller = KnownAccount("K123456", "North Clinic")
    for key, phase in ((NO_KEY, Phase.ANYTHING_ELSE), (YES_KEY, Phase.CONFIRM_SEVERITY)):
        talk = WindowTalk(channel=Channel.PHONE, notes=(UNDER_WAY,))
        talk.begin(caller)
        talk.say(f"yes, {OUTAGE}")
        while talk.phase() is Phase.GUIDED:
            talk.keys(talk.asks.choices[0].digit or "1")
        assert talk.phase() is Phase.IN_WINDOW
        assert "under way on your service, until " in talk.speak
        talk.keys(key)
        assert talk.phase() is phase
        assert talk.last.effects == ()


def test_a_caller_hanging_up_at_the_question_leaves_an_incomplete_case() -> None:
    talk = _to_window_question(WindowTalk(channel=Channel.CHAT, notes=(UNDER_WAY,)))
    talk.send(HangUp(TUESDAY))
    assert talk.create_case().incomplete


def test_the_answer_is_read_again_after_nonsense_and_a_status_question_comes_back_to_it() -> None:
    talk = _to_window_question(WindowTalk(notes=(UNDER_WAY,)))
    talk.say("hmm")
    assert talk.phase() is Phase.IN_WINDOW and "something else" in talk.asks.text
    assert isinstance(talk.state.assessment.window_asked, bool) and talk.state.assessment.window_asked
    assert [e for e in talk.last.effects if isinstance(e, CreateCase)] == []
