"""The parse processes analyse entries exactly as the daemon's own analysis stage would."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.analysis import load_analyzer
from monitor.pipeline import AnalysisStage
from monitor.values import Entry
from monitor.worker import analyse_entries


def _entry(key: str, title: str, summary: str) -> Entry:
    """A normalised entry."""
    return Entry(key, None, None, None, title, summary, "", None,
                 datetime(2022, 3, 29, tzinfo=UTC), "h" + key)


ENTRIES = [
    _entry("a", "Russian and Ukrainian delegations meet in Istanbul",
           "Negotiators held a new round of peace talks on Tuesday, Turkey's foreign minister said."),
    _entry("b", "Grain prices fall", "Wheat futures dropped in Chicago."),
]


def test_worker_verdicts_match_the_stage() -> None:
    """Same relevance, score and stored JSON as AnalysisStage.analyze_entry."""
    stage = AnalysisStage(load_analyzer(None))
    verdicts = analyse_entries(None, stage.version, ENTRIES, "http://example.org/feed")
    assert verdicts is not None
    for entry, got in zip(ENTRIES, verdicts, strict=True):
        want = stage.analyze_entry(entry, "http://example.org/feed")
        assert got == (want.relevant, want.score, want.analysis)


def test_worker_declines_another_vocabulary_version() -> None:
    """A worker whose files differ from the daemon's leaves the analysis to the daemon."""
    assert analyse_entries(None, "not-this-version", ENTRIES, None) is None
