"""Webhooks: signed per Standard Webhooks, retried with a stable webhook-id, failing visibly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from monitor.cli import app
from monitor.delivery.deliverer import backoff
from monitor.delivery.webhook import WebhookChannel
from tests.delivery.conftest import (
    Clock,
    MakeDeliverer,
    deliveries,
    put_alerts,
    run_until_settled,
)
from tests.delivery.receivers import SECRET, WebhookReceiver, free_port, payload_of


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A verifying receiver on loopback."""
    r = WebhookReceiver()
    yield r
    r.stop()


def hook(url: str, timeout: float = 5.0) -> WebhookChannel:
    """The channel under test."""
    return WebhookChannel("ops", url, SECRET, timeout=timeout)


def test_body_is_signed_and_verifiable(engine: Engine, receiver: WebhookReceiver,
                                       make_deliverer: MakeDeliverer) -> None:
    """The receiver's standardwebhooks verifier accepts it; the body has round, terms, articles."""
    [event_id] = put_alerts(engine, 1, {"ops": None})
    make_deliverer({"ops": hook(receiver.url)}).run_once()
    assert receiver.ids() == [event_id]
    sent = receiver.requests[0]
    assert sent.headers["webhook-signature"].startswith("v1,")
    body = payload_of(sent)
    assert body["type"] == "round.new" and sent.verified == body
    data = body["data"]
    assert data["round"]["venue"] == {"city": "Istanbul", "region": None, "country": "Turkey"}
    assert data["terms"][0]["key"] == "prisoners.exchange"
    assert set(data["articles"][0]) == {"title", "url", "source", "published"}
    assert data["summary"].startswith("New round: second round of Russia–Ukraine talks, Istanbul")
    [d] = deliveries(engine)
    assert (d.status, d.attempts) == ("delivered", 1)


def test_500_then_200_arrives_once_with_one_id(engine: Engine, receiver: WebhookReceiver,
                                               make_deliverer: MakeDeliverer) -> None:
    """Two failures, then success: one accepted delivery, the same webhook-id every time."""
    receiver.script = ["500", "500"]
    ids = put_alerts(engine, 1, {"ops": None})
    clock = Clock()
    run_until_settled(make_deliverer({"ops": hook(receiver.url)}, clock), clock)
    assert receiver.ids() == ids * 3
    assert list(receiver.accepted) == ids
    [d] = deliveries(engine)
    assert (d.status, d.attempts) == ("delivered", 3)
    assert "HTTP 500" in (d.last_error or "")


def test_receiver_down_then_up(engine: Engine, make_deliverer: MakeDeliverer) -> None:
    """Connection refused is retried; once the receiver listens the alert arrives once."""
    port = free_port()
    ids = put_alerts(engine, 2, {"ops": None})
    clock = Clock()
    deliverer = make_deliverer({"ops": hook(f"http://127.0.0.1:{port}/hook")}, clock)
    deliverer.run_once()
    assert {d.status for d in deliveries(engine)} == {"pending"}
    assert all("ConnectError" in (d.last_error or "") for d in deliveries(engine))
    receiver = WebhookReceiver(port=port)
    try:
        run_until_settled(deliverer, clock)
        assert sorted(receiver.accepted) == sorted(ids)
        assert len(receiver.requests) == 2
    finally:
        receiver.stop()


def test_slow_receiver_times_out_then_dedups(engine: Engine, receiver: WebhookReceiver,
                                             make_deliverer: MakeDeliverer) -> None:
    """A receiver slower than the timeout gets the same webhook-id again and keeps one copy."""
    receiver.script = ["slow:1.5"]
    ids = put_alerts(engine, 1, {"ops": None})
    clock = Clock()
    run_until_settled(make_deliverer({"ops": hook(receiver.url, timeout=0.5)}, clock), clock)
    [d] = deliveries(engine)
    assert (d.status, d.attempts) == ("delivered", 2)
    assert "timeout" in (d.last_error or "")
    assert list(receiver.accepted) == ids  # de-duplicated by webhook-id: seen once


def test_never_recovers_fails_visibly_and_retry_requeues(
        engine: Engine, receiver: WebhookReceiver, make_deliverer: MakeDeliverer,
        db_url: str, tmp_path: Path) -> None:
    """After max_attempts the delivery is failed with its error; `alerts retry` sends it again."""
    receiver.script = ["500"] * 4
    ids = put_alerts(engine, 1, {"ops": None})
    clock = Clock()
    deliverer = make_deliverer({"ops": hook(receiver.url)}, clock)
    run_until_settled(deliverer, clock)
    [d] = deliveries(engine)
    assert (d.status, d.attempts) == ("failed", 4)
    assert "HTTP 500" in (d.last_error or "")

    config = tmp_path / "monitor.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n')
    runner = CliRunner()
    listed = runner.invoke(app, ["--config", str(config), "alerts", "list", "--status", "failed",
                                 "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [(r["event_id"], r["status"], r["attempts"]) for r in rows] == [(ids[0], "failed", 4)]
    assert "HTTP 500" in rows[0]["last_error"]

    retried = runner.invoke(app, ["--config", str(config), "alerts", "retry", "--all-failed"])
    assert retried.exit_code == 0 and "1 deliveries queued again" in retried.output
    deliverer.clock = lambda: datetime.now(UTC) + timedelta(seconds=1)  # retry queued at real now
    deliverer.run_once()
    [d] = deliveries(engine)
    assert (d.status, d.attempts) == ("delivered", 1)
    assert list(receiver.accepted) == ids


def test_backoff_grows_capped_with_jitter() -> None:
    """Exponential from the base, never above the cap, jittered within its upper half."""
    import random

    rng = random.Random(1)
    base, cap = timedelta(seconds=30), timedelta(minutes=10)
    delays = [backoff(n, base, cap, rng).total_seconds() for n in range(1, 8)]
    for n, d in enumerate(delays, 1):
        full = min(600, 30 * 2 ** (n - 1))
        assert full / 2 <= d <= full
