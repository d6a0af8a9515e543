"""Feed management: OPML in and out, per-feed headers, config sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.errors import StoreError
from monitor.opml import OpmlError, OpmlFeed, read_opml, write_opml
from monitor.pipeline import utcnow
from monitor.settings import FeedSettings
from monitor.store.feeds import add_feed, list_feeds
from monitor.store.polling import sync_config_feeds
from tests.feedserver import FeedServer, make_items, rss
from tests.helpers import poll_all, settings_for


def test_opml_round_trip() -> None:
    """What we write, we (and any reader) read back: URLs, names, order."""
    feeds = [OpmlFeed("https://a.example/rss", "A & B <news>"), OpmlFeed("https://b.example/atom")]
    assert read_opml(write_opml(feeds)) == [feeds[0], OpmlFeed("https://b.example/atom",
                                                               "https://b.example/atom")]


def test_opml_reads_nested_outlines_once() -> None:
    """Folders are flattened; duplicates are kept once; outlines without xmlUrl skipped."""
    doc = b"""<?xml version="1.0"?><opml version="1.0"><head/><body>
      <outline text="World"><outline text="X" xmlUrl="https://x.example/f"/>
      <outline text="X again" xmlUrl="https://x.example/f"/></outline>
      <outline text="no url"/><outline title="Y" xmlUrl="https://y.example/f"/></body></opml>"""
    assert read_opml(doc) == [OpmlFeed("https://x.example/f", "X"),
                              OpmlFeed("https://y.example/f", "Y")]


@pytest.mark.parametrize("doc, message", [
    (b"<opml><body><outline", "not well-formed"),
    (b"<rss/>", "not <opml>"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
     b"<opml><body><outline xmlUrl='&lol2;'/></body></opml>", "DOCTYPE"),
])
def test_hostile_or_broken_opml_is_refused(doc: bytes, message: str) -> None:
    """Broken XML, the wrong document and entity bombs give a clear error."""
    with pytest.raises(OpmlError, match=message):
        read_opml(doc)


def test_per_feed_headers_are_sent(db_url: str, engine: Any, feed_server: FeedServer) -> None:
    """Headers stored on a feed go with each of its requests."""
    url = feed_server.add("/private.xml", rss(make_items("p", 1)))
    add_feed(engine, url, headers={"Authorization": "Bearer t0ken"}, now=utcnow())
    poll_all(settings_for(db_url), engine)
    assert feed_server.hits("/private.xml")[0].headers["authorization"] == "Bearer t0ken"


def test_add_refuses_non_http_urls(engine: Any) -> None:
    """A feed URL must be http(s)."""
    with pytest.raises(StoreError, match="not an http"):
        add_feed(engine, "file:///etc/passwd", now=utcnow())


def test_config_sync_adds_updates_and_disables(engine: Any) -> None:
    """Config feeds appear; one dropped from the file is disabled with a reason, not deleted."""
    a, b = "https://a.example/rss", "https://b.example/rss"
    sync_config_feeds(engine, [FeedSettings(url=a, name="A"), FeedSettings(url=b)], utcnow())
    sync_config_feeds(engine, [FeedSettings(url=a, name="A2")], utcnow())
    feeds = {f.url: f for f in list_feeds(engine)}
    assert feeds[a].name == "A2" and feeds[a].enabled
    assert not feeds[b].enabled and feeds[b].disabled_reason == "removed from config"
    sync_config_feeds(engine, [FeedSettings(url=a), FeedSettings(url=b)], utcnow())
    assert all(f.enabled for f in list_feeds(engine))


def test_cli_import_and_export(tmp_path: Path) -> None:
    """`feeds import` adds new outlines; `feeds export` writes them back."""
    from tests.test_cli import run

    cfg = tmp_path / "m.toml"
    cfg.write_text("")
    db = f"sqlite:///{tmp_path}/m.db"
    run("db", "upgrade", db=db, config=cfg)
    opml = tmp_path / "in.opml"
    opml.write_bytes(write_opml([OpmlFeed("https://a.example/rss", "A"),
                                 OpmlFeed("ftp://bad.example/x", "bad")]))
    out = run("feeds", "import", str(opml), db=db, config=cfg)
    assert out.returncode == 0 and "1 feeds added" in out.stdout and "skipped ftp" in out.stderr
    exported = run("feeds", "export", db=db, config=cfg)
    assert read_opml(exported.stdout.encode()) == [OpmlFeed("https://a.example/rss", "A")]


def test_health_flags_failing_and_silent_feeds(db_url: str, engine: Any,
                                               feed_server: FeedServer) -> None:
    """A feed erroring again and again is failing; one with nothing new for long is silent."""
    from datetime import timedelta

    from monitor.store.feeds import feed_health
    from tests.feedserver import Route

    quiet = feed_server.add("/quiet.xml", rss(make_items("q", 1)))
    broken = feed_server.add("/broken.xml", Route(status=503, validators=False))
    add_feed(engine, quiet, now=utcnow())
    add_feed(engine, broken, now=utcnow())
    settings = settings_for(db_url)
    week = timedelta(days=7)

    def health() -> dict[str, str]:
        now = utcnow()
        return {f.url: feed_health(f, now, week, 3) for f in list_feeds(engine)}

    assert set(health().values()) == {"new"}
    poll_all(settings, engine)
    assert health() == {quiet: "ok", broken: "erroring"}
    poll_all(settings, engine)
    poll_all(settings, engine)
    assert health()[broken] == "failing"
    later = utcnow() + timedelta(days=8)
    info = next(f for f in list_feeds(engine) if f.url == quiet)
    assert feed_health(info, later, week, 3) == "silent"
