"""Email through a real SMTP server (aiosmtpd): STARTTLS, SSL, plain; multipart; digests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from monitor.delivery.channel import build_channels
from monitor.errors import ConfigError
from monitor.settings import AlertSettings
from tests.delivery.conftest import Clock, MakeDeliverer, deliveries, put_alerts, run_until_settled
from tests.delivery.receivers import smtp_server

ENV = {"SMTP_USER": "desk", "SMTP_PASSWORD": "s3cret"}


def email_settings(port: int, security: str, ca: Path | None, **kw: Any) -> AlertSettings:
    """One email channel pointing at the test server, secrets named by variable."""
    return AlertSettings(channels=[{
        "name": "editors", "type": "email", "smtp_host": "127.0.0.1", "smtp_port": port,
        "security": security, "username_env": "SMTP_USER", "password_env": "SMTP_PASSWORD",
        "sender": "monitor@talks.example", "recipients": ["desk@talks.example"],
        "ca_file": str(ca) if ca else None, "timeout": 10, **kw}])


@pytest.mark.parametrize("security", ["starttls", "ssl", "none"])
def test_alert_arrives_by_smtp(security: str, engine: Engine, make_deliverer: MakeDeliverer,
                               tmp_path: Path) -> None:
    """Authenticated over TLS (or plain), multipart text + HTML, Message-ID from the event id."""
    [event_id] = put_alerts(engine, 1, {"editors": None})
    with smtp_server(security, tmp_path) as (mailbox, port, ca):
        channels = build_channels(email_settings(port, security, ca), ENV)
        make_deliverer(channels).run_once()
    [msg] = mailbox.messages
    assert mailbox.logins == ["desk"]
    assert msg["Message-ID"] == f"<{event_id}@talks.example>"
    assert str(msg["Subject"]).startswith("New round: second round of Russia–Ukraine talks")
    assert msg.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}  # type: ignore[attr-defined]
    assert "Istanbul" in parts["text/plain"] and "prisoners.exchange" in parts["text/plain"]
    assert '<a href="https://news.example/1">' in parts["text/html"]
    assert [d.status for d in deliveries(engine)] == ["delivered"]


def test_wrong_password_is_retried_then_failed(engine: Engine, make_deliverer: MakeDeliverer,
                                               tmp_path: Path) -> None:
    """An authentication error is a failed attempt; after max_attempts the delivery is failed."""
    put_alerts(engine, 1, {"editors": None})
    clock = Clock()
    with smtp_server("starttls", tmp_path) as (mailbox, port, ca):
        channels = build_channels(email_settings(port, "starttls", ca),
                                  {**ENV, "SMTP_PASSWORD": "wrong"})
        run_until_settled(make_deliverer(channels, clock, max_attempts=2), clock)
    [d] = deliveries(engine)
    assert (d.status, d.attempts) == ("failed", 2)
    assert "SMTPAuthenticationError" in (d.last_error or "")
    assert mailbox.messages == []


def test_digest_gathers_alerts_in_one_message(engine: Engine, make_deliverer: MakeDeliverer,
                                              tmp_path: Path) -> None:
    """A digest channel's deliveries wait for the digest delay and go out as one mail."""
    ids = put_alerts(engine, 3, {"editors": timedelta(hours=1)})
    clock = Clock()
    with smtp_server("none", tmp_path) as (mailbox, port, _):
        channels = build_channels(email_settings(port, "none", None, digest="1h"), ENV)
        deliverer = make_deliverer(channels, clock)
        deliverer.run_once()
        assert mailbox.messages == []  # not due yet
        clock.advance(timedelta(hours=1))
        deliverer.run_once()
    [msg] = mailbox.messages
    assert str(msg["Subject"]).startswith("3 alerts: ")
    assert sorted(msg["X-Monitor-Events"].split(",")) == sorted(ids)
    assert msg["Message-ID"].startswith("<digest-")
    assert {d.status for d in deliveries(engine)} == {"delivered"}


def test_missing_secret_variable_is_named() -> None:
    """A channel whose password variable is unset refuses to start, naming the variable."""
    with pytest.raises(ConfigError, match="SMTP_PASSWORD"):
        build_channels(email_settings(25, "none", None), {"SMTP_USER": "desk"})


def test_secret_in_config_file_is_refused() -> None:
    """Secrets go in the environment; the file only names the variable."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="password_env"):
        AlertSettings(channels=[{"name": "x", "type": "email", "smtp_host": "h", "sender": "a@b",
                                 "recipients": ["c@d"], "password": "hunter2"}])
