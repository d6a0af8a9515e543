"""`monitor alerts test`, `monitor deliver` and `monitor alerts list` as people run them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from monitor.cli import app
from tests.delivery.conftest import deliveries, put_alerts
from tests.delivery.receivers import SECRET, WebhookReceiver, payload_of


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A verifying receiver on loopback."""
    r = WebhookReceiver()
    yield r
    r.stop()


def _config(tmp_path: Path, db_url: str, url: str) -> str:
    """A store and one webhook channel."""
    path = tmp_path / "monitor.toml"
    path.write_text(f"""[database]
url = "{db_url}"

[alerts]
max_attempts = 2

[[alerts.channels]]
name = "ops"
type = "webhook"
url = "{url}"
secret_env = "TEST_WEBHOOK_SECRET"
events = ["round.new"]
""")
    return str(path)


def test_alerts_test_sends_a_signed_test(db_url: str, tmp_path: Path, receiver: WebhookReceiver,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The test alert reaches the channel, verifiable; an unknown channel is refused."""
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)
    config = _config(tmp_path, db_url, receiver.url)
    result = CliRunner().invoke(app, ["--config", config, "alerts", "test", "--channel", "ops"])
    assert result.exit_code == 0, result.output
    [got] = receiver.requests
    assert payload_of(got)["type"] == "test" and got.verified is not None
    bad = CliRunner().invoke(app, ["--config", config, "alerts", "test", "--channel", "nope"])
    assert bad.exit_code == 2 and "no channel 'nope'" in bad.output


def test_alerts_test_reports_a_dead_receiver(db_url: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed test send exits 1 with the reason."""
    from tests.delivery.receivers import free_port

    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)
    config = _config(tmp_path, db_url, f"http://127.0.0.1:{free_port()}/hook")
    result = CliRunner().invoke(app, ["--config", config, "alerts", "test", "--channel", "ops"])
    assert result.exit_code == 1 and "ConnectError" in result.output


def test_deliver_sends_the_outbox(db_url: str, engine: Engine, tmp_path: Path,
                                  receiver: WebhookReceiver,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`monitor deliver` drains due deliveries and says what it did."""
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)
    ids = put_alerts(engine, 2, {"ops": None}, now=datetime.now(UTC))
    config = _config(tmp_path, db_url, receiver.url)
    result = CliRunner().invoke(app, ["--config", config, "deliver"])
    assert result.exit_code == 0, result.output
    assert "2 delivered" in result.output
    assert sorted(receiver.accepted) == sorted(ids)
    assert {d.status for d in deliveries(engine)} == {"delivered"}
    listed = CliRunner().invoke(app, ["--config", config, "alerts", "list", "--status",
                                      "delivered", "--json"])
    assert len([json.loads(line) for line in listed.output.splitlines()]) == 2


def test_missing_secret_is_a_config_error(db_url: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable named by secret_env must be set; the error names it."""
    monkeypatch.delenv("TEST_WEBHOOK_SECRET", raising=False)
    from monitor.errors import ConfigError

    config = _config(tmp_path, db_url, "http://127.0.0.1:9/hook")
    result = CliRunner().invoke(app, ["--config", config, "deliver"])
    assert isinstance(result.exception, ConfigError)
    assert "TEST_WEBHOOK_SECRET" in str(result.exception)
