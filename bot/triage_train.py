"""Training and evaluation of the learned triage model on labelled lines (data/triage); its CLI options."""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TextIO

import intake
from intake.severity_policy import severity_of
from intake.triage_model import (
    FEATURE_VERSION,
    FORMAT,
    MAX_CHARS,
    ModelError,
    TriageModel,
    default_model,
    evaluate_model,
    features,
    split_of,
)

__all__ = [
    "DataError",
    "Line",
    "TrainOptions",
    "add_model_options",
    "data_sha256",
    "model_prediction",
    "read_labelled",
    "read_lines",
    "select",
    "train",
    "triage_eval",
    "triage_train",
    "write_model",
]

SplitChoice = Literal["train", "test", "all"]


# The factor labels a line may carry, which the simulated customer of `--eval-dialogue` answers from.
FACTOR_LABELS = ("request", "scope", "outage", "workaround")


class DataError(ValueError):
    """A labelled data file that cannot be used."""


@dataclass(frozen=True)
class Line:
    """One labelled line: its text, severity, language (English when unsaid) and file name; its channel and
    factor labels (request, scope, outage, workaround) where the file has them."""

    text: str
    severity: int
    lang: str
    file: str
    channel: str = "chat"
    factors: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class TrainOptions:
    """What training may vary; the defaults make the shipped model."""

    seed: int = 20260
    folds: int = 5
    c_grid: tuple[float, ...] = (10.0, 20.0, 40.0, 80.0)
    # Each line weighs (lines of the largest language / lines of its language) ** language_balance, so the
    # smaller languages are not drowned by English (0: no balancing, 1: every language weighs the same).
    language_balance: float = 0.5
    # Sev1 is predicted from this probability on: the highest threshold whose cross-validated Sev1 recall
    # reaches the target (at most 0.5, where it is the plain most probable severity).
    sev1_recall_target: float = 0.95
    min_df: int = 2
    max_word_features: int = 20000
    max_char_features: int = 60000
    digits: int = 4


def _check_factors(path: Path, number: int, severity: int, labels: dict[str, Any]) -> None:
    """A line's factor labels must give its severity by the policy table, which the dialogue answers by."""
    if not labels.get("request"):
        return
    combo = (labels["request"], labels.get("scope"), labels.get("outage"), labels.get("workaround"))
    try:
        by_policy = int(severity_of(combo))
    except AssertionError:
        raise DataError(f"{path} line {number}: unknown request {labels['request']!r}") from None
    if by_policy != severity:
        raise DataError(
            f"{path} line {number}: severity {severity}, but its factor labels "
            f"{'/'.join(str(v) for v in combo)} are severity {by_policy} by the policy table"
        )


def read_lines(paths: Iterable[Path]) -> list[Line]:
    """Labelled lines from JSON-lines files, or from every *.jsonl in a directory, in name order."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    lines: list[Line] = []
    for path in files:
        try:
            raw_lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise DataError(f"cannot read {path}: {exc.strerror}") from exc
        for number, raw in enumerate(raw_lines, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
                text, severity = item["text"], int(item["severity"])
                lang = str(item.get("lang") or "en")
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
                raise DataError(f"{path} line {number}: needs JSON with 'text' and 'severity' 1-4") from exc
            if not isinstance(text, str) or severity not in {1, 2, 3, 4}:
                raise DataError(f"{path} line {number}: needs a string 'text' and a severity 1-4")
            factors = tuple((key, item[key]) for key in FACTOR_LABELS if key in item)
            _check_factors(path, number, severity, dict(factors))
            channel = "phone" if item.get("channel") == "phone" else "chat"
            lines.append(Line(text, severity, lang, path.name, channel, factors))
    return lines


def select(lines: Iterable[Line], split: SplitChoice) -> list[Line]:
    """The lines on one side of the frozen split (see intake.triage_model.split_of), or all of them."""
    return [line for line in lines if split == "all" or split_of(line.text) == split]


def data_sha256(lines: Sequence[Line]) -> str:
    """A digest of exactly what a model learns from: each line's text and severity, in order."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(json.dumps([line.text, line.severity], ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()


def _vocabulary(counts: Sequence[Counter[str]], options: TrainOptions) -> dict[str, float]:
    """Feature -> smoothed idf, keeping per block the features in most lines (at least min_df)."""
    df: Counter[str] = Counter()
    for row in counts:
        df.update(row.keys())
    n = len(counts)
    vocabulary: dict[str, float] = {}
    for block, cap in (("c", options.max_char_features), ("wb", options.max_word_features)):
        ranked = sorted((-k, name) for name, k in df.items() if name[0] in block and k >= options.min_df)[:cap]
        vocabulary.update((name, math.log((1 + n) / (1 + df[name])) + 1.0) for _, name in ranked)
    return vocabulary


def _matrix(counts: Sequence[Counter[str]], vocabulary: dict[str, float]) -> Any:
    """The TF-IDF rows exactly as TriageModel scores them (unit length per block), as a sparse matrix."""
    from scipy.sparse import csr_matrix

    index = {name: i for i, name in enumerate(sorted(vocabulary))}
    data: list[float] = []
    cols: list[int] = []
    indptr = [0]
    for row in counts:
        values = {name: (1.0 + math.log(c)) * vocabulary[name] for name, c in row.items() if name in vocabulary}
        norms = {
            b: math.sqrt(sum(v * v for k, v in values.items() if (k[0] == "c") == (b == "c"))) or 1.0 for b in "cw"
        }
        for name in sorted(values, key=index.__getitem__):
            cols.append(index[name])
            data.append(values[name] / norms["c" if name[0] == "c" else "w"])
        indptr.append(len(cols))
    return csr_matrix((data, cols, indptr), shape=(len(counts), len(index)))


def _fit(x: Any, y: Any, weight: Any, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000, tol=1e-6).fit(x, y, sample_weight=weight)


def _nll(logits: Any, y: Any, temperature: float) -> float:
    import numpy as np

    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    log_probs = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y - 1].mean())


def _probabilities(scaled: Any) -> Any:
    import numpy as np

    exps = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


def _sev1_threshold(scaled: Any, y: Any, target: float) -> float:
    import numpy as np

    p_sev1 = np.sort(_probabilities(scaled)[:, 0][y == 1])[::-1]
    needed = max(1, math.ceil(target * len(p_sev1)))
    return min(0.5, math.floor(float(p_sev1[needed - 1]) * 1000) / 1000)


def train(lines: Sequence[Line], options: TrainOptions | None = None) -> dict[str, Any]:
    """Fit on the given lines (callers pass the training split); returns the model's JSON form.

    The regularisation C, the calibration temperature and the Sev1 threshold come from stratified
    cross-validation on these lines alone. Deterministic: same lines and options, same bytes.
    """
    try:
        import numpy as np
        from scipy.optimize import minimize_scalar
        from sklearn.model_selection import StratifiedKFold
        from threadpoolctl import threadpool_limits
    except ImportError as exc:
        raise DataError(f"training needs the `train` extra (pip install -e '.[train]'): {exc}") from exc

    opts = options or TrainOptions()
    if len({line.severity for line in lines}) < 4:
        raise DataError("training needs lines of all four severities")
    with threadpool_limits(limits=1):
        counts = [features(line.text) for line in lines]
        vocabulary = _vocabulary(counts, opts)
        x = _matrix(counts, vocabulary)
        y = np.array([line.severity for line in lines])
        per_language = Counter(line.lang for line in lines)
        largest = max(per_language.values())
        weight = np.array([(largest / per_language[line.lang]) ** opts.language_balance for line in lines])
        folds = min(opts.folds, int(np.bincount(y)[1:].min()))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=opts.seed)
        out_of_fold: dict[float, Any] = {}
        for c in opts.c_grid:
            logits = np.zeros((len(lines), 4))
            for fit_rows, held_rows in splitter.split(x, y):
                logits[held_rows] = _fit(x[fit_rows], y[fit_rows], weight[fit_rows], c).decision_function(x[held_rows])
            out_of_fold[c] = logits
        cv_accuracy = {c: float((logits.argmax(axis=1) + 1 == y).mean()) for c, logits in out_of_fold.items()}
        best_c = max(opts.c_grid, key=lambda c: (cv_accuracy[c], -c))
        logits = out_of_fold[best_c]
        fitted = minimize_scalar(
            lambda log_t: _nll(logits, y, math.exp(log_t)),
            bounds=(-3.0, 3.0),
            method="bounded",
            options={"xatol": 1e-5},
        )
        temperature = round(math.exp(float(fitted.x)), 4)
        sev1_threshold = _sev1_threshold(logits / temperature, y, opts.sev1_recall_target)
        decided = np.where(_probabilities(logits / temperature)[:, 0] >= sev1_threshold, 1, logits.argmax(axis=1) + 1)
        final = _fit(x, y, weight, best_c)
        # sklearn's own scores of a few lines, so a test can prove the pure-Python scoring reproduces them.
        check = [
            {"text": line.text, "logits": [round(float(v), 4) for v in row]}
            for line, row in zip(lines[:3], final.decision_function(x[:3]), strict=True)
        ]
    names = sorted(vocabulary)
    coef = final.coef_.T
    weights = {
        name: [round(vocabulary[name], opts.digits), *(round(float(w), opts.digits) for w in coef[i])]
        for i, name in enumerate(names)
    }
    sha = data_sha256(lines)
    return {
        "format": FORMAT,
        "feature_version": FEATURE_VERSION,
        "version": f"lr-{FEATURE_VERSION}-{sha[:12]}",
        "trained_on": {
            "sha256": sha,
            "lines": len(lines),
            "per_file": dict(sorted(Counter(line.file for line in lines).items())),
            "per_language": dict(sorted(Counter(line.lang for line in lines).items())),
            "split": "train: sha256(folded text) mod 100 >= 20",
        },
        "params": {
            "seed": opts.seed,
            "folds": folds,
            "c": best_c,
            "min_df": opts.min_df,
            "language_balance": opts.language_balance,
            "max_chars": MAX_CHARS,
            "max_word_features": opts.max_word_features,
            "max_char_features": opts.max_char_features,
        },
        "cv": {
            "accuracy_by_c": {str(c): round(a, 4) for c, a in cv_accuracy.items()},
            "nll_uncalibrated": round(_nll(logits, y, 1.0), 4),
            "nll_calibrated": round(_nll(logits, y, temperature), 4),
            "accuracy_with_sev1_threshold": round(float((decided == y).mean()), 4),
            "sev1_recall_with_threshold": round(float((decided[y == 1] == 1).mean()), 4),
        },
        # How common each factor combination is among the labelled lines: the dialogue's prior within a severity.
        "factor_prior": _factor_prior(lines),
        "check": check,
        "temperature": temperature,
        "sev1_threshold": sev1_threshold,
        "intercept": [round(float(b), opts.digits) for b in final.intercept_],
        "features": weights,
    }


def _factor_prior(lines: Sequence[Line]) -> list[list[object]]:
    combos = Counter(
        tuple(factors.get(key) for key in ("request", "scope", "outage", "workaround"))
        for factors in (dict(line.factors) for line in lines)
        if factors.get("request")
    )
    return [[*combo, count] for combo, count in sorted(combos.items(), key=lambda item: str(item[0]))]


def write_model(model: dict[str, Any], path: Path) -> int:
    """Write the model JSON, one feature a line so a retrain's diff stays readable; returns the bytes written."""
    head = {k: v for k, v in model.items() if k != "features"}
    body = ",\n".join(
        f"{json.dumps(name, ensure_ascii=False)}: {json.dumps(row)}" for name, row in model["features"].items()
    )
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "features": {\n' + body + "\n}}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


# --- `intake triage` options for the learned model ------------------------------------------------

REPOSITORY_DATA = Path(__file__).resolve().parents[1] / "data" / "triage"
SHIPPED_MODEL = Path(intake.__file__).resolve().parent / "data" / "triage_model.json"


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The `intake triage` options for the learned model, its evaluation and `intake triage train`."""
    group = parser.add_argument_group("learned model")
    group.add_argument("--model", action="store_true", help="with --eval: score the learned model, not the rules")
    group.add_argument("--model-file", metavar="FILE.json", help="use this model, not the shipped one (so --model)")
    group.add_argument(
        "--split",
        choices=["train", "test", "all"],
        default="all",
        help="with --eval: only the lines on this side of the frozen split (data/triage/SPLIT.md)",
    )
    group.add_argument("--explain", type=int, default=5, metavar="N", help="phrases listed per message (default 5)")
    group.add_argument(
        "--data", metavar="PATH", action="append", help="train: labelled .jsonl files or folders (default data/triage)"
    )
    group.add_argument("--out", metavar="FILE.json", help="train: where to write the model (default: the shipped one)")
    group.add_argument("--seed", type=int, default=TrainOptions.seed, help="train: the seed of the folds")


@lru_cache(maxsize=4)
def _load(path: str | None) -> TriageModel:
    if path is None:
        return default_model()
    try:
        return TriageModel.from_json(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    except ModelError as exc:
        raise DataError(f"{path}: {exc}") from exc


def model_prediction(args: argparse.Namespace, text: str) -> dict[str, object]:
    """The learned model's verdict on one message, with the phrases that moved it (JSON-ready)."""
    return _load(args.model_file).predict(text, explain=max(0, args.explain)).to_dict()


def read_labelled(args: argparse.Namespace) -> list[Line]:
    """The labelled lines named by --eval, on the side of the frozen split chosen by --split."""
    lines = select(read_lines([Path(args.eval_file)]), args.split)
    if not lines:
        raise DataError(f"{args.eval_file}: no labelled lines (split {args.split})")
    return lines


def triage_eval(args: argparse.Namespace, lines: Sequence[Line], out: TextIO) -> int:
    """Print the learned model's figures on labelled lines."""
    model = _load(args.model_file)
    report = evaluate_model(model, ((line.text, line.severity, line.lang) for line in lines))
    if args.json:
        print(json.dumps({"model": model.version, "split": args.split, **report.to_dict()}, indent=2), file=out)
    else:
        print(f"model {model.version} on {len(lines)} lines (split {args.split})\n{report.to_text()}", file=out)
    return 0


def triage_train(args: argparse.Namespace, out: TextIO) -> int:
    """`intake triage train`: fit on the training split, write the model, report on the frozen test split."""
    lines = read_lines([Path(p) for p in args.data or [REPOSITORY_DATA]])
    training = select(lines, "train")
    print(f"training on {len(training)} of {len(lines)} lines (the rest is the frozen test split)", file=out)
    model = train(training, TrainOptions(seed=args.seed))
    path = Path(args.out) if args.out else SHIPPED_MODEL
    size = write_model(model, path)
    print(
        f"wrote {path} ({size / 1e6:.1f} MB, {len(model['features'])} features, version {model['version']}); "
        f"cross-validated: C {model['params']['c']}, temperature {model['temperature']}, "
        f"Sev1 threshold {model['sev1_threshold']}, exact {model['cv']['accuracy_with_sev1_threshold']:.3f}",
        file=out,
    )
    test = select(lines, "test")
    if test:
        report = evaluate_model(TriageModel.from_dict(model), ((line.text, line.severity, line.lang) for line in test))
        print(f"on the frozen test split ({len(test)} lines):\n{report.to_text()}", file=out)
    return 0
