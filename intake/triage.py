"""Rule-based triage: a customer's words (and answers to guided questions) -> a POLICY.md severity.

The text is read into facts by `intake.triage_facts`; here answers override them and the rules decide.
"""

from __future__ import annotations

from collections.abc import Mapping

from intake.domain import Severity
from intake.guided_questions import QUESTIONS, GuidedQuestion, Question, Triage
from intake.triage_facts import Facts, Intent, Scope, normalise, read

__all__ = ["questions_for", "triage"]


# --- answers --------------------------------------------------------------------------------------


# How each answer moves the severity (values are the first item of each choice):
#   SCOPE      everyone -> breadth "all"   (with OUTAGE=down: Sev1; with degraded: Sev2)
#              some     -> breadth "group" (a site of several, a department, a modality: at most Sev2)
#              one      -> breadth "one"   (one user, device or study: Sev3)
#   OUTAGE     down     -> not delivered   (everyone: Sev1; a group: Sev2; one user: Sev3)
#              degraded -> working but slow or partly broken (Sev2 unless only one user is hit: Sev3)
#              minor    -> a minor or cosmetic defect (Sev3)
#   WORKAROUND yes      -> work flows normally: Sev3 (not when the text says work has stopped)
#              slow     -> only a slow, painful workaround: no change (it does not lower the severity)
#              no       -> no workaround: cancels any workaround read from the text
#   REQUEST    question / change -> Sev4 however urgent;  problem -> Sev1-3 from the other facts;
#              security -> a security incident: Sev2, Sev1 when active and widespread
# An explicit "down" + "everyone" is Sev1 whatever else was said, so a Sev1 is never argued away.
def _apply_answers(facts: Facts, answers: Mapping[Question, str]) -> None:
    """Answers override what the text suggested on the same axis (see the table above)."""
    for key, raw in answers.items():
        question, value = Question(key), str(raw).strip().lower()
        if value not in {v for v, _ in QUESTIONS[question].choices}:
            continue  # an answer we cannot read settles nothing (and must not rule out a Sev1)
        facts.answered[question] = value
        facts.evidence.append(f"answer {question.value}: {value}")
        if question is Question.REQUEST:
            facts.intent = Intent.PROBLEM if value in ("problem", "security") else Intent.REQUEST
            facts.security = facts.security or value == "security"
            facts.intent_known = True
        elif question is Question.SCOPE:
            facts.scope = {"everyone": Scope.ALL, "some": Scope.GROUP, "one": Scope.ONE}.get(value)
        elif question is Question.OUTAGE:
            facts.outage = value == "down"
            facts.work_stopped = facts.work_stopped and value == "down"
            facts.degraded = value == "degraded"
            facts.failure = facts.failure or value == "degraded"
            facts.cosmetic = value == "minor"
            facts.severe_failure = value != "minor"
            facts.continues = facts.continues and value != "down"
        elif question is Question.WORKAROUND:
            facts.good_workaround = value == "yes"
            facts.painful_workaround = value == "slow"
            facts.continues = value in {"yes", "slow"} or (facts.continues and value != "no")


# --- decision -------------------------------------------------------------------------------------


def _decide(f: Facts) -> Severity:
    """The POLICY.md decision: intent, then security, then breadth x impact, then workarounds."""
    if f.intent is not Intent.PROBLEM:
        return Severity.SEV4
    operational = _operational(f)
    if f.security:  # a compromise needs an engineer within the hour even when service is unaffected
        return min(operational, Severity.SEV1 if f.security_sev1 else Severity.SEV2)
    return operational


def _operational(f: Facts) -> Severity:
    """Severity from breadth and impact alone."""
    explicit_sev1 = f.answered.get(Question.OUTAGE) == "down" and f.answered.get(Question.SCOPE) == "everyone"
    if explicit_sev1:
        return Severity.SEV1
    if f.leftover or f.scope is Scope.ONE:
        return Severity.SEV3
    if f.good_workaround and not f.work_stopped:
        return Severity.SEV3
    # A minor-sounding function broken for everyone and replaced by a painful workaround is not minor.
    wide_pain = f.scope is Scope.ALL and f.painful_workaround and not f.cosmetic
    if (f.cosmetic or f.minor) and not (f.work_stopped or (f.outage and f.scope is Scope.ALL) or wide_pain):
        return Severity.SEV3
    return _breadth_by_impact(f)


def _breadth_by_impact(f: Facts) -> Severity:
    """Breadth x impact; one component (a modality, dictation, an interface) down is at most Sev2."""
    severity = _breadth(f)
    if f.component and severity is Severity.SEV1:
        return Severity.SEV2  # one function down, however widely, while the service itself is delivered
    return severity


def _breadth(f: Facts) -> Severity:
    """Who is hit (everyone, a group, one) against how badly (stopped, down, failing, slow)."""
    broad = f.scope is not Scope.GROUP  # everyone, or nobody said who: the service as a whole
    if f.work_stopped:
        return Severity.SEV1 if broad else Severity.SEV2
    if f.outage:
        return Severity.SEV1 if broad and not f.continues else Severity.SEV2
    wide = f.scope is Scope.ALL or f.modalities > 1  # everyone, or several modalities' images
    if f.failure and wide and not f.continues and not f.degraded:
        # A key function broken for everyone is Sev2, unless work visibly piles up behind it.
        return Severity.SEV1 if f.blocked else Severity.SEV2
    if f.scope in (Scope.ALL, Scope.GROUP) or f.scope_items:
        return Severity.SEV2
    if f.degraded:
        return Severity.SEV3 if f.mild else Severity.SEV2
    if f.failure:
        # A key function lost and replaced by a painful workaround is Sev2; one lost while the rest
        # works (and nothing says it is severe) is a limited, non-critical problem.
        # A key function (a modality, dictation, an interface, priors) lost for many is Sev2 though the rest works.
        severe = f.severe_failure or f.painful_workaround or f.key_component
        return Severity.SEV2 if severe or not f.continues else Severity.SEV3
    return Severity.SEV3


def _sev1_signal(f: Facts) -> bool:
    """Any hint of Sev1: an outage or stop not pinned to one user, everyone affected, a wide compromise."""
    if f.security and f.security_sev1:
        return True
    if f.intent is not Intent.PROBLEM or f.leftover:
        return False
    outage = (f.outage or f.work_stopped) and f.scope is not Scope.ONE
    everyone = f.scope is Scope.ALL and (f.failure or f.degraded or f.outage)
    return outage or everyone


def _confidence(f: Facts, severity: Severity) -> float:
    if f.intent is not Intent.PROBLEM:
        score = 0.9 if f.intent_known else 0.55
    elif f.security:
        score = 0.8
    else:
        score = 0.45
        score += 0.2 if f.scope is not None else 0.0
        score += 0.2 if (f.outage or f.work_stopped or f.failure or f.degraded) else 0.0
        decisive = f.work_stopped or f.cosmetic or f.good_workaround or f.scope is Scope.ONE or f.leftover
        score += 0.15 if decisive else 0.0
        score += 0.1 if f.continues and severity is Severity.SEV2 else 0.0
    answered = {Question.SCOPE, Question.OUTAGE} <= f.answered.keys()
    score += 0.1 * len(f.answered) + (0.3 if answered else 0.0)
    return round(min(score, 0.95), 2)


_CONFIDENT = 0.7


def _pick_questions(f: Facts, severity: Severity, confidence: float, unconfirmed: bool) -> list[Question]:
    wanted: list[Question] = []
    if unconfirmed:
        wanted += [Question.SCOPE, Question.OUTAGE]
    if confidence < _CONFIDENT:
        if f.intent is not Intent.PROBLEM or not f.intent_known:
            wanted.append(Question.REQUEST)
        if f.intent is Intent.PROBLEM or not f.intent_known:
            if f.scope is None:
                wanted.append(Question.SCOPE)
            if not (f.outage or f.work_stopped or f.degraded or f.cosmetic):
                wanted.append(Question.OUTAGE)
            if severity is Severity.SEV2:
                wanted.append(Question.WORKAROUND)
    return [q for q in dict.fromkeys(wanted) if q not in f.answered]


def triage(text: str, answers: Mapping[Question, str] | None = None) -> Triage:
    """Triage one message; `answers` (guided-question values) move the severity per POLICY.md."""
    facts = read(normalise(text))
    signal = _sev1_signal(facts)
    if answers:
        _apply_answers(facts, answers)
    severity = _decide(facts)
    ruled_out = (
        facts.answered.get(Question.SCOPE, "everyone") != "everyone"
        or facts.answered.get(Question.OUTAGE, "down") != "down"
    )
    unconfirmed = signal and severity > Severity.SEV1 and not ruled_out
    confidence = _confidence(facts, severity)
    keys = _pick_questions(facts, severity, confidence, unconfirmed)
    return Triage(
        severity=severity,
        confidence=confidence,
        evidence=tuple(dict.fromkeys(facts.evidence)),
        sev1_signal=signal,
        sev1_unconfirmed=unconfirmed,
        questions=tuple(QUESTIONS[k] for k in keys),
    )


def questions_for(t: Triage) -> tuple[GuidedQuestion, ...]:
    """The guided questions a verdict still needs, most useful first."""
    return t.questions
