"""Thresholds on the two labelled sets the vocabulary was not tuned on (tests/analysis/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.analysis import Analyzer
from monitor.analysis.cli import evaluate_parts
from monitor.analysis.labelled import DEFAULT_CORPUS
from monitor.analysis.scoring import Report

DATA = Path(__file__).resolve().parent / "data"


def _assert_thresholds(report: Report) -> None:
    """Relevance F1 ≥ 0.90, round mention F1 ≥ 0.85, term key F1 ≥ 0.80."""
    assert report.relevance.f1 >= 0.90, report.relevance
    assert report.rounds.f1 >= 0.85, report.rounds
    assert report.term_keys.f1 >= 0.80, report.term_keys


def test_written_2025_26_set_meets_thresholds(analyzer: Analyzer) -> None:
    report = evaluate_parts(DATA / "written_2025.jsonl", analyzer).all
    assert report.items >= 60
    assert report.rounds.tp >= 30  # the set exercises rounds, not only their absence
    _assert_thresholds(report)


def test_corpus_label_set_meets_thresholds(analyzer: Analyzer) -> None:
    if not DEFAULT_CORPUS.exists():
        pytest.skip(f"{DEFAULT_CORPUS.resolve()} is absent (a user's clone has no ../shared)")
    report = evaluate_parts(DATA / "corpus_labels.jsonl", analyzer).all
    assert report.items >= 120
    _assert_thresholds(report)
