"""Hostile and broken servers: each gives a named outcome on its feed, and nothing else stalls."""

from __future__ import annotations

import gzip
import socket
from datetime import timedelta
from typing import Any

from tests.feedserver import FeedServer, Route, make_items, rss
from tests.helpers import add, counts, feed_row, poll_all, settings_for

CAP = 200_000



def _dead_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redirect(to: str, status: int = 302) -> Any:
    """A handler answering a redirect."""
    return lambda _h: (status, {"Location": to}, b"")


def test_each_fault_is_named_on_its_feed(db_url: str, engine: Any, feed_server: FeedServer) -> None:
    """Trickle, oversize, bomb, loops, 429, 500, 410, bad XML, HTML: named; the good feed stored."""
    srv = feed_server
    srv.add("/good.xml", rss(make_items("good", 3)))
    srv.add("/slow.xml", Route(rss(make_items("slow", 30)), trickle=0.05))
    srv.add("/huge.xml", Route(b"<rss>" + b"x" * (CAP * 2) + b"</rss>"))
    srv.add("/huge-chunked.xml", Route(handler=lambda _h: (
        200, {"Content-Type": "application/rss+xml"}, b" " * (CAP + 10))))
    bomb = gzip.compress(b"<rss>" + b"\0" * 50_000_000)
    srv.add("/bomb.xml", Route(handler=lambda _h: (
        200, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}, bomb)))
    srv.add("/loop.xml", Route(handler=_redirect("/loop.xml")))
    srv.add("/limited.xml", Route(status=429, headers={"Retry-After": "3600"}, validators=False))
    srv.add("/error.xml", Route(status=500, validators=False))
    srv.add("/gone.xml", Route(status=410, validators=False))
    srv.add("/broken.xml", Route(b"<<<this is not xml at all>>> \x00\x01"))
    srv.add("/page.html", Route(b"<!doctype html><html><head><title>Hi</title></head><body><p>"
                                b"Just a page</p></body></html>", content_type="text/html"))
    srv.add("/empty.xml", Route(b""))
    urls = {name: add(engine, srv.url(f"/{name}")) for name in [
        "good.xml", "slow.xml", "huge.xml", "huge-chunked.xml", "bomb.xml", "loop.xml",
        "limited.xml", "error.xml", "gone.xml", "broken.xml", "page.html", "empty.xml"]}
    urls["dead"] = add(engine, f"http://127.0.0.1:{_dead_port()}/feed.xml")
    settings = settings_for(db_url, deadline=2, max_body_bytes=CAP, interval="10m",
                            max_interval="1h")
    reports = {r.feed_id: r for r in poll_all(settings, engine)}
    expected = {
        "good.xml": "ok", "slow.xml": "deadline", "huge.xml": "oversize",
        "huge-chunked.xml": "oversize", "bomb.xml": "oversize", "loop.xml": "redirect_loop",
        "limited.xml": "rate_limited", "error.xml": "server_error", "gone.xml": "gone",
        "broken.xml": "not_a_feed", "page.html": "not_a_feed", "empty.xml": "empty",
        "dead": "connect",
    }
    got = {name: reports[fid].outcome for name, fid in urls.items()}
    assert got == expected
    assert reports[urls["good.xml"]].new_articles == 3
    assert counts(engine)[0] == 3

    for name, fid in urls.items():
        row = feed_row(engine, fid)
        assert row.last_outcome == expected[name]
        if name == "good.xml":
            assert row.error_count == 0 and row.last_error is None
            continue
        assert row.error_count == 1, name
        assert row.last_error and len(row.last_error) < 2100, name
        assert row.next_check_at is not None and row.last_checked_at is not None
        delay = row.next_check_at - row.last_checked_at
        assert delay >= timedelta(seconds=1), name
    gone = feed_row(engine, urls["gone.xml"])
    assert gone.enabled is False and "410" in (gone.disabled_reason or "")
    limited = feed_row(engine, urls["limited.xml"])
    assert limited.next_check_at - limited.last_checked_at >= timedelta(seconds=3600)  # type: ignore[operator]
    assert "HTTP 500" in (feed_row(engine, urls["error.xml"]).last_error or "")


def test_backoff_grows_and_recovery_resets(db_url: str, engine: Any, feed_server: FeedServer) -> None:
    """Repeated 500s back off further each time (capped); a success resets the count."""
    url = feed_server.add("/flaky.xml", Route(status=500, validators=False))
    fid = add(engine, url)
    settings = settings_for(db_url, interval="60s", max_interval="1h")
    delays = []
    for _ in range(5):
        poll_all(settings, engine)
        row = feed_row(engine, fid)
        delays.append((row.next_check_at - row.last_checked_at).total_seconds())  # type: ignore[operator]
    assert feed_row(engine, fid).error_count == 5
    # Jitter is in [0.5, 1] of the step, so the 5th (step 16 min) exceeds the 1st (step 1 min).
    assert delays[4] > delays[0] * 4
    assert all(d <= 3600 for d in delays)
    feed_server.routes["/flaky.xml"] = Route(rss(make_items("flaky", 2)))
    poll_all(settings, engine)
    row = feed_row(engine, fid)
    assert row.error_count == 0 and row.last_error is None and row.enabled


def test_permanent_redirect_moves_the_url_after_it_repeats(db_url: str, engine: Any,
                                                           feed_server: FeedServer) -> None:
    """301 once: the URL stays; the same 301 again: the stored URL moves."""
    feed_server.add("/new.xml", rss(make_items("moved", 2)))
    old = feed_server.add("/old.xml", Route(handler=_redirect("/new.xml", 301)))
    fid = add(engine, old)
    settings = settings_for(db_url)
    poll_all(settings, engine)
    assert feed_row(engine, fid).url == old
    poll_all(settings, engine)
    assert feed_row(engine, fid).url == feed_server.url("/new.xml")
    assert counts(engine)[0] == 2


def test_temporary_redirect_never_moves(db_url: str, engine: Any, feed_server: FeedServer) -> None:
    """302 is followed but the stored URL stays."""
    feed_server.add("/real.xml", rss(make_items("tmp", 1)))
    url = feed_server.add("/tmp.xml", Route(handler=_redirect("/real.xml", 302)))
    fid = add(engine, url)
    settings = settings_for(db_url)
    for _ in range(3):
        poll_all(settings, engine)
    assert feed_row(engine, fid).url == url


def test_user_agent_and_compression(db_url: str, engine: Any, feed_server: FeedServer) -> None:
    """The configured User-Agent is sent; gzip bodies are decoded."""
    url = feed_server.add("/gz.xml", Route(rss(make_items("gz", 4)), gzip=True))
    add(engine, url)
    reports = poll_all(settings_for(db_url, user_agent="probe-agent/1.0"), engine)
    assert reports[0].new_articles == 4
    seen = feed_server.hits("/gz.xml")[0].headers
    assert seen["user-agent"] == "probe-agent/1.0"
    assert "gzip" in seen.get("accept-encoding", "")
