"""The learned triage model: loading, features, the frozen split, training, bounded cost, and its figures."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import unicodedata
from pathlib import Path

import pytest

from bot.cli import run
from bot.triage_train import DataError, Line, TrainOptions, read_lines, select, train, write_model
from intake.domain import Severity
from intake.triage_model import (
    MAX_CHARS,
    ModelError,
    TriageModel,
    default_model,
    evaluate_model,
    features,
    split_of,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "triage"
SMALL = TrainOptions(c_grid=(10.0,), folds=3, max_word_features=3000, max_char_features=6000)


@pytest.fixture(scope="module")
def repository_lines() -> list[Line]:
    return read_lines([DATA])


@pytest.fixture(scope="module")
def small_sample(repository_lines: list[Line]) -> list[Line]:
    # Every 20th training line of every file: a few hundred lines of all four severities and five languages.
    return select(repository_lines, "train")[::20]


# --- loading --------------------------------------------------------------------------------------


def test_shipped_model_loads_once_with_its_version_and_data_hash() -> None:
    model = default_model()
    assert default_model() is model
    assert model.version.startswith("lr-")
    assert len(model.data_sha256) == 64 and int(model.data_sha256, 16) >= 0
    assert model.meta["trained_on"]["lines"] > 3000
    assert 0 < model.sev1_threshold <= 0.5 and model.temperature > 0


def test_pure_python_scores_reproduce_the_trainers() -> None:
    model = default_model()
    for check in model.meta["check"]:
        assert model.logits(check["text"]) == pytest.approx(check["logits"], abs=0.005)


def test_prediction_is_a_distribution_with_reasons() -> None:
    result = default_model().predict("the whole PACS is down at every site, nobody can open a single study")
    assert result.severity is Severity.SEV1
    assert math.fsum(result.probabilities) == pytest.approx(1.0)
    assert result.confidence == result.probabilities[0]
    assert 1 <= len(result.why) <= 5
    assert all(weight > 0 for _, weight in result.why)
    assert [w for _, w in result.why] == sorted((w for _, w in result.why), reverse=True)
    assert set(result.to_dict()) == {"severity", "confidence", "probabilities", "why"}


def test_reasons_are_phrases_of_the_message_as_written() -> None:
    text = "El sistema está caído para todos, nadie puede trabajar"
    why = default_model().predict(text).why
    assert why and all(phrase in text.lower() for phrase, _ in why)


@pytest.mark.parametrize(
    "data",
    [
        {"format": "something-else", "feature_version": 1},
        {"format": "support-intake/triage-model", "feature_version": 99},
        {"format": "support-intake/triage-model", "feature_version": 1, "features": {}},
    ],
)
def test_a_foreign_or_broken_model_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(ModelError):
        TriageModel.from_dict(data)


def test_a_model_file_that_is_not_json_is_refused() -> None:
    with pytest.raises(ModelError):
        TriageModel.from_json("{not json")


# --- features -------------------------------------------------------------------------------------


def test_accents_and_case_fold_away() -> None:
    assert features("El sistema está CAÍDO") == features("el sistema esta caido")
    assert features("Straße") == features("strasse")


def test_words_pairs_and_character_grams_across_words() -> None:
    counts = features("Nobody can")
    assert counts["w:nobody"] == 1 and counts["b:nobody can"] == 1
    assert counts["c:y c"] == 1 and counts["c: can "] == 1
    assert features("since 07:40") == features("since 08:15")  # digits keep only their shape


def test_cost_is_bounded_on_a_256_kib_message() -> None:
    sentence = "The viewer shows a grey screen for some CT studies since the upgrade, Caído, 12:30. "
    text = (sentence * (256 * 1024 // len(sentence) + 1))[: 256 * 1024]
    counts = features(text)
    assert counts == features(text[:MAX_CHARS])  # only the first MAX_CHARS characters are read
    occurrences = sum(counts.values())
    assert occurrences <= 5 * MAX_CHARS  # three character grams per character, a word and a pair per word
    assert len(default_model().predict(text).why) == 5


# --- the frozen split -----------------------------------------------------------------------------


def _rule(text: str) -> str:
    key = unicodedata.normalize("NFKD", text.casefold())
    key = " ".join("".join(ch for ch in key if not unicodedata.combining(ch)).split())
    return "test" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 100 < 20 else "train"


@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("the whole PACS is down at every site, nobody can read", "train"),
        ("Worklist dead!!", "train"),
        ("test line 1", "train"),
        ("test line 2", "test"),
        ("test line 3", "test"),
        ("test line 6", "test"),
        ("test line 7", "train"),
        ("test line 8", "test"),
    ],
)
def test_a_lines_side_never_changes(text: str, side: str) -> None:
    assert split_of(text) == side


def test_the_side_depends_on_the_words_alone() -> None:
    assert {split_of(t) for t in ("El sistema está caído", "  EL SISTEMA  ESTÁ CAÍDO ", "el sistema esta caido")} == {
        "train"
    }
    assert {split_of(t) for t in ("Test   line 2", "TEST LINE 2")} == {"test"}


def test_the_repository_data_is_split_by_the_documented_rule(repository_lines: list[Line]) -> None:
    assert all(split_of(line.text) == _rule(line.text) for line in repository_lines)
    test_share = len(select(repository_lines, "test")) / len(repository_lines)
    assert 0.15 < test_share < 0.25
    for lang in ("en", "es", "fr", "de", "pt"):
        assert select([line for line in repository_lines if line.lang == lang], "test")


# --- training -------------------------------------------------------------------------------------


def test_training_is_deterministic(small_sample: list[Line], tmp_path: Path) -> None:
    first = train(small_sample, SMALL)
    second = train(small_sample, SMALL)
    assert first == second
    write_model(first, tmp_path / "a.json")
    write_model(second, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    model = TriageModel.from_json((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert model.data_sha256 == first["trained_on"]["sha256"]
    for check in model.meta["check"]:
        assert model.logits(check["text"]) == pytest.approx(check["logits"], abs=0.005)
    # It learned: most of what it was fitted on comes back right.
    report = evaluate_model(model, ((line.text, line.severity, line.lang) for line in small_sample))
    assert report.accuracy > 0.9


def test_training_needs_all_four_severities(small_sample: list[Line]) -> None:
    with pytest.raises(DataError):
        train([line for line in small_sample if line.severity != 4], SMALL)


def test_unusable_labelled_lines_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "severity": 2}\n{"text": "no label"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 2"):
        read_lines([path])


def test_a_line_whose_factor_labels_the_policy_rates_otherwise_is_named(tmp_path: Path) -> None:
    # Nobody able to work is Sev1 whatever workaround is claimed: the dialogue would end there, not at Sev3.
    path = tmp_path / "disagrees.jsonl"
    line = {
        "text": "x",
        "severity": 3,
        "request": "problem",
        "scope": "everyone",
        "outage": "down",
        "workaround": "yes",
    }
    path.write_text(json.dumps({"text": "fine", "severity": 4, "request": "question"}) + "\n" + json.dumps(line) + "\n")
    with pytest.raises(
        DataError, match=r"line 2: severity 3, but its factor labels problem/everyone/down/yes are severity 1"
    ):
        read_lines([path])
    path.write_text(json.dumps({**line, "request": "complaint"}) + "\n")
    with pytest.raises(DataError, match="line 1: unknown request 'complaint'"):
        read_lines([path])


# --- the command line -----------------------------------------------------------------------------


def _run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return run(argv, out=out), out.getvalue()


def test_train_command_writes_a_model_and_reports_the_test_split(tmp_path: Path, small_sample: list[Line]) -> None:
    data = tmp_path / "data.jsonl"
    held_out = "the viewer is down for everyone at every site (13)"
    assert split_of(held_out) == "test"
    rows = [{"text": line.text, "severity": line.severity, "lang": line.lang} for line in small_sample]
    data.write_text("".join(json.dumps(row) + "\n" for row in [*rows, {"text": held_out, "severity": 1}]))
    code, out = _run(["triage", "train", "--data", str(data), "--out", str(tmp_path / "model.json")])
    assert code == 0
    assert "frozen test split (1 lines)" in out and "exact" in out
    model = TriageModel.from_json((tmp_path / "model.json").read_text(encoding="utf-8"))
    assert model.meta["trained_on"]["lines"] == len(small_sample)

    code, out = _run(["triage", "--eval", str(data), "--model-file", str(tmp_path / "model.json"), "--json"])
    report = json.loads(out)
    assert code == 0 and report["total"] == len(small_sample) + 1 and report["model"] == model.version
    code, out = _run(["triage", "--eval", str(data), "--model", "--split", "test", "--json"])
    assert code == 0 and json.loads(out)["total"] == 1


def test_triage_prints_the_models_verdict_and_reasons(tmp_path: Path) -> None:
    messages = tmp_path / "in.txt"
    messages.write_text("nobody at any site can log in, we are on paper\n", encoding="utf-8")
    code, out = _run(["triage", str(messages), "--explain", "3"])
    verdict = json.loads(out)["model"]
    assert code == 0 and verdict["severity"] == 1 and len(verdict["why"]) == 3


def test_eval_report_has_every_figure(tmp_path: Path) -> None:
    code, out = _run(["triage", "--eval", str(DATA / "dev.jsonl"), "--model", "--json"])
    report = json.loads(out)
    assert code == 0
    assert {"accuracy", "sev1_recall", "off_by_two", "ece", "per_severity", "per_language", "confusion"} <= set(report)
    code, text = _run(["triage", "--eval", str(DATA / "dev.jsonl"), "--model"])
    assert code == 0 and "Sev1 recall" in text and "ECE" in text


def test_a_missing_model_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _run(["triage", "--eval", str(DATA / "dev.jsonl"), "--model-file", str(tmp_path / "none.json")])
    assert code == 2 and "cannot read" in capsys.readouterr().err


# --- figures on the frozen test split -------------------------------------------------------------

# The targets on the frozen test split (docs/TRIAGE.md has the figures and the date): 90% exact in
# English, 85% in each other language, Sev1 recall 95%; and just under what was measured, the rest.
FLOOR = argparse.Namespace(exact=0.89, english=0.90, sev1_recall=0.95, ece=0.03, off_by_two=0.03)
LANGUAGE_FLOOR = {"es": 0.85, "fr": 0.85, "pt": 0.85, "de": 0.85}


def test_figures_on_the_frozen_test_split(repository_lines: list[Line]) -> None:
    test = select(repository_lines, "test")
    report = evaluate_model(default_model(), ((line.text, line.severity, line.lang) for line in test))
    assert report.total >= 1100
    for lang in ("es", "fr", "de", "pt"):
        assert sum(1 for line in test if line.lang == lang) >= 100, lang  # the floor per language
    assert report.accuracy >= FLOOR.exact
    assert report.language_accuracy("en") >= FLOOR.english
    for lang, floor in LANGUAGE_FLOOR.items():
        assert report.language_accuracy(lang) >= floor, lang
    assert report.sev1_recall >= FLOOR.sev1_recall
    assert report.ece <= FLOOR.ece
    assert report.off_by_two <= FLOOR.off_by_two * report.total


def test_eval_dialogue_reports_all_lines_and_those_with_factor_labels(tmp_path: Path) -> None:
    factors = {"request": "problem", "scope": "everyone", "outage": "down", "workaround": "no"}
    rows = [
        {"text": "Nobody at any of our sites can open a single study, everything is down", "severity": 1, **factors},
        {"text": "How do I change the hanging protocol for chest CT?", "severity": 4},  # no factor labels
    ]
    data = tmp_path / "lines.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    code, out = _run(["triage", "--eval-dialogue", str(data), "--split", "all", "--json"])
    report = json.loads(out)
    assert code == 0 and report["total"] == 2 and report["with_factor_labels"]["total"] == 1
    assert report["with_factor_labels"]["sev1_recall"] == 1.0
    code, text = _run(["triage", "--eval-dialogue", str(data), "--split", "all"])
    assert code == 0 and "of which with factor labels" in text
