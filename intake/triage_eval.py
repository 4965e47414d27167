"""How well the rule-based triage does on labelled messages: accuracy, precision/recall, confusion."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from intake.triage import triage


@dataclass(frozen=True)
class EvalReport:
    """Accuracy figures of `triage` on labelled messages."""

    total: int
    correct: int
    accuracy: float
    per_severity: dict[int, tuple[float, float]]
    confusion: list[list[int]]
    max_distance: int
    missed_sev1: int

    def to_text(self) -> str:
        """Human-readable summary: accuracy, per-severity precision/recall, confusion matrix."""
        lines = [
            f"accuracy {self.accuracy:.3f} ({self.correct}/{self.total}), max distance {self.max_distance}, "
            f"missed Sev1 {self.missed_sev1}",
            "sev  precision  recall",
        ]
        lines += [f"  {s}  {p:9.3f}  {r:6.3f}" for s, (p, r) in sorted(self.per_severity.items())]
        lines.append("gold\\pred    1    2    3    4")
        lines += [f"  {g + 1}     " + "".join(f"{n:5d}" for n in row) for g, row in enumerate(self.confusion)]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """Plain-data form (JSON-ready)."""
        return {
            "total": self.total,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "per_severity": {str(s): {"precision": p, "recall": r} for s, (p, r) in self.per_severity.items()},
            "confusion": [list(row) for row in self.confusion],
            "max_distance": self.max_distance,
            "missed_sev1": self.missed_sev1,
        }


def evaluate(items: Iterable[tuple[str, int]]) -> EvalReport:
    """Run `triage` over (text, gold severity) pairs and report accuracy, P/R and the confusion matrix."""
    confusion = [[0] * 4 for _ in range(4)]
    for text, gold in items:
        confusion[int(gold) - 1][int(triage(text).severity) - 1] += 1
    total = sum(map(sum, confusion))
    correct = sum(confusion[i][i] for i in range(4))
    per: dict[int, tuple[float, float]] = {}
    for i in range(4):
        predicted = sum(row[i] for row in confusion)
        actual = sum(confusion[i])
        per[i + 1] = (
            confusion[i][i] / predicted if predicted else 0.0,
            confusion[i][i] / actual if actual else 0.0,
        )
    distances = [abs(g - p) for g in range(4) for p in range(4) if confusion[g][p]]
    return EvalReport(
        total=total,
        correct=correct,
        accuracy=correct / total if total else 0.0,
        per_severity=per,
        confusion=confusion,
        max_distance=max(distances, default=0),
        missed_sev1=sum(confusion[0][1:]),
    )
