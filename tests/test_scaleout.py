"""Several daemons on one PostgreSQL share the feeds through leases, and survive a SIGKILL."""

from __future__ import annotations

import itertools
import signal
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from monitor.pipeline import utcnow
from monitor.store.db import make_engine
from tests.daemon_proc import DaemonProcess, free_port, wait_until, write_config
from tests.delivery.conftest import put_alerts
from tests.delivery.receivers import SECRET, WebhookReceiver
from tests.feedserver import FeedServer, make_items, rss
from tests.helpers import counts

N_FEEDS = 300
N_ALERTS = 40
INTERVAL = 5.0
LEASE = 10.0  # longer than a fetch's deadline, so only a dead daemon loses one


@pytest.mark.postgres
@pytest.mark.slow
def test_three_daemons_share_feeds_and_take_over_a_dead_ones_leases(
        db_url: str, tmp_path: Path, feed_server: FeedServer) -> None:
    """Each feed is fetched once per interval across three daemons, even after one is killed."""
    if not db_url.startswith("postgresql"):
        pytest.skip("several daemons need PostgreSQL; SQLite refuses a second daemon by design")
    urls = [feed_server.add(f"/s{k}.xml", rss(make_items(f"s{k}", 1))) for k in range(N_FEEDS)]
    receiver = WebhookReceiver()
    config = write_config(tmp_path / "m.toml", db_url, urls, extra=f"""
[alerts]
deliver_every = "1s"
lease = "{LEASE:g}s"
[[alerts.channels]]
name = "ops"
type = "webhook"
url = "{receiver.url}"
secret_env = "TEST_WEBHOOK_SECRET"
""")
    engine = make_engine(db_url)
    # Alerts already waiting in the outbox when the daemons start: all three race for them.
    alert_ids = put_alerts(engine, N_ALERTS, {"ops": None}, now=utcnow())
    daemons = [DaemonProcess(config, tmp_path / f"d{k}.log", env={
        "TEST_WEBHOOK_SECRET": SECRET,
        "MONITOR_FETCH_USER_AGENT": f"daemon-{k}", "MONITOR_FETCH_INTERVAL": f"{INTERVAL:g}s",
        "MONITOR_FETCH_PER_HOST": "50", "MONITOR_SERVER_PORT": str(free_port()),
        "MONITOR_SCHEDULER_LEASE": f"{LEASE:g}s", "MONITOR_FETCH_DEADLINE": "5"})
        for k in range(3)]
    try:
        wait_until(lambda: counts(engine)[0] == N_FEEDS, 90, "every feed stored once")
        wait_until(lambda: len(receiver.accepted) == N_ALERTS, 60, "every alert delivered")
        time.sleep(3 * INTERVAL)
        killed_at = time.monotonic()
        daemons[0].kill()
        time.sleep(LEASE + 2 * INTERVAL)
        for d in daemons[1:]:
            d.signal(signal.SIGTERM)
        for d in daemons[1:]:
            assert d.wait(20) == 0, d.output()
    finally:
        for d in daemons:
            if d.proc.poll() is None:
                d.kill()
        receiver.stop()
    assert counts(engine) == (N_FEEDS, N_FEEDS)
    engine.dispose()
    # Every alert delivered exactly once across the three daemons, verified signature and all.
    assert sorted(receiver.ids()) == sorted(alert_ids)
    assert all(r.verified is not None for r in receiver.requests)

    by_feed: dict[str, list[float]] = defaultdict(list)
    by_daemon: Counter[str] = Counter()
    for seen in feed_server.requests:
        by_feed[seen.path].append(seen.at)
        if seen.at < killed_at:
            by_daemon[seen.headers.get("user-agent", "")] += 1
    # Every daemon did part of the work before the kill.
    assert set(by_daemon) == {"daemon-0", "daemon-1", "daemon-2"}, by_daemon
    for path, times in by_feed.items():
        times.sort()
        assert len(times) >= 4, (path, times)
        for a, b in itertools.pairwise(times):
            spans_kill = a <= killed_at + LEASE + INTERVAL and b >= killed_at
            # Never two fetches of one feed within one interval (jitter is ±5%), but for a
            # fetch the killed daemon never recorded, redone once its lease expired.
            assert b - a >= INTERVAL * 0.9 or spans_kill, (path, b - a)
        # The survivors kept polling every feed after taking over the dead daemon's leases.
        assert times[-1] > killed_at + LEASE, path
