"""Webhooks per the Standard Webhooks specification: signed, with a webhook-id stable across retries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from monitor.delivery.channel import Channel, DeliveryError, alert_body
from monitor.errors import ConfigError
from monitor.store.outbox import Alert

USER_AGENT = "talks-monitor/0.1 (webhook)"


def _now() -> datetime:
    """Signing time: the receiver checks it against its own clock, so always the real one."""
    return datetime.now(UTC)


class WebhookChannel(Channel):
    """POSTs each alert as JSON, signed with the channel's whsec_… secret."""

    def __init__(self, name: str, url: str, secret: str, *, timeout: float = 10.0,
                 client: httpx.Client | None = None, clock: Callable[[], datetime] = _now) -> None:
        self.name, self.url, self.timeout, self.clock = name, url, timeout, clock
        try:
            self.signer = Webhook(secret)
        except Exception as exc:
            raise ConfigError(f"alerts.channels {name!r}: the webhook secret is not a valid "
                              f"whsec_… base64 secret: {exc}") from None
        self.client = client or httpx.Client(follow_redirects=False,
                                             headers={"User-Agent": USER_AGENT})

    def headers(self, alert: Alert, body: str) -> dict[str, str]:
        """The three Standard Webhooks headers for one attempt."""
        at = self.clock()
        return {"webhook-id": alert.id, "webhook-timestamp": str(int(at.timestamp())),
                "webhook-signature": self.signer.sign(alert.id, at, body),
                "content-type": "application/json"}

    def send(self, alerts: Sequence[Alert]) -> None:
        """POST each alert; any answer but 2xx is a failed attempt."""
        for alert in alerts:
            body = alert_body(alert)
            try:
                response = self.client.post(self.url, content=body.encode(),
                                            headers=self.headers(alert, body),
                                            timeout=self.timeout)
            except httpx.TimeoutException as exc:
                raise DeliveryError(f"webhook {self.name}: timeout after {self.timeout:g}s "
                                    f"({type(exc).__name__})") from None
            except httpx.HTTPError as exc:
                raise DeliveryError(f"webhook {self.name}: {type(exc).__name__}: {exc}") from None
            if not response.is_success:
                raise DeliveryError(f"webhook {self.name}: HTTP {response.status_code}: "
                                    f"{response.text[:200]}")

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()
