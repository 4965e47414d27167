"""Labelled lines played through the real intake dialogue by a simulated customer; figures of the outcome."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from intake.conversation import start, step
from intake.dialogue_events import CaseLookup, Context, CreateCase, Start, Step, UserTurn
from intake.dialogue_state import Phase, State
from intake.domain import Channel
from intake.guided_questions import QUESTIONS, Question
from intake.policy import Policy

__all__ = ["DialogueCase", "DialogueReport", "Played", "play", "report_of"]

K_NUMBER = "K123456"
# A Tuesday morning: chat is open, so no outcome depends on the hour.
AT = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/New_York"))
MAX_TURNS = 12
# When a factor does not apply (a question or change request), the customer says so in words.
NOT_A_PROBLEM = {
    "question": "Nothing is broken, it's just a question.",
    "change": "Nothing is broken, it's a change request.",
}


@dataclass(frozen=True)
class DialogueCase:
    """One labelled line: the words, the severity, the factor labels (empty when the line has none)."""

    text: str
    severity: int
    factors: Mapping[str, str | None]
    channel: Channel = Channel.CHAT


@dataclass(frozen=True)
class Played:
    """How one conversation ended: the severity filed (None: a dead end) and the guided questions asked."""

    severity: int | None
    questions: int


def _answer(case: DialogueCase, question: str | None) -> str:
    if question is None or not case.factors:
        return "I'm not sure"
    value = case.factors.get(question)
    request = case.factors.get("request") or "problem"
    if value is None:
        return NOT_A_PROBLEM.get(str(request), "I'm not sure")
    labels = dict(QUESTIONS[Question(question)].choices)
    return labels.get(value, "I'm not sure")


def play(case: DialogueCase, policy: Policy | None = None) -> Played:
    """One conversation: the K#, the line, truthful answers, and yes to the severity proposed (a case the line
    asks after is not on file, or its number not known; a problem written beside that question is one to report)."""
    ctx = Context(policy or Policy(), case.channel, "dialogue-eval")
    current: Step = start(ctx, Start(AT))
    state: State = current.state
    questions = 0
    said = [K_NUMBER, case.text]
    for _ in range(MAX_TURNS):
        if said:
            text = said.pop(0)
        elif state.phase is Phase.GUIDED:
            text = _answer(case, state.assessment.question)
        elif state.phase in (Phase.CONFIRM_SEVERITY, Phase.HELD_PROBLEM):
            text = "yes"  # the severity proposed; the problem written beside a status question is one to report
        elif state.phase is Phase.STATUS_NUMBER:
            text = "I'm not sure"  # the line's case number, if any, is not one the bot can read
        elif state.phase is Phase.LOOKING_UP:
            current = step(ctx, state, CaseLookup(AT, None))  # the case asked after is not on file here
            state = current.state
            continue
        else:
            return Played(None, questions)
        current = step(ctx, state, UserTurn(AT, text=text))
        state = current.state
        filed = [e for e in current.effects if isinstance(e, CreateCase)]
        if filed:
            return Played(int(filed[0].severity), questions)
        questions += state.phase is Phase.GUIDED
    return Played(None, questions)


@dataclass(frozen=True)
class DialogueReport:
    """Final exact, Sev1 recall, off by two, dead ends and questions asked, over all conversations."""

    total: int
    exact: int
    sev1: int
    sev1_caught: int
    off_by_two: int
    dead_ends: int
    questions: int
    sev1_questions: int

    @property
    def accuracy(self) -> float:
        return self.exact / self.total if self.total else 0.0

    @property
    def sev1_recall(self) -> float:
        return self.sev1_caught / self.sev1 if self.sev1 else 0.0

    @property
    def mean_questions(self) -> float:
        return self.questions / self.total if self.total else 0.0

    @property
    def mean_sev1_questions(self) -> float:
        return self.sev1_questions / self.sev1 if self.sev1 else 0.0

    def to_dict(self) -> dict[str, object]:
        """Plain-data form (JSON-ready)."""
        return {
            "total": self.total,
            "exact": round(self.accuracy, 4),
            "sev1_recall": round(self.sev1_recall, 4),
            "off_by_two": self.off_by_two,
            "dead_ends": self.dead_ends,
            "questions_mean": round(self.mean_questions, 3),
            "questions_mean_sev1": round(self.mean_sev1_questions, 3),
        }

    def to_text(self) -> str:
        """Human-readable summary."""
        return (
            f"{self.total} conversations: final exact {self.accuracy:.3f} ({self.exact}/{self.total}), "
            f"Sev1 recall {self.sev1_recall:.3f} ({self.sev1_caught}/{self.sev1}), off by two {self.off_by_two}, "
            f"dead ends {self.dead_ends}, questions asked: mean {self.mean_questions:.2f}, "
            f"for Sev1 {self.mean_sev1_questions:.2f}"
        )


def report_of(results: Iterable[tuple[DialogueCase, Played]]) -> DialogueReport:
    """Count conversations already played (so one playing can be counted over several subsets)."""
    total = exact = sev1 = caught = far = dead = asked = sev1_asked = 0
    for case, played in results:
        total += 1
        asked += played.questions
        if case.severity == 1:
            sev1 += 1
            sev1_asked += played.questions
            caught += played.severity == 1
        if played.severity is None:
            dead += 1
            continue
        exact += played.severity == case.severity
        far += abs(played.severity - case.severity) >= 2
    return DialogueReport(total, exact, sev1, caught, far, dead, asked, sev1_asked)
