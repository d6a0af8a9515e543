"""The daemon as people run it: clean stop on SIGTERM, nothing lost or doubled after SIGKILL."""

from __future__ import annotations

import signal
from pathlib import Path

from monitor.store.db import make_engine
from tests.daemon_proc import DaemonProcess, wait_until, write_config
from tests.feedserver import FeedServer, Route, make_items, rss
from tests.helpers import counts


def test_sigterm_stops_cleanly(db_url: str, tmp_path: Path, feed_server: FeedServer) -> None:
    """SIGTERM ends the daemon within seconds with code 0, after it stored the feed."""
    url = feed_server.add("/a.xml", rss(make_items("a", 5)))
    config = write_config(tmp_path / "m.toml", db_url, [url])
    engine = make_engine(db_url)
    daemon = DaemonProcess(config, tmp_path / "d.log")
    try:
        wait_until(lambda: counts(engine)[0] == 5, 60, "the feed to be stored")
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(15) == 0, daemon.output()
    finally:
        if daemon.proc.poll() is None:
            daemon.kill()
        engine.dispose()
    assert "daemon: stopped" in daemon.output()


def test_sigkill_mid_poll_loses_and_doubles_nothing(db_url: str, tmp_path: Path,
                                                    feed_server: FeedServer) -> None:
    """Kill -9 while feeds trickle in, restart: every item stored exactly once."""
    n_fast, n_slow, items = 20, 6, 15
    urls = []
    for k in range(n_fast):
        urls.append(feed_server.add(f"/fast{k}.xml", rss(make_items(f"fast{k}", items))))
    for k in range(n_slow):
        # Slow feeds share links with fast ones, so level-2 dedup is exercised during the kill.
        body = rss(make_items(f"fast{k}", items) + make_items(f"slow{k}", items))
        urls.append(feed_server.add(f"/slow{k}.xml", Route(body, trickle=0.0005)))
    expected_articles = (n_fast + n_slow) * items
    expected_sightings = n_fast * items + n_slow * 2 * items
    config = write_config(tmp_path / "m.toml", db_url, urls)
    engine = make_engine(db_url)
    first = DaemonProcess(config, tmp_path / "first.log")
    try:
        wait_until(lambda: counts(engine)[0] > 0, 60, "the first articles")
        first.kill()
        assert counts(engine)[0] < expected_articles, "the kill came too late to test anything"
        second = DaemonProcess(config, tmp_path / "second.log")
        try:
            wait_until(lambda: counts(engine) == (expected_articles, expected_sightings), 90,
                       f"all {expected_articles} articles after the restart")
            second.signal(signal.SIGTERM)
            assert second.wait(15) == 0, second.output()
        finally:
            if second.proc.poll() is None:
                second.kill()
        assert counts(engine) == (expected_articles, expected_sightings)
    finally:
        if first.proc.poll() is None:
            first.kill()
        engine.dispose()


def test_second_daemon_on_one_sqlite_file_is_refused(tmp_path: Path, sqlite_template: Path,
                                                     feed_server: FeedServer) -> None:
    """SQLite runs one daemon; a second says so clearly and exits non-zero."""
    db = tmp_path / "one.db"
    db.write_bytes(sqlite_template.read_bytes())
    url = feed_server.add("/a.xml", rss(make_items("a", 2)))
    config = write_config(tmp_path / "m.toml", f"sqlite:///{db}", [url])
    engine = make_engine(f"sqlite:///{db}")
    first = DaemonProcess(config, tmp_path / "first.log")
    try:
        wait_until(lambda: counts(engine)[0] == 2, 60, "the first daemon to poll")
        second = DaemonProcess(config, tmp_path / "second.log")
        code = second.wait(30)
        assert code != 0
        out = second.output()
        assert "another daemon" in out and "PostgreSQL" in out and "Traceback" not in out
        first.signal(signal.SIGTERM)
        assert first.wait(15) == 0
    finally:
        if first.proc.poll() is None:
            first.kill()
        engine.dispose()
