"""feedparser's own 2,107 test feeds, served over loopback and polled: no crash, hang or leak."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from sqlmodel import Session, select

from monitor.parser import parse_feed
from monitor.store.db import make_engine
from monitor.store.models import Article, ArticleEntry, Feed
from tests.conftest import shared_path
from tests.feedserver import FeedServer, Route, make_items, rss
from tests.helpers import add, poll_all, settings_for

_HEADER = re.compile(rb"^Header:\s*([A-Za-z-]+):\s*(.*?)\s*$", re.MULTILINE)


def _route(path: Path, rel: str) -> Route:
    """A route serving one test file with the response headers its comment names."""
    body = path.read_bytes()
    headers: dict[str, str] = {}
    if "http" in rel:
        for name, value in _HEADER.findall(body[:2000]):
            headers[name.decode()] = value.decode("latin-1")
    ctype = headers.pop("Content-type", None) or headers.pop("Content-Type", None)
    if ctype is None:
        ctype = "application/feed+json" if path.suffix == ".json" else "application/xml"
    return Route(body, content_type=ctype, headers=headers, validators=False)


def test_every_feedparser_test_feed_polls_cleanly(tmp_path: Path, sqlite_template: Path,
                                                  feed_server: FeedServer) -> None:
    """Each file ends stored or with a recorded error; sanitised text stays sanitised."""
    root = shared_path("corpora", "feedparser-tests")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".xml", ".json"))
    assert len(files) > 2000
    db = tmp_path / "corpus.db"
    db.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    ids: dict[int, Path] = {}
    for path in files:
        rel = "/" + path.relative_to(root).as_posix()
        ids[add(engine, feed_server.add(rel, _route(path, rel)))] = path
    control = add(engine, feed_server.add("/control.xml", rss(make_items("control", 5))))

    reports = poll_all(settings_for(url, concurrency=50, per_host=50, read_timeout=20,
                                        deadline=60), engine)
    assert len(reports) == len(files) + 1
    assert next(r for r in reports if r.feed_id == control).new_articles == 5

    with Session(engine) as s:
        feeds = {f.id: f for f in s.exec(select(Feed))}
        stored: dict[int, int] = {}
        for entry in s.exec(select(ArticleEntry)):
            stored[entry.feed_id] = stored.get(entry.feed_id, 0) + 1
        for article in s.exec(select(Article)):
            for text in (article.title, article.summary, article.content):
                assert "<script" not in text.lower(), article.url
    wellformed_ok = 0
    for fid, path in ids.items():
        feed = feeds[fid]
        assert feed.last_outcome is not None, path
        if feed.last_error:
            continue
        expected = parse_feed(path.read_bytes(), feed.url).entries
        # Stored as far as feedparser recovers it (a shared canonical URL folds items).
        assert 0 < stored.get(fid, 0) <= len(expected) or not expected, path
        if "wellformed" in path.parts and expected:
            wellformed_ok += 1
    assert wellformed_ok >= 1100  # of 1,164 wellformed files with entries
    errored = [f for f in feeds.values() if f.last_error]
    outcomes = Counter(f.last_outcome for f in feeds.values())
    print(f"\n{len(files)} feedparser test files: outcomes {dict(outcomes)}; "
          f"{sum(stored.values())} entries stored; {wellformed_ok} wellformed feeds stored")
    # Errors must be readable lines naming their stage, never tracebacks.
    for f in errored:
        assert f.last_error and "Traceback" not in f.last_error
    engine.dispose()


def test_parser_keeps_entries_of_an_illformed_feed() -> None:
    """A feed with a broken tail keeps what feedparser recovers, with a warning."""
    body = rss(make_items("ill", 2)).replace(b"</channel></rss>", b"<item><title>cut")
    parsed = parse_feed(body, "http://127.0.0.1/ill.xml")
    assert parsed.error is None and parsed.warning
    assert len(parsed.entries) >= 2


def test_parser_strips_active_content() -> None:
    """Scripts, handlers and double-escaped markup never reach the stored text."""
    item = {"title": "A &lt;script&gt;alert(1)&lt;/script&gt; title",
            "link": "http://x.example/a", "guid": "1",
            "description": "&lt;p onclick='x()'&gt;Body&lt;script&gt;evil()&lt;/script&gt;&lt;/p&gt;"}
    parsed = parse_feed(rss([item]), "http://x.example/feed")
    entry = parsed.entries[0]
    assert "<" not in entry.title and "<" not in entry.summary
    assert "Body" in entry.summary and "evil()" not in entry.summary
