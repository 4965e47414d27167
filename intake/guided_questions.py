"""The guided questions that settle a severity, and the triage verdict naming which to ask next.

Shared by the rules (`intake.triage`) and the learned model's dialogue (`intake.severity_policy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from intake.domain import Severity


class Question(StrEnum):
    """The guided questions the dialogue may ask to settle a severity."""

    SCOPE = "scope"
    OUTAGE = "outage"
    WORKAROUND = "workaround"
    REQUEST = "request"


@dataclass(frozen=True)
class GuidedQuestion:
    """One guided question with its chat and phone wordings and its closed set of answers."""

    key: Question
    text: str
    speak: str
    choices: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Triage:
    """The verdict: severity, how sure, why, and what to ask next."""

    severity: Severity
    confidence: float
    evidence: tuple[str, ...]
    sev1_signal: bool
    sev1_unconfirmed: bool
    questions: tuple[GuidedQuestion, ...]


# Each choice's first item is the answer's value; how the rules weigh it: the table in intake/triage.py.
QUESTIONS: Mapping[Question, GuidedQuestion] = {
    Question.SCOPE: GuidedQuestion(
        Question.SCOPE,
        "Who is affected: everyone (all users or all sites), one site or a group of users, or just one user?",
        "Is it everyone, one site or group, or just one person?",
        (("everyone", "Everyone / all sites"), ("some", "One site or a group"), ("one", "Just one user")),
    ),
    Question.OUTAGE: GuidedQuestion(
        Question.OUTAGE,
        "Is the service not working at all (or too slow for anyone to work), or working but slow or partly broken?",
        "Is it completely down, or working but slow or partly broken?",
        (
            ("down", "Not working at all / nobody can work"),
            ("degraded", "Working, but slow or partly broken"),
            ("minor", "Working; a minor or cosmetic problem"),
        ),
    ),
    Question.WORKAROUND: GuidedQuestion(
        Question.WORKAROUND,
        "Is there a workaround that keeps work flowing normally?",
        "Can people keep working normally another way?",
        (("yes", "Yes, work continues normally"), ("slow", "Only a slow or painful one"), ("no", "No")),
    ),
    Question.REQUEST: GuidedQuestion(
        Question.REQUEST,
        "Is this a problem with the service, a security concern, or a question or change request?",
        "Is something broken, a security concern, or a question or change request?",
        (
            ("problem", "Something is not working"),
            ("security", "A security concern"),
            ("question", "A question"),
            ("change", "A change request"),
        ),
    ),
}
