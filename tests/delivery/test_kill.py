"""SIGKILL of the daemon after the commit or during delivery: every alert arrives, once per id."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from monitor.store.facts_models import Event
from tests.daemon_proc import DaemonProcess, wait_until, write_config
from tests.delivery.conftest import deliveries, put_alerts
from tests.delivery.receivers import SECRET, WebhookReceiver, free_port
from tests.feedserver import FeedServer, rss

pytestmark = pytest.mark.slow


def _config(tmp_path: Path, db_url: str, hook_url: str, feeds: list[str]) -> Path:
    """A fast daemon whose one channel is the test's webhook receiver."""
    return write_config(tmp_path / "monitor.toml", db_url, feeds, extra=f"""
[alerts]
deliver_every = "1s"
lease = "3s"
backoff_base = "1s"
backoff_cap = "2s"
max_attempts = 100

[[alerts.channels]]
name = "ops"
type = "webhook"
url = "{hook_url}"
secret_env = "TEST_WEBHOOK_SECRET"
timeout = 10
""")


def _all_delivered(engine: Engine, n: int) -> bool:
    """n deliveries, all delivered."""
    rows = deliveries(engine)
    return len(rows) == n and all(d.status == "delivered" for d in rows)


def _wait(check: Callable[[], bool], what: str, *daemons: DaemonProcess) -> None:
    """wait_until with a generous limit (CI shares cores), showing the daemons' logs on failure."""
    try:
        wait_until(check, 120, what)
    except AssertionError as exc:
        logs = "\n".join(d.output()[-3000:] for d in daemons)
        raise AssertionError(f"{exc}\n--- daemon output ---\n{logs}") from None


def _stop(daemon: DaemonProcess) -> None:
    """SIGTERM and wait; SIGKILL if it hangs."""
    if daemon.proc.poll() is None:
        daemon.signal(signal.SIGTERM)
        try:
            daemon.wait(20)
        except Exception:
            daemon.kill()


def test_sigkill_between_commit_and_delivery(db_url: str, engine: Engine, tmp_path: Path,
                                             feed_server: FeedServer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Events committed by a poll, receiver down, daemon killed; after restart all arrive once."""
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)
    now = format_datetime(datetime.now(UTC))
    items = [
        {"title": "Russia and Ukraine hold peace talks in Istanbul", "link":
         "https://news.example/istanbul", "pubDate": now, "description":
         "Russian and Ukrainian delegations met in Istanbul on Monday for a second round of "
         "direct peace talks, which ended without a ceasefire."},
        {"title": "Talks in Riyadh", "link": "https://news.example/riyadh", "pubDate": now,
         "description": "US and Russian delegations held talks on the war in Ukraine in Riyadh "
                        "on Tuesday."},
    ]
    feed = feed_server.add("/talks.xml", rss(items))
    port = free_port()  # nobody listens yet
    config = _config(tmp_path, db_url, f"http://127.0.0.1:{port}/hook", [feed])
    first = DaemonProcess(config, tmp_path / "first.log")
    try:
        _wait(lambda: len(deliveries(engine)) >= 2
              and all(d.attempts >= 1 for d in deliveries(engine)),
              "committed events with a failed first attempt", first)
        first.kill()
    finally:
        if first.proc.poll() is None:
            first.kill()
    with Session(engine) as s:
        events = {e.id for e in s.exec(select(Event)) if e.alerted}
    assert len(events) >= 2
    assert {d.status for d in deliveries(engine)} <= {"pending", "sending"}

    receiver = WebhookReceiver(port=port)
    second = DaemonProcess(config, tmp_path / "second.log")
    try:
        _wait(lambda: _all_delivered(engine, len(events)), "every alert delivered", second)
    finally:
        _stop(second)
        receiver.stop()
    assert set(receiver.accepted) == events, second.output()[-3000:]
    assert sorted(receiver.ids()) == sorted(events), second.output()[-3000:]  # none sent twice
    assert "Istanbul" in str(receiver.accepted)


def test_sigkill_during_delivery(db_url: str, engine: Engine, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed while the receiver holds the first request: it is sent again, kept once."""
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)
    ids = put_alerts(engine, 3, {"ops": None}, now=datetime.now(UTC))
    receiver = WebhookReceiver(script=["slow:4"])
    config = _config(tmp_path, db_url, receiver.url, [])
    first = DaemonProcess(config, tmp_path / "first.log")
    try:
        _wait(lambda: len(receiver.began) >= 1, "the first delivery to start", first)
        first.kill()
    finally:
        if first.proc.poll() is None:
            first.kill()
    in_flight = receiver.began[0]
    assert any(d.status == "sending" for d in deliveries(engine))

    second = DaemonProcess(config, tmp_path / "second.log")
    try:
        _wait(lambda: _all_delivered(engine, 3), "every alert delivered", second)
    finally:
        _stop(second)
        receiver.stop()
    assert sorted(receiver.accepted) == sorted(ids)  # the de-duplicating receiver: once each
    assert receiver.began.count(in_flight) == 2  # the one in flight went again, same id
    assert len(receiver.began) == 4
