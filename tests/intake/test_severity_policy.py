"""The policy table from factors to severity, the dialogue's decision on it, and answers given in words."""

from __future__ import annotations

import pytest

from intake.domain import Severity
from intake.guided_answers import answer_in_words
from intake.guided_questions import Question
from intake.severity_policy import MAX_QUESTIONS, PLAIN_WORDS, assess, decide, possible_severities, severity_of

S1, S2, S3, S4 = Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4


@pytest.mark.parametrize(
    ("factors", "severity"),
    [
        (("problem", "everyone", "down", "no"), S1),
        (("problem", "everyone", "down", "slow"), S1),  # paper is no workaround
        (("problem", "everyone", "down", "yes"), S1),  # nobody can work: never argued away
        (("problem", "some", "down", "no"), S2),  # one site of several, a department
        (("problem", "some", "down", "slow"), S2),
        (("problem", "everyone", "degraded", "no"), S2),
        (("problem", "everyone", "degraded", "slow"), S2),
        (("problem", "some", "degraded", "no"), S2),
        (("problem", "everyone", "degraded", "yes"), S3),  # a good workaround
        (("problem", "some", "down", "yes"), S3),
        (("problem", "everyone", "minor", "yes"), S3),
        (("problem", "one", "down", "no"), S3),  # one user
        (("question", None, None, None), S4),
        (("change", None, None, None), S4),
        (("security", "everyone", "down", "no"), S1),  # an active, widespread compromise
        (("security", "one", "degraded", "no"), S2),  # one account: contained, yet an engineer within the hour
        (("security", "some", "minor", "yes"), S2),  # suspected: still Sev2
    ],
)
def test_the_policy_table(factors: tuple[str, str | None, str | None, str | None], severity: Severity) -> None:
    assert severity_of(factors) is severity


def test_answers_narrow_the_possible_severities() -> None:
    assert possible_severities({Question.SCOPE: "everyone", Question.OUTAGE: "down"}) == {S1}
    assert possible_severities({Question.REQUEST: "question"}) == {S4}
    assert possible_severities({Question.SCOPE: "some"}) == {S2, S3}
    assert possible_severities({Question.REQUEST: "problem", Question.SCOPE: "one"}) == {S3}
    assert possible_severities({Question.REQUEST: "security", Question.SCOPE: "one"}) == {S2}


def test_a_sure_model_settles_without_questions() -> None:
    decision = decide((0.98, 0.01, 0.01, 0.0), {}, sev1_threshold=0.25)
    assert decision.severity is S1 and decision.questions == ()


def test_a_material_chance_of_sev1_is_confirmed_first() -> None:
    decision = decide((0.2, 0.7, 0.08, 0.02), {}, sev1_threshold=0.25)
    assert decision.severity is S2 and decision.questions[0] in (Question.SCOPE, Question.OUTAGE)


def test_a_short_message_is_not_settled_on_the_words_alone() -> None:
    decision = decide((0.98, 0.01, 0.01, 0.0), {}, sev1_threshold=0.25, plain=False)
    assert decision.questions and decision.questions[0] in (Question.SCOPE, Question.OUTAGE)


def test_a_verdict_two_away_from_a_fair_chance_is_asked_about_first() -> None:
    # Sure enough of Sev1 by the gates, but a Sev3 chance of 7% on the words alone: ask, do not page.
    on_words = decide((0.93, 0.0, 0.07, 0.0), {}, sev1_threshold=0.25)
    assert on_words.severity is S1 and on_words.questions
    # "Everyone" answered: "everyone, but only a cosmetic fault" (Sev3) is still possible, so the outage is
    # asked before Sev1 is settled.
    after_scope = decide((0.9, 0.05, 0.05, 0.0), {Question.SCOPE: "everyone"}, sev1_threshold=0.25)
    assert after_scope.severity is S1 and after_scope.questions[0] is Question.OUTAGE
    assert decide((0.9, 0.05, 0.05, 0.0), {Question.SCOPE: "everyone"}, sev1_threshold=0.25, far=1.0).questions == ()


def test_a_message_under_seven_words_is_asked_about() -> None:
    assert PLAIN_WORDS == 7
    assert assess("everything red, nothing loads", {}).questions


def test_answers_beat_the_words() -> None:
    # The words read like a minor problem, but the customer says everyone is down: Sev1.
    answers = {Question.SCOPE: "everyone", Question.OUTAGE: "down"}
    assert decide((0.0, 0.01, 0.98, 0.01), answers, sev1_threshold=0.25).severity is S1


def test_at_most_three_questions_are_asked() -> None:
    assert MAX_QUESTIONS == 3


@pytest.mark.parametrize(
    ("said", "asked", "answer"),
    [
        ("nothing is broken, it's just a question", Question.SCOPE, (Question.REQUEST, "question")),
        ("No, nothing works", Question.OUTAGE, (Question.OUTAGE, "down")),
        ("just me", Question.SCOPE, (Question.SCOPE, "one")),
        ("only the north site", Question.SCOPE, (Question.SCOPE, "some")),
        ("everyone", Question.SCOPE, (Question.SCOPE, "everyone")),
        ("es solo una pregunta", Question.OUTAGE, (Question.REQUEST, "question")),
        ("rien ne marche", Question.OUTAGE, (Question.OUTAGE, "down")),
        ("nur ich", Question.SCOPE, (Question.SCOPE, "one")),
        ("it's a security thing, an account was hacked", Question.SCOPE, (Question.REQUEST, "security")),
        ("purple", Question.SCOPE, None),
    ],
)
def test_answers_in_words(said: str, asked: Question, answer: tuple[Question, str] | None) -> None:
    assert answer_in_words(said, asked) == answer
