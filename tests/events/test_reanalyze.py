"""`monitor poll` feeds the events stage; `monitor reanalyze` raises only what is really new."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.store.db import make_engine
from monitor.store.facts_models import Event, Round
from tests.feedserver import FeedServer, rss
from tests.helpers import add, poll_all, settings_for

ITEMS = [
    {"title": "Russia and Ukraine hold peace talks in Istanbul", "link": "https://news.example/1",
     "description": "Russian and Ukrainian delegations met in Istanbul on Monday for a second "
                    "round of direct peace talks, which ended without a ceasefire."},
    {"title": "Istanbul talks end without a truce", "link": "https://news.example/2",
     "description": "The second round of Russia-Ukraine peace talks in Istanbul ended on Monday "
                    "without a ceasefire."},
    {"title": "Football results", "link": "https://news.example/3",
     "description": "The second round of the cup was played on Monday."},
]


def _config(tmp_path: Path, db_url: str) -> str:
    """A config naming only the store."""
    path = tmp_path / "monitor.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n')
    return str(path)


def _events(engine: Engine) -> list[Event]:
    """Every event."""
    with Session(engine) as s:
        return list(s.exec(select(Event)))


def test_poll_then_reanalyze(db_url: str, tmp_path: Path, feed_server: FeedServer) -> None:
    """Articles stored before any rules; reanalyze builds the round once; again adds nothing."""
    now = format_datetime(datetime.now(UTC))
    feed_server.add("/talks.xml", rss([{**i, "pubDate": now} for i in ITEMS]))
    engine = make_engine(db_url)
    try:
        add(engine, feed_server.url("/talks.xml"))
        poll_all(settings_for(db_url), engine)  # no analyzer: stored, not analysed
        assert _events(engine) == []

        config = _config(tmp_path, db_url)
        runner = CliRunner()
        first = runner.invoke(app, ["--config", config, "reanalyze"])
        assert first.exit_code == 0, first.output
        assert "3 articles analysed again, 3 changed" in first.output
        events = _events(engine)
        assert [e.type for e in events if e.type.startswith("round")] == ["round.new"]
        with Session(engine) as s:
            [r] = s.exec(select(Round)).all()
            assert (r.city, r.status, r.outcome) == ("Istanbul", "concluded", "no ceasefire")

        again = runner.invoke(app, ["--config", config, "reanalyze", "--since", "2000-01-01"])
        assert again.exit_code == 0, again.output
        assert "3 articles analysed again, 0 changed, 0 new events" in again.output
        assert len(_events(engine)) == len(events)

        listed = runner.invoke(app, ["--config", config, "alerts", "list", "--json"])
        rows = [json.loads(line) for line in listed.output.splitlines()]
        assert {r["type"] for r in rows} >= {"round.new"}
        assert all(r["channel"] is None for r in rows)  # no channel configured
    finally:
        engine.dispose()
