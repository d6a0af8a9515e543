"""`monitor articles search|show`, `rounds list`, `terms list`: tables, JSON, CSV, clear errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.store.db import make_engine
from tests.query.data import Seeded, seed


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, list[str], Seeded]:
    """A runner, the global options for a seeded store, and what was seeded."""
    engine = make_engine(db_url)
    seeded = seed(engine)
    engine.dispose()
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n')
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps tables to the terminal
    return CliRunner(), ["--config", str(cfg)], seeded


def test_search_json_csv_and_table(cli: tuple[CliRunner, list[str], Seeded]) -> None:
    """The same search in the three outputs."""
    runner, opts, s = cli
    r = runner.invoke(app, [*opts, "articles", "search", "Istanbul talks", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["items"][0]["id"] == s.articles[0] and "next_cursor" in data and not data["truncated"]
    r = runner.invoke(app, [*opts, "articles", "search", "ceasefire", "--relevant", "--csv",
                            "--term", "ceasefire.general", "--proposer", "US"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [int(x["id"]) for x in rows] == [s.articles[1]]
    assert "<mark>" not in rows[0]["snippet"] and "ceasefire" in rows[0]["snippet"].lower()
    r = runner.invoke(app, [*opts, "articles", "search", "Istanbul", "--feed",
                            "https://feeds1.example/rss.xml"])
    assert r.exit_code == 0 and "derby" in r.stdout
    r = runner.invoke(app, [*opts, "articles", "search", "ceasefire", "--limit", "3"])
    assert "--cursor" in r.stdout


def test_search_syntax_error_is_one_line(cli: tuple[CliRunner, list[str], Seeded]) -> None:
    """A bad query exits 2 with a message, no traceback, no SQL."""
    runner, opts, _ = cli
    r = runner.invoke(app, [*opts, "articles", "search", '"second round'])
    assert r.exit_code == 2
    assert "unclosed quote" in r.stderr and "Traceback" not in r.output and "SELECT" not in r.stderr
    r = runner.invoke(app, [*opts, "articles", "search", "x", "--since", "yesterday"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.stderr


def test_show_rounds_terms(cli: tuple[CliRunner, list[str], Seeded]) -> None:
    """One article; the rounds and terms lists in table, JSON and CSV."""
    runner, opts, s = cli
    r = runner.invoke(app, [*opts, "articles", "show", str(s.articles[0]), "--json"])
    a = json.loads(r.stdout)
    assert a["rounds"][0]["city"] == "Istanbul" and a["feeds"][0]["name"] == "Wire One"
    r = runner.invoke(app, [*opts, "articles", "show", "99999"])
    assert r.exit_code == 2 and "does not exist" in r.stderr
    r = runner.invoke(app, [*opts, "rounds", "list"])
    assert r.exit_code == 0 and "Istanbul" in r.stdout and "Riyadh" in r.stdout
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, [*opts, "rounds", "list", "--csv"]).stdout)))
    assert [x["city"] for x in rows] == ["Istanbul", "Riyadh"]
    r = runner.invoke(app, [*opts, "terms", "list", "--proposer", "US", "--json"])
    assert {t["key"] for t in json.loads(r.stdout)["items"]} == {"ceasefire.general", "ceasefire.energy"}
    r = runner.invoke(app, [*opts, "terms", "list"])
    assert "security.nato" in r.stdout
