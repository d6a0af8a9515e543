"""Prometheus metrics: counters the stages bump, gauges read from the store at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)

POLLS = Counter("monitor_polls", "Feed polls by outcome", ["outcome"], registry=REGISTRY)
FETCH_SECONDS = Histogram(
    "monitor_fetch_seconds", "Wall time of one fetch", registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ARTICLES = Counter("monitor_articles_stored", "New articles stored", registry=REGISTRY)
EVENTS = Counter("monitor_events", "Events written to the outbox", ["type"], registry=REGISTRY)
DELIVERIES = Counter("monitor_deliveries", "Delivery attempts by outcome", ["channel", "outcome"],
                     registry=REGISTRY)
LEASE_TAKEOVERS = Counter("monitor_lease_takeovers",
                          "Leases taken over after another daemon's expired", ["kind"],
                          registry=REGISTRY)


class StoreGauges(Collector):
    """Queue depths read from the database when scraped, so every daemon reports the truth."""

    def __init__(self, read: Callable[[], dict[str, int]]) -> None:
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One gauge family, a sample per queue."""
        family = GaugeMetricFamily("monitor_queue_depth", "Work waiting in the store",
                                   labels=["queue"])
        try:
            depths = self.read()
        except Exception:  # a scrape must not fail because the database blinked
            depths = {}
        for queue, depth in sorted(depths.items()):
            family.add_metric([queue], depth)
        yield family


_gauges: StoreGauges | None = None


def register_store_gauges(read: Callable[[], dict[str, int]]) -> None:
    """Install (or replace) the store-backed gauges."""
    global _gauges
    if _gauges is not None:
        REGISTRY.unregister(_gauges)
    _gauges = StoreGauges(read)
    REGISTRY.register(_gauges)


def exposition() -> tuple[bytes, str]:
    """The text exposition format and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
