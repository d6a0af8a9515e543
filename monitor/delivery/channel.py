"""Delivery channels: one small interface, one module per transport, built from settings."""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import timedelta

from monitor.errors import ConfigError, MonitorError
from monitor.settings import AlertSettings, EmailChannelSettings, WebhookChannelSettings
from monitor.store.outbox import Alert


class DeliveryError(MonitorError):
    """One attempt to send failed; the deliverer retries it later or gives up."""


def alert_body(alert: Alert) -> str:
    """The JSON body every channel carries: {"type", "timestamp", "data"}; the same on retries."""
    return json.dumps({"type": alert.type, "timestamp": alert.created_at.isoformat(),
                       "data": alert.payload}, ensure_ascii=False, separators=(",", ":"))


class Channel(ABC):
    """Somewhere alerts go."""

    name: str
    # When set, the deliverer hands this channel all its due alerts in one call (a digest).
    digest: timedelta | None = None

    @abstractmethod
    def send(self, alerts: Sequence[Alert]) -> None:
        """Send alerts (one, or a digest); raise DeliveryError when it did not work."""

    def close(self) -> None:  # noqa: B027  (most channels hold nothing open)
        """Release connections."""


def _secret(env: Mapping[str, str], var: str | None, channel: str, what: str) -> str | None:
    """A secret from the environment variable named in the config."""
    if var is None:
        return None
    value = env.get(var)
    if not value:
        raise ConfigError(f"alerts.channels {channel!r}: environment variable {var} ({what}) "
                          "is not set")
    return value


def build_channels(settings: AlertSettings,
                   env: Mapping[str, str] | None = None) -> dict[str, Channel]:
    """The configured channels with their secrets read from the environment."""
    from monitor.delivery.email import EmailChannel
    from monitor.delivery.webhook import WebhookChannel

    env = os.environ if env is None else env
    out: dict[str, Channel] = {}
    for cfg in settings.channels:
        if isinstance(cfg, WebhookChannelSettings):
            secret = _secret(env, cfg.secret_env, cfg.name, "webhook secret")
            assert secret is not None
            out[cfg.name] = WebhookChannel(cfg.name, cfg.url, secret, timeout=cfg.timeout)
        elif isinstance(cfg, EmailChannelSettings):
            out[cfg.name] = EmailChannel(
                cfg, username=_secret(env, cfg.username_env, cfg.name, "SMTP user"),
                password=_secret(env, cfg.password_env, cfg.name, "SMTP password"))
    return out
