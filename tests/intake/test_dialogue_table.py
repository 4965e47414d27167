"""The phase table: every phase reads an answer, awaits a result or ends; it has a prompt; step keeps to it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from intake import dialogue_table
from intake.conversation import step
from intake.dialogue_events import CaseCreated, CaseLookup, Resume, Step
from intake.dialogue_questions import PROMPTS
from intake.dialogue_state import FollowUp, Phase, State
from intake.dialogue_table import ANYWHERE, START, TABLE, Anywhere, UndeclaredMove, diagram, moved
from intake.wording import anything_else
from tests.intake.test_conversation import SLOW, TUESDAY, Talk, _known, _to_confirmation

ARCHITECTURE = Path(__file__).parents[2] / "docs" / "ARCHITECTURE.md"


@pytest.mark.parametrize("phase", list(Phase))
def test_every_phase_reads_an_answer_awaits_a_result_or_ends(phase: Phase) -> None:
    node = TABLE[phase]
    assert [node.handler is not None, node.awaits is not None, node.final].count(True) == 1
    assert phase in PROMPTS, "every phase has the question it waits on, to ask again after help or nonsense"


def test_the_phases_that_read_no_answer_are_the_ones_the_dialogue_names() -> None:
    assert {p: n.awaits for p, n in TABLE.items() if n.awaits} == {
        Phase.FILING: CaseCreated,
        Phase.LOOKING_UP: CaseLookup,
    }
    assert [p for p, n in TABLE.items() if n.final] == [Phase.DONE]


def test_every_move_leads_to_a_phase_and_every_phase_is_reached() -> None:
    reached = set(START) | {to for node in TABLE.values() for to in node.to}
    reached |= {to for targets in ANYWHERE.values() for to in targets}
    assert reached == set(Phase)


def test_a_move_the_table_does_not_declare_is_refused() -> None:
    with pytest.raises(UndeclaredMove, match="pick_severity -> offer_agent"):
        moved(Phase.PICK_SEVERITY, Step((), State(phase=Phase.OFFER_AGENT)))
    assert moved(Phase.PICK_SEVERITY, Step((), State(phase=Phase.FILING))).state.phase is Phase.FILING


def test_step_keeps_to_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the move to FILING in the table, choosing a severity is refused: step checks every move.
    no_filing = replace(TABLE[Phase.CONFIRM_SEVERITY], to=frozenset({Phase.PICK_SEVERITY}))
    monkeypatch.setattr(dialogue_table, "TABLE", {**TABLE, Phase.CONFIRM_SEVERITY: no_filing})
    talk = _to_confirmation(_known(Talk()), SLOW)
    with pytest.raises(UndeclaredMove, match="confirm_severity -> filing"):
        talk.say("yes")


def test_the_follow_up_choices_are_the_follow_ups_the_dialogue_reads() -> None:
    assert [c.value for c in anything_else(phone=False).choices] == list(FollowUp)


def test_the_diagram_shows_every_phase_and_is_the_one_in_the_architecture_notes() -> None:
    drawn = diagram()
    assert drawn.startswith("stateDiagram-v2\n")
    for phase in Phase:
        assert f" {phase.value} -->" in drawn or f"--> {phase.value}" in drawn
    assert "    filing --> offer_agent: case created\n" in drawn
    assert "    anywhere --> ask_account: start over\n" in drawn
    assert f"```mermaid\n{drawn}```" in ARCHITECTURE.read_text(encoding="utf-8"), (
        "docs/ARCHITECTURE.md shows an old diagram: paste `python -m intake.dialogue_table` output"
    )


def test_a_chat_back_from_a_live_agent_moves_as_the_table_says(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = Talk().ctx
    handed_off = State(phase=Phase.DONE, k_number="K123456", last_case="2611-0042")
    assert step(ctx, handed_off, Resume(TUESDAY)).state.phase is Phase.ANYTHING_ELSE
    assert "    anywhere --> anything_else: back from a live agent\n" in diagram()
    # Without the move in the table, resuming is refused: the handoff service has no way round the table.
    narrower = {**ANYWHERE, Anywhere.RESUME: frozenset({Phase.ASK_ACCOUNT, Phase.ASK_PROBLEM})}
    monkeypatch.setattr(dialogue_table, "ANYWHERE", narrower)
    with pytest.raises(UndeclaredMove, match="done -> anything_else"):
        step(ctx, handed_off, Resume(TUESDAY))
