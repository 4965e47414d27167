"""Learned triage: word and character n-grams, multinomial logistic regression, temperature-calibrated.

Scoring is pure Python over sparse features; the weights are plain data (`intake/data/triage_model.json`),
written by `intake triage train` (bot/triage_train.py) and loaded once.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from intake.domain import IntakeError, Severity

__all__ = [
    "FEATURE_VERSION",
    "MAX_CHARS",
    "ModelError",
    "ModelReport",
    "Prediction",
    "TriageModel",
    "default_model",
    "evaluate_model",
    "features",
    "fold",
    "split_of",
]

# Only the first MAX_CHARS characters are read, so a message's cost is bounded and linear in its length.
MAX_CHARS = 4000
# Bumped whenever `features` changes: a model trained on other features is refused, not misread.
FEATURE_VERSION = 1
FORMAT = "support-intake/triage-model"
SEVERITIES = (Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4)
CHAR_SIZES = (3, 4, 5)
TEST_PERCENT = 20

Split = Literal["train", "test"]


class ModelError(IntakeError):
    """The model file is missing, unreadable or was trained on other features."""


# --- the frozen test split ------------------------------------------------------------------------


def split_of(text: str) -> Split:
    """Which side of the frozen split a labelled line is on: `test` when sha256(key) mod 100 < 20.

    FROZEN: the key (casefold, accents dropped, whitespace collapsed) and the rule must never change,
    or lines would move between the sides. It depends on the text alone, never on a file or position,
    so lines added later fall on a fixed side, and a line differing only in case or accents from another
    falls on the same side.
    """
    key = unicodedata.normalize("NFKD", text.casefold())
    key = " ".join("".join(ch for ch in key if not unicodedata.combining(ch)).split())
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return "test" if int(digest, 16) % 100 < TEST_PERCENT else "train"


# --- features -------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"\d")

Row = tuple[float, float, float, float, float]  # idf, then the weight for Sev1..Sev4


@lru_cache(maxsize=65536)
def fold(token: str) -> str:
    """Lower case, accents dropped ("Caído" -> "caido"), each digit 0 (times and counts keep their shape)."""
    decomposed = unicodedata.normalize("NFKD", token.casefold())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and not ch.isspace())
    return _DIGITS.sub("0", kept)


def _surfaces(text: str) -> list[str]:
    """The words of the analysed part of the text, as written (lower case)."""
    return _TOKEN.findall(text[:MAX_CHARS].casefold())


def _blocks(text: str) -> tuple[Counter[str], Counter[str]]:
    """Counts of the word block (words, and word pairs joined by a space) and of the character block
    (3-5 character grams of the folded words joined by single spaces, so "y can" spans "nobody can")."""
    words = [fold(token) for token in _surfaces(text)]
    word_block = Counter(words)
    word_block.update([f"{a} {b}" for a, b in itertools.pairwise(words)])
    joined = " " + " ".join(words) + " "
    char_block: Counter[str] = Counter()
    for n in CHAR_SIZES:
        char_block.update([joined[i : i + n] for i in range(len(joined) - n + 1)])
    return word_block, char_block


def features(text: str) -> Counter[str]:
    """Feature counts: `w:` words, `b:` word pairs, `c:` character grams (the first MAX_CHARS characters)."""
    word_block, char_block = _blocks(text)
    counts = Counter({("b:" if " " in name else "w:") + name: n for name, n in word_block.items()})
    counts.update({"c:" + name: n for name, n in char_block.items()})
    return counts


# --- the model ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    """The model's verdict: severity, its calibrated probability, all four, and the phrases that moved it."""

    severity: Severity
    confidence: float
    probabilities: tuple[float, float, float, float]
    why: tuple[tuple[str, float], ...]

    def to_dict(self) -> dict[str, object]:
        """Plain-data form (JSON-ready)."""
        return {
            "severity": int(self.severity),
            "confidence": round(self.confidence, 3),
            "probabilities": {str(int(s)): round(p, 3) for s, p in zip(SEVERITIES, self.probabilities, strict=True)},
            "why": [[phrase, round(weight, 3)] for phrase, weight in self.why],
        }


@dataclass(frozen=True)
class TriageModel:
    """A trained model: per feature its idf and one weight per severity; per severity an intercept."""

    version: str
    data_sha256: str
    temperature: float
    sev1_threshold: float
    intercept: tuple[float, float, float, float]
    words: Mapping[str, Row]
    chars: Mapping[str, Row]
    meta: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TriageModel:
        """Build from the JSON form; refuse another format or feature version."""
        try:
            if data["format"] != FORMAT or data["feature_version"] != FEATURE_VERSION:
                raise ModelError(
                    f"model is {data['format']} v{data['feature_version']}, need {FORMAT} v{FEATURE_VERSION}"
                )
            words: dict[str, Row] = {}
            chars: dict[str, Row] = {}
            for name, row in data["features"].items():
                idf, w1, w2, w3, w4 = (float(v) for v in row)
                (chars if name.startswith("c:") else words)[name[2:]] = (idf, w1, w2, w3, w4)
            b1, b2, b3, b4 = (float(v) for v in data["intercept"])
            model = cls(
                version=str(data["version"]),
                data_sha256=str(data["trained_on"]["sha256"]),
                temperature=float(data["temperature"]),
                sev1_threshold=float(data["sev1_threshold"]),
                intercept=(b1, b2, b3, b4),
                words=words,
                chars=chars,
                meta={k: v for k, v in data.items() if k not in {"features", "intercept"}},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelError(f"malformed model: {exc!r}") from exc
        if not model.temperature > 0:
            raise ModelError("malformed model: temperature must be positive")
        return model

    @classmethod
    def from_json(cls, text: str) -> TriageModel:
        """Parse the JSON text of a model file."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelError(f"model file is not JSON: {exc.msg}") from exc
        if not isinstance(data, dict):
            raise ModelError("model file must hold a JSON object")
        return cls.from_dict(data)

    def logits(self, text: str) -> list[float]:
        """Uncalibrated class scores, Sev1..Sev4."""
        return self._logits(_blocks(text))

    def _logits(self, blocks: tuple[Counter[str], Counter[str]]) -> list[float]:
        # The intercept plus each block's unit-length TF-IDF vector ((1 + ln tf) * idf) times the weights,
        # in one pass per block, so the cost is linear in the (capped) text.
        scores = list(self.intercept)
        log = math.log
        for counts, table in zip(blocks, (self.words, self.chars), strict=True):
            sq = s1 = s2 = s3 = s4 = 0.0
            for name, count in counts.items():
                row = table.get(name)
                if row is None:
                    continue
                value = row[0] if count == 1 else (1.0 + log(count)) * row[0]
                sq += value * value
                s1 += value * row[1]
                s2 += value * row[2]
                s3 += value * row[3]
                s4 += value * row[4]
            norm = math.sqrt(sq) or 1.0
            for k, total in enumerate((s1, s2, s3, s4)):
                scores[k] += total / norm
        return scores

    def probabilities(self, text: str) -> tuple[float, float, float, float]:
        """Calibrated probabilities of Sev1..Sev4 (softmax of the logits over the fitted temperature)."""
        return _softmax([s / self.temperature for s in self.logits(text)])

    def predict(self, text: str, explain: int = 5) -> Prediction:
        """The severity, its probability, and up to `explain` phrases that pushed toward it.

        Sev1 when its probability reaches the model's Sev1 threshold (set by cross-validation so that a
        missed outage is rare), else the most probable severity.
        """
        blocks = _blocks(text)
        probs = _softmax([s / self.temperature for s in self._logits(blocks)])
        best = 0 if probs[0] >= self.sev1_threshold else max(range(len(probs)), key=probs.__getitem__)
        why = self._why(text, blocks, best, explain) if explain > 0 else ()
        return Prediction(SEVERITIES[best], probs[best], probs, why)

    def _why(
        self, text: str, blocks: tuple[Counter[str], Counter[str]], chosen: int, limit: int
    ) -> tuple[tuple[str, float], ...]:
        # A feature's push toward the chosen severity is its TF-IDF value times (its weight there minus its
        # mean weight), shared among its occurrences; an occurrence counts for the span of words it lies in
        # (a character gram such as "y c" for "nobody can"), and spans that read the same are added up.
        pushes: list[dict[str, float]] = []
        for counts, table in zip(blocks, (self.words, self.chars), strict=True):
            rows = {name: (count, table[name]) for name, count in counts.items() if name in table}
            values = {name: (1.0 + math.log(count)) * row[0] for name, (count, row) in rows.items()}
            norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
            pushes.append(
                {
                    name: values[name] / norm * (row[chosen + 1] - sum(row[1:]) / 4) / n
                    for name, (n, row) in rows.items()
                }
            )
        word_push, char_push = pushes
        surfaces = _surfaces(text)
        words = [fold(token) for token in surfaces]
        spans: dict[tuple[int, int], float] = {}
        for i, word in enumerate(words):
            spans[i, i] = word_push.get(word, 0.0)
            if i:
                spans[i - 1, i] = spans.get((i - 1, i), 0.0) + word_push.get(f"{words[i - 1]} {word}", 0.0)
        joined = " " + " ".join(words) + " "
        owner = [-1]  # the word each character of `joined` belongs to (-1: a space)
        for i, word in enumerate(words):
            owner += [i] * len(word) + [-1]
        for n in CHAR_SIZES:
            for start in range(len(joined) - n + 1):
                push = char_push.get(joined[start : start + n])
                if push is not None:
                    first = owner[start] if owner[start] >= 0 else owner[start + 1]
                    last = owner[start + n - 1] if owner[start + n - 1] >= 0 else owner[start + n - 2]
                    spans[first, last] = spans.get((first, last), 0.0) + push
        by_phrase: dict[str, float] = {}
        for (first, last), push in spans.items():
            phrase = " ".join(surfaces[first : last + 1])
            by_phrase[phrase] = by_phrase.get(phrase, 0.0) + push
        ranked = sorted(((p, w) for p, w in by_phrase.items() if w > 0), key=lambda item: (-item[1], item[0]))
        return tuple((phrase, weight / self.temperature) for phrase, weight in ranked[:limit])


def _softmax(scores: Sequence[float]) -> tuple[float, float, float, float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    a, b, c, d = (e / total for e in exps)
    return a, b, c, d


@lru_cache(maxsize=1)
def default_model() -> TriageModel:
    """The model shipped in the package, loaded once."""
    try:
        text = resources.files("intake").joinpath("data/triage_model.json").read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"no shipped model: {exc.strerror}") from exc
    return TriageModel.from_json(text)


# --- evaluation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelReport:
    """Figures of a model on labelled lines: exact, per severity, Sev1 recall, off by two, per language, ECE."""

    total: int
    correct: int
    argmax_correct: int
    confusion: tuple[tuple[int, ...], ...]
    per_language: Mapping[str, tuple[int, int]]
    ece: float
    mean_confidence: float

    @property
    def accuracy(self) -> float:
        """Share of lines given exactly their severity."""
        return self.correct / self.total if self.total else 0.0

    @property
    def sev1_recall(self) -> float:
        """Share of Sev1 lines predicted Sev1."""
        return self.recall(1)

    @property
    def off_by_two(self) -> int:
        """Lines predicted two or more severities away from their label."""
        return sum(n for g, row in enumerate(self.confusion) for p, n in enumerate(row) if abs(g - p) >= 2)

    def precision(self, severity: int) -> float:
        """Of the lines predicted `severity`, the share labelled so."""
        predicted = sum(row[severity - 1] for row in self.confusion)
        return self.confusion[severity - 1][severity - 1] / predicted if predicted else 0.0

    def recall(self, severity: int) -> float:
        """Of the lines labelled `severity`, the share predicted so."""
        actual = sum(self.confusion[severity - 1])
        return self.confusion[severity - 1][severity - 1] / actual if actual else 0.0

    def language_accuracy(self, lang: str) -> float:
        """Exact share for one language (0 when it has no lines)."""
        correct, total = self.per_language.get(lang, (0, 0))
        return correct / total if total else 0.0

    def to_dict(self) -> dict[str, object]:
        """Plain-data form (JSON-ready)."""
        return {
            "total": self.total,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "sev1_recall": self.sev1_recall,
            "argmax_accuracy": self.argmax_correct / self.total if self.total else 0.0,
            "off_by_two": self.off_by_two,
            "ece": self.ece,
            "mean_confidence": self.mean_confidence,
            "per_severity": {str(s): {"precision": self.precision(s), "recall": self.recall(s)} for s in range(1, 5)},
            "per_language": {
                lang: {"total": total, "correct": correct, "accuracy": correct / total if total else 0.0}
                for lang, (correct, total) in sorted(self.per_language.items())
            },
            "confusion": [list(row) for row in self.confusion],
        }

    def to_text(self) -> str:
        """Human-readable summary."""
        lines = [
            f"exact {self.accuracy:.3f} ({self.correct}/{self.total}), Sev1 recall {self.sev1_recall:.3f}, "
            f"off by two or more {self.off_by_two}, ECE {self.ece:.3f} (mean top probability "
            f"{self.mean_confidence:.3f}), exact without the Sev1 threshold {self.argmax_correct}/{self.total}",
            "sev  precision  recall",
            *(f"  {s}  {self.precision(s):9.3f}  {self.recall(s):6.3f}" for s in range(1, 5)),
            "lang  exact   n",
            *(
                f"  {lang:<4}{correct / total:6.3f} {total:4d}"
                for lang, (correct, total) in sorted(self.per_language.items())
            ),
            "gold\\pred    1    2    3    4",
            *(f"  {g + 1}     " + "".join(f"{n:5d}" for n in row) for g, row in enumerate(self.confusion)),
        ]
        return "\n".join(lines)


def evaluate_model(model: TriageModel, items: Iterable[tuple[str, int, str]], bins: int = 10) -> ModelReport:
    """Score (text, gold severity, language) triples; ECE over `bins` equal-width confidence bins."""
    confusion = [[0] * 4 for _ in range(4)]
    per_language: dict[str, list[int]] = {}
    # Calibration is of the top label: the highest probability against whether that severity is right.
    binned = [[0, 0.0, 0] for _ in range(bins)]  # count, summed top probability, top label right
    for text, gold, lang in items:
        result = model.predict(text, explain=0)
        hit = int(result.severity) == int(gold)
        confusion[int(gold) - 1][int(result.severity) - 1] += 1
        tally = per_language.setdefault(lang, [0, 0])
        tally[0] += hit
        tally[1] += 1
        top = max(result.probabilities)
        cell = binned[min(int(top * bins), bins - 1)]
        cell[0] += 1
        cell[1] += top
        cell[2] += result.probabilities.index(top) == int(gold) - 1
    total = sum(map(sum, confusion))
    ece = sum(abs(conf - hits) for _, conf, hits in binned) / total if total else 0.0
    return ModelReport(
        total=total,
        correct=sum(confusion[i][i] for i in range(4)),
        argmax_correct=sum(int(hits) for _, _, hits in binned),
        confusion=tuple(tuple(row) for row in confusion),
        per_language={lang: (c, n) for lang, (c, n) in per_language.items()},
        ece=ece,
        mean_confidence=sum(conf for _, conf, _ in binned) / total if total else 0.0,
    )
