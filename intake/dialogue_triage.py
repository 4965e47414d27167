"""Triage as the dialogue sees it: the verdict on the words and answers so far, and the guided question next."""

from __future__ import annotations

from functools import lru_cache

from intake import wording as w
from intake.dialogue_events import Context
from intake.dialogue_state import State
from intake.domain import Severity
from intake.guided_questions import GuidedQuestion, Question, Triage
from intake.prompts import Prompt
from intake.severity_policy import MAX_QUESTIONS, assess

__all__ = ["current_question", "guided_prompt", "next_question", "severity", "triage"]


def triage(state: State) -> Triage:
    return _triage_of(state.told.problem, state.assessment.answers)


@lru_cache(maxsize=1024)
def _triage_of(problem: tuple[str, ...], answers: tuple[tuple[str, str], ...]) -> Triage:
    # A conversation asks for the same verdict on several turns (the question, the case's evidence);
    # triage is pure and its result frozen, so it is worked out once. The learned model reads the words,
    # the policy table reads the answers (intake/severity_policy.py).
    return assess(" ".join(problem), {Question(key): value for key, value in answers})


def severity(state: State) -> Severity:
    """The severity proposed or confirmed so far; triage's verdict before there is one."""
    chosen = state.assessment.severity
    return Severity(chosen) if chosen else triage(state).severity


def next_question(result: Triage, state: State) -> GuidedQuestion | None:
    # Triage lists questions only while unsure or while a Sev1 signal is unconfirmed; a question the
    # customer could not answer is not asked twice; never more than MAX_QUESTIONS.
    asked = state.assessment.asked
    if len(asked) >= MAX_QUESTIONS:
        return None
    return next((q for q in result.questions if q.key.value not in asked), None)


def current_question(state: State) -> GuidedQuestion | None:
    # Triage is pure: the same words and answers give back the question that was asked.
    return next((q for q in triage(state).questions if q.key.value == state.assessment.question), None)


def guided_prompt(ctx: Context, state: State, question: GuidedQuestion) -> Prompt:
    first = len(state.assessment.asked) == 1
    return w.guided(question.text, question.speak, question.choices, ctx.phone, first=first, locale=ctx.locale)
