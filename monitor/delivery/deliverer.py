"""The deliverer: claims due deliveries with leases, sends them, retries with backoff and jitter."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from monitor import metrics
from monitor.delivery.channel import Channel, DeliveryError
from monitor.settings import AlertSettings
from monitor.store.outbox import Claimed, claim_deliveries, mark_attempt_failed, mark_delivered

log = logging.getLogger("monitor.delivery")


def backoff(attempts: int, base: timedelta, cap: timedelta, rng: random.Random) -> timedelta:
    """Exponential delay after `attempts` failures, capped, with jitter in its upper half."""
    delay = min(cap.total_seconds(), base.total_seconds() * 2 ** max(0, attempts - 1))
    # Jitter spreads retries of many deliveries that failed together (a receiver outage).
    return timedelta(seconds=delay * (0.5 + rng.random() / 2))


@dataclass
class DeliveryReport:
    """What one pass did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def add(self, other: DeliveryReport) -> None:
        """Accumulate."""
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed

    @property
    def total(self) -> int:
        """Deliveries handled."""
        return self.delivered + self.retrying + self.failed


def _utcnow() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class Deliverer:
    """Sends the outbox through the configured channels."""

    engine: Engine
    channels: Mapping[str, Channel]
    settings: AlertSettings
    owner: str
    clock: Callable[[], datetime] = _utcnow
    rng: random.Random = field(default_factory=random.Random)

    def run_once(self) -> DeliveryReport:
        """Claim one batch of due deliveries and send it."""
        now = self.clock()
        claimed = claim_deliveries(self.engine, self.owner, now, self.settings.lease,
                                   limit=self.settings.batch)
        report = DeliveryReport()
        by_channel: dict[str, list[Claimed]] = defaultdict(list)
        for c in claimed:
            by_channel[c.channel].append(c)
        for name, items in by_channel.items():
            channel = self.channels.get(name)
            if channel is None:
                for c in items:
                    report.add(self._failed(c, f"channel {name!r} is not configured", final=True))
                continue
            groups = [items] if channel.digest else [[c] for c in items]
            for group in groups:
                report.add(self._send(channel, group))
        return report

    def _send(self, channel: Channel, group: Sequence[Claimed]) -> DeliveryReport:
        """One call to the channel; its outcome recorded on every delivery in the group."""
        try:
            channel.send([c.alert for c in group])
        except DeliveryError as exc:
            return self._failed_all(group, str(exc))
        except Exception as exc:  # a bug in a channel must not stop the others
            log.exception("delivery: channel %s crashed", channel.name)
            return self._failed_all(group, f"{type(exc).__name__}: {exc}")
        mark_delivered(self.engine, [c.delivery_id for c in group], self.owner, self.clock())
        metrics.DELIVERIES.labels(channel.name, "delivered").inc(len(group))
        for c in group:
            log.info("delivery: %s %s → %s delivered (attempt %d)", c.alert.type, c.alert.id,
                     c.channel, c.attempts)
        return DeliveryReport(delivered=len(group))

    def _failed_all(self, group: Sequence[Claimed], error: str) -> DeliveryReport:
        """Record a failed attempt on each delivery of a group."""
        report = DeliveryReport()
        for c in group:
            report.add(self._failed(c, error))
        return report

    def _failed(self, c: Claimed, error: str, final: bool = False) -> DeliveryReport:
        """Schedule the next attempt, or give up after max_attempts."""
        if final or c.attempts >= self.settings.max_attempts:
            mark_attempt_failed(self.engine, c.delivery_id, self.owner, error, None)
            metrics.DELIVERIES.labels(c.channel, "failed").inc()
            log.error("delivery: %s %s → %s failed for good after %d attempts: %s",
                      c.alert.type, c.alert.id, c.channel, c.attempts, error)
            return DeliveryReport(failed=1)
        delay = backoff(c.attempts, self.settings.backoff_base, self.settings.backoff_cap, self.rng)
        mark_attempt_failed(self.engine, c.delivery_id, self.owner, error, self.clock() + delay)
        metrics.DELIVERIES.labels(c.channel, "retrying").inc()
        log.warning("delivery: %s %s → %s attempt %d failed, retry in %.0fs: %s", c.alert.type,
                    c.alert.id, c.channel, c.attempts, delay.total_seconds(), error)
        return DeliveryReport(retrying=1)

    def drain(self, max_passes: int = 100) -> DeliveryReport:
        """Run passes until nothing is due (or `max_passes`, so one job never runs forever)."""
        total = DeliveryReport()
        for _ in range(max_passes):
            report = self.run_once()
            total.add(report)
            if report.total == 0:
                break
        return total

    async def job(self) -> None:
        """The daemon's periodic job: drain the outbox off the event loop."""
        report = await asyncio.to_thread(self.drain)
        if report.total:
            log.info("delivery: %d delivered, %d to retry, %d failed", report.delivered,
                     report.retrying, report.failed)

    def close(self) -> None:
        """Close the channels."""
        for channel in self.channels.values():
            channel.close()
