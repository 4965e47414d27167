"""The dialogue's severity decision: the learned model's probabilities, narrowed by answers per POLICY.md.

The policy is one table from the four factors (request, scope, outage, workaround) to a severity. Answers
to guided questions rule out the factor combinations they contradict; the model's calibrated probabilities
are renormalised over the severities still possible. The dialogue settles when one severity is left or the
model is sure enough (GATE) with little chance left of a verdict two or more away (FAR), asks the
Sev1-confirming questions first when Sev1 is a material chance, and otherwise asks the question whose answer
is expected to tell the most about the severity.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from intake.domain import Severity
from intake.guided_questions import QUESTIONS, GuidedQuestion, Question, Triage
from intake.triage_model import SEVERITIES, TriageModel, default_model

__all__ = [
    "FAR",
    "FAR_WORDS",
    "GATE",
    "MAX_QUESTIONS",
    "PLAIN_WORDS",
    "SEV1_GATE",
    "SEV1_MATERIAL",
    "TABLE",
    "Factors",
    "assess",
    "decide",
    "possible_severities",
    "severity_of",
    "weights_of",
]

# The three thresholds were chosen on the training side of the frozen split only (docs/TRIAGE.md), by playing
# the dialogue out of fold: five models, each fitted on four fifths of the 5,833 train-side lines and played
# on the other fifth, the simulated customer answering truthfully.
# A severity other than Sev1 is settled on the words from this calibrated probability on. 0.95 (the lowest
# gate whose unasked verdicts were 98% exact in a single pass) gave 0.976 exact with 0.60 questions a
# conversation; 0.98 gives 0.980 with 0.75, two fewer ending two or more away.
GATE = 0.98
# A Sev1 the words make plain is settled from this probability on: a customer in an outage is not quizzed.
# At 0.95, 0.67 questions were asked before a Sev1 was told to call; at 0.88, 0.48, for the same Sev1 recall.
SEV1_GATE = 0.88
# P(Sev1) from which Sev1 is a material chance: well below the model's own Sev1 threshold, so an outage is
# confirmed or ruled out by a question rather than settled as Sev2 on the words alone. 0.10 let 1,415 of
# 1,435 Sev1 conversations end as Sev1; 0.01 lets 1,425. 0.01 became 0.003 after the tenth round: out of fold
# on all 10,591 train-side lines, the highest value letting every one of the 2,420 labelled Sev1
# conversations end as Sev1 (0.01 to 0.004 settled "clicking any study says no permission, for everyone" as
# Sev2 at P(Sev1) 0.003), none two away either, for 0.69 questions a conversation instead of 0.62 and the
# same 0.43 before a Sev1.
SEV1_MATERIAL = 0.003
# A verdict is settled only while the severities two or more away from it keep less than this probability
# (FAR once the customer has answered a question, FAR_WORDS on the words alone): a verdict that far off is
# the costliest mistake (a Sev3 filed for an outage, a Sev1 paged for a cosmetic fault), so it takes a
# question to rule it out. Chosen out of fold on the train side (two of five folds, 3,193 conversations
# with factor labels, fitted on the lines before the sixth round of es/fr/de/pt): with PLAIN_WORDS 7 they
# took the conversations ending two or more away from 5 to 0 and the exact share from 0.989 to 0.992, for
# 0.64 questions a conversation instead of 0.62 and 0.45 before a Sev1 is told to call instead of 0.38.
# "Everyone" alone was enough to settle a Sev1 after one question ("RSS feed gives a 404, no impact").
# FAR_WORDS 0.05 became 0.03 with the ninth round: out of fold on all 10,272 train-side lines, the highest value
# leaving none of 9,631 labelled conversations two away (0.05 and 0.04 left a question about encryption
# settled as Sev1), for 0.62 questions a conversation instead of 0.61 and 0.43 before a Sev1 instead of 0.40.
FAR = 0.005
FAR_WORDS = 0.03
MAX_QUESTIONS = 3
# A message this short says nothing of scope ("worklist dead!!", "everything red, nothing loads"): it is
# never settled unasked, only by its answers. 7 rather than 5 (out of fold, as FAR): two short messages had
# been settled on the words as Sev3, and both were outages.
PLAIN_WORDS = 7

# (request, scope, outage, workaround); None: the factor does not apply (a question or change request).
Factors = tuple[str, str | None, str | None, str | None]
_AXES = (Question.REQUEST, Question.SCOPE, Question.OUTAGE, Question.WORKAROUND)

# POLICY.md as one table, first matching row wins ("*" matches anything). Tested row by row.
TABLE: tuple[tuple[tuple[str, str, str, str], Severity], ...] = (
    (("question", "*", "*", "*"), Severity.SEV4),  # however urgent it sounds
    (("change", "*", "*", "*"), Severity.SEV4),
    # Security: an active, widespread compromise is Sev1; a suspected or contained one is Sev2 whatever its scope.
    (("security", "everyone", "down", "*"), Severity.SEV1),
    (("security", "*", "*", "*"), Severity.SEV2),
    (("problem", "one", "*", "*"), Severity.SEV3),  # one user, device or study
    (("problem", "*", "minor", "*"), Severity.SEV3),  # cosmetic or non-critical
    # Nobody can work: Sev1 whatever else was said (a workaround cannot keep work flowing if nobody can work).
    (("problem", "everyone", "down", "*"), Severity.SEV1),
    (("problem", "*", "*", "yes"), Severity.SEV3),  # a good workaround: work flows normally
    (("problem", "*", "*", "*"), Severity.SEV2),  # some + down, or degraded without a good workaround
)


def severity_of(factors: Factors) -> Severity:
    """The severity POLICY.md gives to a full set of factors."""
    for pattern, severity in TABLE:
        if all(p in ("*", v) for p, v in zip(pattern, factors, strict=True)):
            return severity
    raise AssertionError("the last row matches every problem")  # pragma: no cover


def _combinations() -> tuple[Factors, ...]:
    scopes, outages, workarounds = (tuple(v for v, _ in QUESTIONS[q].choices) for q in _AXES[1:])
    problems: tuple[Factors, ...] = tuple(
        (kind, scope, outage, workaround)
        for kind in ("problem", "security")
        for scope, outage, workaround in itertools.product(scopes, outages, workarounds)
    )
    return (*problems, ("question", None, None, None), ("change", None, None, None))


_ALL: tuple[tuple[Factors, Severity], ...] = tuple((c, severity_of(c)) for c in _combinations())


def _consistent(answers: Mapping[Question, str]) -> list[tuple[Factors, Severity]]:
    return [(c, s) for c, s in _ALL if all(c[_AXES.index(q)] == v for q, v in answers.items())]


def possible_severities(answers: Mapping[Question, str]) -> frozenset[Severity]:
    """The severities still possible after these answers."""
    return frozenset(s for _, s in _consistent(answers)) or frozenset(SEVERITIES)


@dataclass(frozen=True)
class Decision:
    """The severity to propose, how sure, and the questions worth asking (best first; none when settled)."""

    severity: Severity
    confidence: float
    posterior: tuple[float, float, float, float]
    questions: tuple[Question, ...]


def weights_of(model: TriageModel) -> dict[Factors, float]:
    """How common each factor combination is within its severity, from the model's training lines (add-one).

    A Sev2 is far more often "one site is down" than "one account was compromised": an answer of "just one
    user" then points to Sev3 unless the words say security. Without counts every combination weighs the same.
    """
    counts: dict[Factors, float] = {combo: 1.0 for combo, _ in _ALL}
    for request, scope, outage, workaround, count in model.meta.get("factor_prior", ()):
        combo: Factors = (request, scope, outage, workaround)
        if combo in counts:
            counts[combo] += float(count)
    return counts


def _posterior(
    probabilities: Sequence[float], combos: Sequence[tuple[Factors, Severity]], weights: Mapping[Factors, float]
) -> tuple[float, float, float, float]:
    # Bayes with each severity's mass shared among its factor combinations by their weights: an answer keeps
    # the share of each severity's combinations it agrees with ("everyone" keeps all of Sev1's, little of Sev3's).
    possible = frozenset(s for _, s in combos)
    kept_weight = {s: sum(weights.get(c, 1.0) for c, t in combos if t is s) for s in SEVERITIES}
    all_weight = {s: sum(weights.get(c, 1.0) for c, t in _ALL if t is s) for s in SEVERITIES}
    kept = [p * kept_weight[s] / all_weight[s] for s, p in zip(SEVERITIES, probabilities, strict=True)]
    total = sum(kept)
    if total <= 0:
        kept, total = [1.0 if s in possible else 0.0 for s in SEVERITIES], float(len(possible))
    a, b, c, d = (k / total for k in kept)
    return a, b, c, d


def _pick(posterior: Sequence[float], sev1_threshold: float) -> Severity:
    if posterior[0] >= sev1_threshold:  # a missed outage costs more than one over-called
        return Severity.SEV1
    return SEVERITIES[max(range(4), key=posterior.__getitem__)]


def _entropy(masses: Sequence[float]) -> float:
    total = sum(masses)
    return -sum(m / total * math.log(m / total) for m in masses if m > 0) if total > 0 else 0.0


def _information(
    question: Question,
    combos: Sequence[tuple[Factors, Severity]],
    posterior: Sequence[float],
    weights: Mapping[Factors, float],
) -> float:
    """Expected fall in the entropy of the severity once `question` is answered (the answer's value to triage)."""
    kept = {s: sum(weights.get(c, 1.0) for c, t in combos if t is s) for s in SEVERITIES}
    by_answer: dict[str | None, list[float]] = {}
    for combo, severity in combos:
        mass = posterior[int(severity) - 1] * weights.get(combo, 1.0) / kept[severity]
        by_answer.setdefault(combo[_AXES.index(question)], [0.0] * 4)[int(severity) - 1] += mass
    return _entropy(posterior) - sum(sum(masses) * _entropy(masses) for masses in by_answer.values())


def _far_from(severity: Severity, posterior: Sequence[float]) -> float:
    """The probability of the severities two or more away from `severity`."""
    return sum(p for i, p in enumerate(posterior) if abs(i - (int(severity) - 1)) >= 2)


def decide(
    probabilities: Sequence[float],
    answers: Mapping[Question, str],
    *,
    sev1_threshold: float,
    gate: float = GATE,
    sev1_gate: float = SEV1_GATE,
    far: float = FAR,
    far_words: float = FAR_WORDS,
    plain: bool = True,
    weights: Mapping[Factors, float] | None = None,
) -> Decision:
    """What to propose and what to ask, from the model's probabilities and the answers so far."""
    weighed = weights or {}
    combos = _consistent(answers) or list(_ALL)
    possible = frozenset(s for _, s in combos)
    posterior = _posterior(probabilities, combos, weighed)
    severity = _pick(posterior, sev1_threshold)
    confidence = posterior[int(severity) - 1]
    # A short message is settled by its answers alone; a plain one also when the model is sure.
    enough = sev1_gate if severity is Severity.SEV1 else gate
    sure = (
        (plain or len(answers) >= 2)
        and confidence >= enough
        and (severity is Severity.SEV1 or posterior[0] < SEV1_MATERIAL)
        and _far_from(severity, posterior) < (far if answers else far_words)
    )
    if len(possible) == 1 or sure:
        return Decision(severity, confidence, posterior, ())
    gains = {q: _information(q, combos, posterior, weighed) for q in _AXES if q not in answers}
    useful = sorted((q for q, gain in gains.items() if gain > 1e-9), key=lambda q: -gains[q])
    if posterior[0] >= SEV1_MATERIAL:  # confirm or rule out the outage first: is it everyone, can anyone work?
        first = [q for q in (Question.SCOPE, Question.OUTAGE) if q in useful]
        useful = first + [q for q in useful if q not in first]
    return Decision(severity, confidence, posterior, tuple(useful))


def assess(text: str, answers: Mapping[Question, str], model: TriageModel | None = None) -> Triage:
    """The dialogue's verdict on the customer's words and answers, in the shape the rules give."""
    used = model or default_model()
    prediction = used.predict(text)
    known = {Question(k): v for k, v in answers.items() if v in {c for c, _ in QUESTIONS[Question(k)].choices}}
    plain = len(text.split()) >= PLAIN_WORDS
    decision = decide(
        prediction.probabilities, known, sev1_threshold=used.sev1_threshold, plain=plain, weights=weights_of(used)
    )
    evidence = (
        *(f"said: {phrase}" for phrase, _ in prediction.why),
        *(f"answer {q.value}: {v}" for q, v in known.items()),
    )
    questions: tuple[GuidedQuestion, ...] = tuple(QUESTIONS[q] for q in decision.questions)
    return Triage(
        severity=decision.severity,
        confidence=round(decision.confidence, 3),
        evidence=evidence,
        sev1_signal=decision.posterior[0] >= SEV1_MATERIAL,
        sev1_unconfirmed=bool(questions) and decision.posterior[0] >= SEV1_MATERIAL,
        questions=questions,
    )
