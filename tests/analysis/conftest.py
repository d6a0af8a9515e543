"""Fixtures of the analysis tests: one compiled analyzer and an item builder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from monitor.analysis import Analysis, Analyzer, Item, load_analyzer

AnalyzeText = Callable[..., Analysis]


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """The analyzer of the repository's config/analysis."""
    return load_analyzer()


@pytest.fixture
def analyze(analyzer: Analyzer) -> AnalyzeText:
    """Analyse a title and summary published at an ISO time (default a Wednesday)."""

    def run(title: str, summary: str = "", published: str = "2025-05-14T12:00:00+00:00",
            content: str = "") -> Analysis:
        item = Item(id="t-1", title=title, summary=summary, content=content, url=None,
                    published=datetime.fromisoformat(published), source=None)
        return analyzer.analyze(item)

    return run
