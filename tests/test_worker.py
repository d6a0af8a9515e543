"""The parse processes analyse entries exactly as the daemon's own analysis stage would."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.analysis import load_analyzer
from monitor.pipeline import AnalysisStage
from monitor.settings import StorySettings
from monitor.stories import StoryStage
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
    done = analyse_entries(None, stage.version, ENTRIES, "http://example.org/feed")
    assert done is not None
    verdicts, prints = done
    assert prints == [None] * len(ENTRIES)  # no shape given: no fingerprints
    for entry, got in zip(ENTRIES, verdicts, strict=True):
        want = stage.analyze_entry(entry, "http://example.org/feed")
        assert got == (want.relevant, want.score, want.analysis)


def test_worker_fingerprints_match_the_stories_stage() -> None:
    """The fingerprints a worker makes are the ones the stories stage would make itself."""
    stories = StoryStage(StorySettings())
    done = analyse_entries(None, load_analyzer(None).version, ENTRIES, None, stories.shape)
    assert done is not None
    _, prints = done
    assert prints == [stories.fingerprint(e) for e in ENTRIES]
    assert all(fp is not None and fp.signature and len(fp.keys) == stories.settings.bands
               for fp in prints)


def test_worker_declines_another_vocabulary_version() -> None:
    """A worker whose files differ from the daemon's leaves the analysis to the daemon."""
    assert analyse_entries(None, "not-this-version", ENTRIES, None) is None
