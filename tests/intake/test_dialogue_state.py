"""The stored dialogue state: rows written before the sub-flow records were nested load and carry on.

The OLD_* rows are literal `State.to_dict()` output of the flat 22-field State (commit 06b33ee), and the
expected continuations are what that code answered from them. The wire form stays flat, so each release
reads the other's rows: a new row is compared key for key with what the old code wrote.
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

from intake.conversation import step
from intake.dialogue_events import CaseCreated, CaseLookup, Context, CreateCase, RequestHandoff, UserTurn
from intake.dialogue_state import Assessment, Filing, Phase, State, StatusCheck, Told
from intake.domain import Channel, HandoffReason, Outcome, Severity
from tests.intake.test_conversation import CASE, POLICY, TUESDAY, _summary

CHAT = Context(POLICY, Channel.CHAT, "conv-1", 1)

# Waiting on the second guided question (the first answered), a screenshot attached along the way.
OLD_GUIDED: dict[str, Any] = {
    "phase": "guided", "k_number": "K123456", "known_k": None, "problem": ["HELP!!"], "kept": [], "dropped": 0,
    "answers": [["scope", "everyone"]], "asked": ["scope", "outage"], "question": "outage", "severity": None,
    "corrections": [], "attachments": ["screen.png"], "attached": 0, "cases": 0, "last_case": None,
    "case_at": None, "outcome": "web_request", "offer_agent": False, "handoff": False, "agent_reason": "question",
    "agent_case": None, "lookup": None, "resume": None, "silences": 0,
}  # fmt: skip

# The CreateCase sent (Severity 3 proposed, 2 chosen), its result not yet back.
OLD_FILING: dict[str, Any] = {
    "phase": "filing", "k_number": "K123456", "known_k": None, "problem": ["something is wrong with the reports"],
    "kept": [], "dropped": 0, "answers": [["workaround", "yes"]], "asked": ["workaround"], "question": None,
    "severity": 2, "corrections": [[3, 2]], "attachments": ["screen.png"], "attached": 1, "cases": 0,
    "last_case": None, "case_at": "2026-11-24T10:00:00-05:00", "outcome": "web_request", "offer_agent": True,
    "handoff": False, "agent_reason": "question", "agent_case": None, "lookup": None, "resume": None, "silences": 0,
}  # fmt: skip

# A status check that interrupted the first guided question, the lookup under way.
OLD_LOOKING_UP: dict[str, Any] = {
    **OLD_GUIDED, "phase": "looking_up", "answers": [], "asked": ["scope"], "question": "scope",
    "attachments": [], "lookup": "2611-0042", "resume": "guided",
}  # fmt: skip

# A live agent offered after a case's status was told.
OLD_OFFER: dict[str, Any] = {
    **OLD_GUIDED, "phase": "offer_agent", "problem": [], "answers": [], "asked": [], "question": None,
    "attachments": [], "agent_reason": "case_status", "agent_case": "2611-0042",
}  # fmt: skip


def _loaded(row: dict[str, Any]) -> State:
    return State.from_dict(json.loads(json.dumps(row)))


def test_an_old_row_loads_into_the_records_and_is_written_back_unchanged() -> None:
    for row in (OLD_GUIDED, OLD_FILING, OLD_LOOKING_UP, OLD_OFFER):
        assert _loaded(row).to_dict() == row  # same keys and values: the previous release reads it too
    guided = _loaded(OLD_GUIDED)
    assert guided.phase is Phase.GUIDED and guided.k_number == "K123456"
    assert guided.told == Told(problem=("HELP!!",))
    assert guided.assessment == Assessment(
        answers=(("scope", "everyone"),), asked=("scope", "outage"), question="outage"
    )
    assert guided.filing == Filing(attachments=("screen.png",))
    filing = _loaded(OLD_FILING)
    assert filing.assessment.corrections == ((3, 2),) and filing.filing.outcome is Outcome.WEB_REQUEST
    assert _loaded(OLD_LOOKING_UP).status == StatusCheck(lookup="2611-0042", resume=Phase.GUIDED)
    assert _loaded(OLD_OFFER).offer.agent_reason is HandoffReason.CASE_STATUS


def test_a_stored_mid_question_state_takes_the_answer() -> None:
    answered = step(CHAT, _loaded(OLD_GUIDED), UserTurn(TUESDAY, "nothing works at all"))
    assert answered.state.phase is Phase.CONFIRM_SEVERITY
    assert answered.prompts[-1].text.startswith("From what you describe, this looks like Severity 1 (service down).")
    assert answered.state.to_dict() == {
        **OLD_GUIDED, "phase": "confirm_severity", "answers": [["scope", "everyone"], ["outage", "down"]],
        "question": None, "severity": 1,
    }  # fmt: skip


def test_a_stored_filing_state_re_emits_the_same_case_and_takes_its_result() -> None:
    again = step(CHAT, _loaded(OLD_FILING), UserTurn(TUESDAY, "hello?", attachments=("late.log",)))
    [created] = again.effects
    assert isinstance(created, CreateCase)
    assert (created.key, created.k_number, created.severity) == ("conv-1:case:1", "K123456", Severity.SEV2)
    assert created.summary == "Something is wrong with the reports"
    assert (
        created.description
        == "something is wrong with the reports\n\nAnswers to the triage questions:\n- workaround: yes"
    )
    assert created.severity_corrections == ((3, 2),) and created.attachments == ("screen.png",)
    assert created.at == datetime.fromisoformat("2026-11-24T10:00:00-05:00")
    assert [p.text for p in again.prompts] == [
        "Thanks, I've attached late.log to your case.",
        "One moment, I'm still working on that.",
    ]
    assert again.state.to_dict() == {**OLD_FILING, "attachments": ["screen.png", "late.log"]}

    response, fix = POLICY.due(Severity.SEV2, TUESDAY)
    filed = step(CHAT, _loaded(OLD_FILING), CaseCreated(TUESDAY, CASE, response, fix))
    assert [p.text for p in filed.prompts] == [
        "I've filed case 2611-0042 as Severity 2 (severely degraded). An engineer will respond by 11:00 AM "
        "Eastern today, and we aim to have it fixed by 10:00 AM Eastern tomorrow.",
        "A live agent is available now. Would you like to chat with them about this?",
    ]
    assert filed.state.to_dict() == {
        **OLD_FILING, "phase": "offer_agent", "problem": [], "answers": [], "asked": [], "severity": None,
        "corrections": [], "attachments": [], "attached": 0, "cases": 1, "last_case": CASE, "case_at": None,
        "offer_agent": False, "agent_case": CASE,
    }  # fmt: skip


def test_a_stored_lookup_returns_to_the_question_it_interrupted() -> None:
    told = step(CHAT, _loaded(OLD_LOOKING_UP), CaseLookup(TUESDAY, _summary()))
    assert told.prompts[0].text.startswith("Case 2611-0042 (Viewer slow) is Severity 2 (severely degraded).")
    assert told.prompts[-1].text.startswith("To get the severity right, a few quick questions. Who is affected")
    assert told.state.to_dict() == {**OLD_LOOKING_UP, "phase": "guided", "lookup": None, "resume": None}


def test_a_stored_agent_offer_hands_off_for_its_reason() -> None:
    accepted = step(CHAT, _loaded(OLD_OFFER), UserTurn(TUESDAY, "yes"))
    assert accepted.effects == (RequestHandoff(HandoffReason.CASE_STATUS, CASE, TUESDAY),)
    assert accepted.effects[0].reason == "case_status"  # as the handoffs table stores it
    assert accepted.done and accepted.state.to_dict() == {**OLD_OFFER, "phase": "done"}


def test_the_wire_names_of_the_records_never_collide() -> None:
    names: list[str] = []
    for f in fields(State):
        record = f.default
        names += [g.name for g in fields(record)] if is_dataclass(record) else [f.name]
    # Fields added since are written only when set.
    flagged = State(assessment=Assessment(window_asked=True), status=StatusCheck(held="the CT fails"))
    assert len(names) == len(set(names)) == len(flagged.to_dict()) == len(State().to_dict()) + 2


def test_a_flag_added_since_is_written_only_when_set_and_read_back() -> None:
    assert "window_asked" not in _loaded(OLD_GUIDED).to_dict()  # the previous release's rows stay as they were
    asked = State.from_dict({**OLD_GUIDED, "phase": "in_window", "window_asked": True})
    assert asked.phase is Phase.IN_WINDOW and asked.assessment.window_asked
    assert _loaded(asked.to_dict()) == asked


def test_an_empty_resume_in_an_old_row_reads_as_none() -> None:
    assert State.from_dict({"phase": "guided", "resume": ""}).status.resume is None
