"""Polling feeds into the store: exact dedup, validators, unchanged bodies, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

import monitor.pipeline
from tests.feedserver import FeedServer, Route, make_items, rss
from tests.helpers import add, counts, feed_row, poll_all, settings_for


def test_poll_stores_each_unique_item_once(db_url: str, engine: Any, feed_server: FeedServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """N feeds → every item once; re-polls are conditional or skip the parse."""
    settings = settings_for(db_url)
    n_feeds, n_items = 5, 12
    for f in range(n_feeds):
        feed_server.add(f"/f{f}.xml", rss(make_items(f"f{f}", n_items)))
        add(engine, feed_server.url(f"/f{f}.xml"))
    reports = poll_all(settings, engine)
    assert sorted(r.outcome for r in reports) == ["ok"] * n_feeds
    assert sum(r.new_articles for r in reports) == n_feeds * n_items
    assert counts(engine) == (n_feeds * n_items, n_feeds * n_items)

    # Second poll: the server honours validators → only conditional requests, all 304.
    reports = poll_all(settings, engine)
    assert {r.outcome for r in reports} == {"not_modified"}
    for f in range(n_feeds):
        last = feed_server.hits(f"/f{f}.xml")[-1]
        assert "if-none-match" in last.headers and "if-modified-since" in last.headers
    assert counts(engine) == (n_feeds * n_items, n_feeds * n_items)

    # Third poll: validators ignored, same bytes → recognised by hash, never parsed.
    parsed: list[str] = []
    real_parse = monitor.pipeline.parse_feed

    def spy(body: bytes, url: str, ctype: str | None) -> Any:
        parsed.append(url)
        return real_parse(body, url, ctype)

    monkeypatch.setattr(monitor.pipeline, "parse_feed", spy)
    for route in feed_server.routes.values():
        route.validators = False
    reports = poll_all(settings, engine)
    assert {r.outcome for r in reports} == {"unchanged"}
    assert parsed == []
    assert counts(engine) == (n_feeds * n_items, n_feeds * n_items)

    # A changed body is parsed again, and only the new item is stored.
    feed_server.routes["/f0.xml"].body = rss(make_items("f0", n_items + 1))
    reports = poll_all(settings, engine)
    assert sum(r.new_articles for r in reports) == 1
    assert len(parsed) == 1


def test_same_article_in_two_feeds_is_stored_once(db_url: str, engine: Any,
                                                  feed_server: FeedServer) -> None:
    """Level 2: links differing only by tracking, case, AMP or slash are one article."""
    a = [{"title": "Talks in Istanbul", "link": "https://News.example.org/world/talks-istanbul/",
          "guid": "a-1", "description": "Delegations met."}]
    b = [{"title": "Talks in Istanbul (updated)",
          "link": "http://news.example.org/world/talks-istanbul/amp?utm_source=rss&fbclid=x#top",
          "guid": "b-1", "description": "Delegations met in Istanbul."}]
    add(engine, feed_server.add("/a.xml", rss(a)))
    add(engine, feed_server.add("/b.xml", rss(b)))
    reports = poll_all(settings_for(db_url), engine)
    assert sum(r.new_articles for r in reports) == 1
    assert counts(engine) == (1, 2)  # one article, seen in two feeds


def test_items_without_guid_or_link_are_keyed_by_content(db_url: str, engine: Any,
                                                         feed_server: FeedServer) -> None:
    """Level 1 falls back to a content hash; a re-poll stores nothing new."""
    items = [{"title": "Bare item one", "description": "text one"},
             {"title": "Bare item two", "description": "text two"}]
    url = feed_server.add("/bare.xml", Route(rss(items), validators=False))
    add(engine, url)
    settings = settings_for(db_url)
    poll_all(settings, engine)
    feed_server.routes["/bare.xml"].body = rss(items) + b"\n"  # new bytes, same items
    reports = poll_all(settings, engine)
    assert reports[0].outcome == "ok" and reports[0].new_articles == 0
    assert counts(engine) == (2, 2)


def test_edited_item_updates_article_in_place(db_url: str, engine: Any,
                                              feed_server: FeedServer) -> None:
    """Same GUID with a new title: the article is updated, not duplicated."""
    items = make_items("e", 2)
    url = feed_server.add("/e.xml", rss(items))
    fid = add(engine, url)
    settings = settings_for(db_url)
    poll_all(settings, engine)
    items[0]["title"] = "e story 0, updated headline"
    feed_server.routes["/e.xml"].body = rss(items)
    reports = poll_all(settings, engine)
    assert reports[0].new_articles == 0 and reports[0].updated_articles == 1
    assert counts(engine) == (2, 2)
    assert feed_row(engine, fid).error_count == 0


def test_ttl_and_max_age_stretch_the_interval(db_url: str, engine: Any,
                                              feed_server: FeedServer) -> None:
    """RSS ttl (minutes) and Cache-Control max-age push next_check_at out."""
    url = feed_server.add("/ttl.xml", rss(make_items("t", 1), ttl=120))
    fid = add(engine, url)
    url2 = feed_server.add("/ma.xml", Route(rss(make_items("m", 1)),
                                            headers={"Cache-Control": "max-age=7200"}))
    fid2 = add(engine, url2)
    poll_all(settings_for(db_url, interval="60s"), engine)
    for f in (fid, fid2):
        row = feed_row(engine, f)
        assert row.next_check_at is not None and row.last_checked_at is not None
        delay = (row.next_check_at - row.last_checked_at).total_seconds()
        assert 7200 * 0.9 <= delay <= 7200 * 1.1
