"""The Atom feeds parse cleanly in feedparser, and carry feed text only as escaped HTML."""

from __future__ import annotations

import feedparser
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.query.data import Seeded


def test_events_feed_parses_without_bozo(client: TestClient) -> None:
    """Every event is an entry with a stable id, its sentence as title, the newest first."""
    r = client.get("/feeds/events.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [e.tags[0].term for e in feed.entries] == ["terms.new", "round.new", "round.new"]
    assert feed.entries[0].title.startswith("New terms: UA proposes a prisoner exchange")
    assert all(e.id.startswith("tag:talks-monitor,2025:event/") for e in feed.entries)
    riyadh = feed.entries[2]
    assert "<b>" not in riyadh.title or "&lt;b&gt;" in r.text  # feed text arrives as text, not markup


def test_saved_search_feed(client: TestClient, seeded_app: tuple[FastAPI, Seeded, str]) -> None:
    """A search as a feed: matching articles, newest first, snippets escaped."""
    s = seeded_app[1]
    r = client.get("/feeds/search.atom", params={"q": "rejected OR Istanbul", "relevant": "true"})
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.id for e in feed.entries] == [f"tag:talks-monitor,2025:article/{i}"
                                            for i in (s.articles[1], s.articles[0])]
    assert "rejected" in feed.feed.title
    assert "<script" not in r.text  # the article's "<script>" is text inside escaped HTML
    assert "&lt;mark&gt;rejected&lt;/mark&gt;" in r.text  # highlights travel as escaped HTML
    again = feedparser.parse(client.get("/feeds/search.atom", params={"q": "rejected OR Istanbul",
                                                                      "relevant": "true"}).content)
    assert again.feed.id == feed.feed.id  # a reader sees one feed, not a new one per fetch
    bad = client.get("/feeds/search.atom", params={"q": '"unclosed'})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_query"
