"""Link-only label files are joined to corpus text by link; a missing corpus is reported."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from monitor.analysis import Analyzer
from monitor.analysis.cli import evaluate_parts
from monitor.analysis.labelled import CorpusMissing, labelled_items


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    """Write JSON lines."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_link_only_labels_take_text_from_the_corpus(tmp_path: Path, analyzer: Analyzer) -> None:
    corpus = tmp_path / "corpus.jsonl.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as fh:
        for link, title in (("https://a", "Russia and Ukraine agree prisoner swap"),
                            ("https://b", "Oil prices rise")):
            fh.write(json.dumps({"title": title, "description": "", "link": link,
                                 "date_published": "2023-01-05 10:00:00+00:00"}) + "\n")
    labels = tmp_path / "labels.jsonl"
    label = {"relevant": True, "rounds": [], "terms": []}
    _write(labels, [{"id": "c-1", "link": "https://a", "label": label},
                    {"id": "w-2", "title": "Putin rejects ceasefire", "summary": "",
                     "published": "2025-01-01T00:00:00+00:00", "label": label}])
    rows = list(labelled_items(labels, corpus))
    assert [r["title"] for r in rows] == ["Russia and Ukraine agree prisoner swap",
                                         "Putin rejects ceasefire"]
    assert rows[0]["id"] == "c-1" and rows[0]["label"] == label
    assert evaluate_parts(labels, analyzer, corpus).all.items == 2


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    _write(labels, [{"id": "c-1", "link": "https://a", "label": {}}])
    with pytest.raises(CorpusMissing, match="absent"):
        list(labelled_items(labels, tmp_path / "nope.jsonl.gz"))
