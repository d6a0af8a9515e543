"""The driver-level multi-row INSERT of articles writes exactly what SQLAlchemy's would."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from monitor.store.articles import insert_returning
from monitor.store.db import make_engine
from monitor.store.feeds import add_feed
from monitor.store.models import Article

NOW = datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC)


def _rows(feed_id: int, n: int) -> list[dict[str, Any]]:
    """Article rows with every kind of value: NULLs, aware times, JSON, booleans, floats, text."""
    return [dict(feed_id=feed_id, guid=None if i % 2 else f"g{i}", url=f"https://x.example/{i}",
                 canonical_url=f"https://x.example/{i}", title=f"Title {i} «quoted» 'ü'",
                 summary="Summary with ; and ? and ,", content="" if i % 3 else "Body\n\ntext",
                 author=None, language="en", published_at=NOW - timedelta(days=i) if i % 4 else None,
                 fetched_at=NOW, content_hash=f"{i:064x}", relevant=[True, False, None][i % 3],
                 score=None if i % 5 == 0 else i / 7,
                 analysis=None if i % 3 == 2 else {"relevant": i % 3 == 0, "terms": [{"k": "é"}]},
                 analysis_version="v1")
            for i in range(n)]


def test_sqlite_driver_insert_matches_sqlalchemy(tmp_path: Path, sqlite_template: Path) -> None:
    """Same rows through both paths: byte-identical columns, read back as the same values."""
    engines = {}
    for name in ("raw", "orm"):
        shutil.copy(sqlite_template, tmp_path / f"{name}.db")
        engines[name] = make_engine(f"sqlite:///{tmp_path / name}.db")
    table = Article.__table__  # type: ignore[attr-defined]
    for name, engine in engines.items():
        feed = add_feed(engine, "https://x.example/rss", now=NOW).id
        rows = _rows(feed, 2100)  # more rows than one statement of the raw path takes (2,000)
        with engine.begin() as conn:
            if name == "raw":
                got = insert_returning(conn, table, rows, ["canonical_url"], ["id", "canonical_url"])
                assert len(got) == 2100
                # A second time: every row conflicts, nothing is returned or changed.
                assert insert_returning(conn, table, rows, ["canonical_url"], ["id"]) == []
            else:
                conn.execute(insert(table), rows)
    dumps = {}
    for name, engine in engines.items():
        with engine.connect() as conn:
            dumps[name] = conn.execute(text("SELECT * FROM articles ORDER BY id")).all()
            values = conn.execute(select(table).order_by(table.c.id)).all()
        assert values[1].published_at == NOW - timedelta(days=1)  # aware UTC back
        assert values[0].analysis == {"relevant": True, "terms": [{"k": "é"}]}
        assert values[1].relevant is False and values[2].relevant is None
        engine.dispose()
    assert len(dumps["raw"]) == 2100 and dumps["raw"] == dumps["orm"]
