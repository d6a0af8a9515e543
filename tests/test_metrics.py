"""Metrics: polls by outcome, fetch latency, stored articles, queue depths, lease takeovers."""

from __future__ import annotations

import signal
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from monitor import metrics
from monitor.pipeline import utcnow
from monitor.store.db import make_engine
from monitor.store.feeds import due_count
from monitor.store.polling import claim_feeds
from tests.daemon_proc import DaemonProcess, wait_until, write_config
from tests.feedserver import FeedServer, Route, make_items, rss
from tests.helpers import add, counts, poll_all, settings_for


def _samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The current exposition, parsed by prometheus_client's own parser."""
    text, ctype = metrics.exposition()
    assert ctype.startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(text.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_polls_and_queue_depth_are_exported(db_url: str, feed_server: FeedServer) -> None:
    """After a poll the counters moved by what happened, and the gauges read the store."""
    engine: Any = make_engine(db_url)
    add(engine, feed_server.add("/ok.xml", rss(make_items("ok", 4))))
    add(engine, feed_server.add("/bad.xml", Route(status=500, validators=False)))
    before = _samples()
    poll_all(settings_for(db_url), engine)
    metrics.register_store_gauges(lambda: {"feeds_due": due_count(engine, utcnow())})
    after = _samples()

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("monitor_polls_total", outcome="ok") == 1
    assert delta("monitor_polls_total", outcome="server_error") == 1
    assert delta("monitor_articles_stored_total") == 4
    assert delta("monitor_fetch_seconds_count") == 2
    assert after[("monitor_queue_depth", (("queue", "feeds_due"),))] == 0

    # A lease left by a dead daemon is taken over once it expires, and counted.
    now = utcnow()
    assert claim_feeds(engine, "dead-daemon", now, timedelta(seconds=1), due_only=False)
    taken = claim_feeds(engine, "live-daemon", now + timedelta(seconds=2), timedelta(minutes=1),
                        due_only=False)
    assert len(taken) == 2
    final = _samples()
    key = ("monitor_lease_takeovers_total", (("kind", "feed"),))
    assert final[key] - after.get(key, 0.0) == 2
    engine.dispose()


def test_daemon_serves_metrics_over_http(sqlite_url: str, tmp_path: Path,
                                         feed_server: FeedServer) -> None:
    """A running daemon's /metrics is scraped over loopback and parsed by prometheus_client."""
    url = feed_server.add("/m.xml", rss(make_items("m", 3)))
    config = write_config(tmp_path / "m.toml", sqlite_url, [url])
    port = tomllib.loads(config.read_text())["server"]["port"]
    engine: Any = make_engine(sqlite_url)

    def scraped() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        try:
            resp = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        except httpx.HTTPError:
            return None
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for fam in text_string_to_metric_families(resp.text) for s in fam.samples}

    with DaemonProcess(config, tmp_path / "d.log") as daemon:
        wait_until(lambda: counts(engine)[0] == 3, 60, "the feed to be stored")
        wait_until(lambda: scraped() is not None, 30, "the API to answer")
        samples = scraped()
        assert samples is not None
        assert samples[("monitor_polls_total", (("outcome", "ok"),))] >= 1
        assert samples[("monitor_articles_stored_total", ())] == 3
        assert ("monitor_queue_depth", (("queue", "deliveries_pending"),)) in samples
        assert samples[("monitor_queue_depth", (("queue", "feeds_due"),))] == 0
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(20) == 0
    engine.dispose()
