"""JSON lines in and out, the output shape of GUIDE.md section 4, and the version hash."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from monitor.analysis import Analyzer, Item, load_analyzer
from monitor.analysis.cli import analyze_stream, is_holdout
from monitor.analysis.vocab import default_config_dir


def test_stream_keeps_order_and_survives_bad_lines(analyzer: Analyzer) -> None:
    lines = [
        json.dumps({"id": "a", "title": "Peace talks between Russia and Ukraine begin in "
                    "Istanbul", "summary": "<p>Delegations met on <b>Monday</b>.</p>",
                    "published": "2025-05-19T10:00:00Z"}),
        "{not json",
        json.dumps({"url": "https://example.org/x", "title": "Football: second round draw"}),
        json.dumps({"id": "c", "title": "x", "published": "not a date"}),
        json.dumps(["a list"]),
    ]
    out = [json.loads(x) for x in analyze_stream(lines, analyzer)]
    assert [o["id"] for o in out] == ["a", None, "https://example.org/x", None, None]
    assert "error" in out[1] and "error" in out[3] and "error" in out[4]
    first = out[0]
    assert first["relevant"] is True and 0.5 < first["score"] <= 1
    (r,) = first["rounds"]
    assert set(r) >= {"ordinal", "venue", "date", "status", "parties", "outcome"}
    assert set(r["venue"]) == {"city", "region", "country"}
    assert r["venue"]["city"] == "Istanbul" and r["date"] == "2025-05-19"
    assert out[2] == {"id": "https://example.org/x", "relevant": False,
                      "score": out[2]["score"], "rounds": [], "terms": []}


def test_term_json_has_the_contract_fields(analyzer: Analyzer) -> None:
    line = json.dumps({"id": "t", "title": "Russia rejects Ukrainian proposal for 30-day truce"})
    (out,) = [json.loads(x) for x in analyze_stream([line], analyzer)]
    (t,) = out["terms"]
    assert set(t) >= {"key", "proposer", "stance", "duration_days", "count", "name", "evidence"}
    assert (t["key"], t["proposer"], t["stance"], t["duration_days"]) == \
        ("ceasefire.general", "UA", "rejected", 30)


def test_version_changes_with_the_vocabulary(tmp_path: Path) -> None:
    copy = tmp_path / "analysis"
    shutil.copytree(default_config_dir(), copy)
    same = load_analyzer(copy)
    assert same.version == load_analyzer().version
    with open(copy / "venues.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[venue]]\ncity = "Oslo"\ncountry = "Norway"\naliases = [\'oslo\']\n')
    changed = load_analyzer(copy)
    assert changed.version != same.version
    result = changed.analyze(same_item())
    assert result.rounds and result.rounds[0].venue.city == "Oslo"


def same_item() -> Item:
    """An item about talks in Oslo."""
    return Item(None, "Russia and Ukraine peace talks open in Oslo", "", "", None,
                datetime(2025, 1, 1, tzinfo=UTC), None)


def test_holdout_split_is_by_id_number() -> None:
    assert is_holdout("dev-0005") and is_holdout("dev-0260")
    assert not is_holdout("dev-0001") and not is_holdout(None) and not is_holdout("abc")
