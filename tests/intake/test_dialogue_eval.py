"""The dialogue, played by a simulated customer over the frozen test split of the committed data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intake.dialogue_eval import DialogueCase, DialogueReport, Played, play, report_of
from intake.domain import Channel
from intake.triage_model import split_of

DATA = Path(__file__).resolve().parents[2] / "data" / "triage"
FILES = tuple(sorted(path.name for path in DATA.glob("*.jsonl")))
FACTORS = ("request", "scope", "outage", "workaround")
# Reached on 2026-12-05 on the 2,653 test-side lines of data/triage with model lr-1-47b616bc9b80, FAR_WORDS 0.03
# and SEV1_MATERIAL 0.003 (docs/TRIAGE.md). On the 2,485 lines with factor labels (the dialogue as the issue
# defines it: the simulated customer answers from them): 0.996 exact, every one of the 610 Sev1 ends as Sev1,
# none off by two, no dead end, 0.66 questions a conversation, 0.37 before a Sev1 is told to call: the issue's
# targets. On all 2,653 (the 168 without labels answer "not sure"): 0.991, Sev1 recall 0.995, 1 off by two,
# asserted at what was reached.
FLOOR_EXACT = 0.97
MAX_DEAD_ENDS = 0
MAX_QUESTIONS_MEAN = 1.0
MAX_QUESTIONS_SEV1 = 0.5
LABELLED_SEV1 = 1.0
LABELLED_OFF_BY_TWO = 0
ALL_SEV1 = 0.99
ALL_OFF_BY_TWO = 1


def _test_split() -> list[DialogueCase]:
    cases: list[DialogueCase] = []
    for name in FILES:
        for raw in (DATA / name).read_text(encoding="utf-8").splitlines():
            item = json.loads(raw)
            if split_of(item["text"]) == "test":
                channel = Channel.PHONE if item.get("channel") == "phone" else Channel.CHAT
                factors = {k: item[k] for k in FACTORS if k in item}
                cases.append(DialogueCase(item["text"], int(item["severity"]), factors, channel))
    return cases


@pytest.fixture(scope="module")
def played() -> list[tuple[DialogueCase, Played]]:
    return [(case, play(case)) for case in _test_split()]


def _assert_reached(report: DialogueReport, *, sev1_recall: float, off_by_two: int) -> None:
    assert report.total >= 1100
    assert report.accuracy >= FLOOR_EXACT
    assert report.sev1_recall >= sev1_recall
    assert report.off_by_two <= off_by_two
    assert report.dead_ends <= MAX_DEAD_ENDS
    assert report.mean_questions <= MAX_QUESTIONS_MEAN
    assert report.mean_sev1_questions <= MAX_QUESTIONS_SEV1


def test_the_dialogue_reaches_the_targets_on_the_lines_with_factor_labels(
    played: list[tuple[DialogueCase, Played]],
) -> None:
    labelled = report_of((case, result) for case, result in played if case.factors)
    _assert_reached(labelled, sev1_recall=LABELLED_SEV1, off_by_two=LABELLED_OFF_BY_TWO)


def test_the_dialogue_reaches_its_measured_figures_on_every_line(played: list[tuple[DialogueCase, Played]]) -> None:
    _assert_reached(report_of(played), sev1_recall=ALL_SEV1, off_by_two=ALL_OFF_BY_TWO)


def test_a_plain_outage_is_not_quizzed() -> None:
    case = DialogueCase(
        "Nobody in the whole hospital can open the viewer, everything is down for everyone since 9",
        1,
        {"request": "problem", "scope": "everyone", "outage": "down", "workaround": "no"},
    )
    assert play(case).severity == 1 and play(case).questions == 0


def test_a_question_answered_in_words_is_not_re_asked() -> None:
    # The customer says "nothing is broken, it's just a question" to whatever factor question comes first.
    case = DialogueCase("worklist thing??", 4, {"request": "question", "scope": None, "outage": None})
    played = play(case)
    assert played.severity == 4 and played.questions == 1


def test_answers_in_a_short_message_decide_its_severity() -> None:
    factors = {"request": "problem", "scope": "some", "outage": "down", "workaround": "no"}
    played = play(DialogueCase("worklist dead!!", 2, factors))
    assert played.severity == 2 and 1 <= played.questions <= 3
