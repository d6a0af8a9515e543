"""The daemon as people run it: clean stop on SIGTERM, nothing lost or doubled after SIGKILL."""

from __future__ import annotations

import signal
from pathlib import Path

from sqlalchemy import Engine

from monitor.store.db import make_engine
from tests.daemon_proc import DaemonProcess, wait_until, write_config
from tests.feedserver import FeedServer, Route, make_items, rss
from tests.helpers import counts


def test_sigterm_stops_cleanly(db_url: str, engine: Engine, tmp_path: Path,
                               feed_server: FeedServer) -> None:
    """SIGTERM ends the daemon within seconds with code 0, after it stored the feed."""
    url = feed_server.add("/a.xml", rss(make_items("a", 5)))
    config = write_config(tmp_path / "m.toml", db_url, [url])
    with DaemonProcess(config, tmp_path / "d.log") as daemon:
        wait_until(lambda: counts(engine)[0] == 5, 60, "the feed to be stored")
        # `monitor run` became the lean daemon process, same PID (so signals reach it).
        cmdline = Path(f"/proc/{daemon.proc.pid}/cmdline").read_bytes().split(b"\0")
        assert cmdline[1:3] == [b"-P", b"-m"] and cmdline[3] == b"monitor.serve"
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(15) == 0, daemon.output()
    assert "daemon: stopped" in daemon.output()


def test_sigkill_mid_poll_loses_and_doubles_nothing(db_url: str, engine: Engine, tmp_path: Path,
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
    expected = ((n_fast + n_slow) * items, n_fast * items + n_slow * 2 * items)
    config = write_config(tmp_path / "m.toml", db_url, urls)
    with DaemonProcess(config, tmp_path / "first.log") as first:
        wait_until(lambda: counts(engine)[0] > 0, 60, "the first articles")
        first.kill()
    assert counts(engine)[0] < expected[0], "the kill came too late to test anything"
    with DaemonProcess(config, tmp_path / "second.log") as second:
        wait_until(lambda: counts(engine) == expected, 90,
                   f"all {expected[0]} articles after the restart")
        second.signal(signal.SIGTERM)
        assert second.wait(15) == 0, second.output()
    assert counts(engine) == expected


def test_second_daemon_on_one_sqlite_file_is_refused(sqlite_url: str, tmp_path: Path,
                                                     feed_server: FeedServer) -> None:
    """SQLite runs one daemon; a second says so clearly and exits non-zero."""
    url = feed_server.add("/a.xml", rss(make_items("a", 2)))
    config = write_config(tmp_path / "m.toml", sqlite_url, [url])
    engine = make_engine(sqlite_url)
    with DaemonProcess(config, tmp_path / "first.log") as first:
        wait_until(lambda: counts(engine)[0] == 2, 60, "the first daemon to poll")
        with DaemonProcess(config, tmp_path / "second.log") as second:
            assert second.wait(30) != 0
        out = second.output()
        assert "another daemon" in out and "PostgreSQL" in out and "Traceback" not in out
        first.signal(signal.SIGTERM)
        assert first.wait(15) == 0
    engine.dispose()
