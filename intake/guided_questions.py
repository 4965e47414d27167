"""The guided questions that settle a severity, and the triage verdict naming which to ask next.

Shared by the rules (`intake.triage`) and the learned model's dialogue (`intake.severity_policy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from intake.catalog import N_
from intake.domain import Severity


class Question(StrEnum):
    """The guided questions the dialogue may ask to settle a severity."""

    SCOPE = "scope"
    OUTAGE = "outage"
    WORKAROUND = "workaround"
    REQUEST = "request"


@dataclass(frozen=True)
class GuidedQuestion:
    """One guided question with its chat and phone wordings and its closed set of answers (value, label).

    The wordings and labels are English message ids (intake/catalog.py), translated where the question is asked.
    """

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


# Each choice's first item is the answer's value, a stable identifier the rules weigh (the table in intake/triage.py)
# and the state stores; the texts and labels are message ids, said in the conversation's locale (intake/wording.py).
QUESTIONS: Mapping[Question, GuidedQuestion] = {
    Question.SCOPE: GuidedQuestion(
        Question.SCOPE,
        N_("Who is affected: everyone (all users or all sites), one site or a group of users, or just one user?"),
        N_("Is it everyone, one site or group, or just one person?"),
        (("everyone", N_("Everyone / all sites")), ("some", N_("One site or a group")), ("one", N_("Just one user"))),
    ),
    Question.OUTAGE: GuidedQuestion(
        Question.OUTAGE,
        N_("Is the service not working at all (or too slow for anyone to work), or working but slow or partly broken?"),
        N_("Is it completely down, or working but slow or partly broken?"),
        (
            ("down", N_("Not working at all / nobody can work")),
            ("degraded", N_("Working, but slow or partly broken")),
            ("minor", N_("Working; a minor or cosmetic problem")),
        ),
    ),
    Question.WORKAROUND: GuidedQuestion(
        Question.WORKAROUND,
        N_("Is there a workaround that keeps work flowing normally?"),
        N_("Can people keep working normally another way?"),
        (("yes", N_("Yes, work continues normally")), ("slow", N_("Only a slow or painful one")), ("no", N_("No"))),
    ),
    Question.REQUEST: GuidedQuestion(
        Question.REQUEST,
        N_("Is this a problem with the service, a security concern, or a question or change request?"),
        N_("Is something broken, a security concern, or a question or change request?"),
        (
            ("problem", N_("Something is not working")),
            ("security", N_("A security concern")),
            ("question", N_("A question")),
            ("change", N_("A change request")),
        ),
    ),
}
