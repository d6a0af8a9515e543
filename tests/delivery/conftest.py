"""Stores with alerts in the outbox, and deliverers driven by a controllable clock."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from monitor.delivery.channel import Channel
from monitor.delivery.deliverer import Deliverer
from monitor.events.model import NewEvent
from monitor.settings import AlertSettings
from monitor.store.db import make_engine, session_scope
from monitor.store.facts import Route, add_event
from monitor.store.facts_models import Delivery

T0 = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
ALL = frozenset({"round.new", "round.updated", "terms.new"})


def round_payload(n: int = 1) -> dict[str, Any]:
    """A realistic round.new payload."""
    return {
        "round": {"id": n, "ordinal": 2, "venue": {"city": "Istanbul", "region": None,
                                                   "country": "Turkey"},
                  "date": "2025-06-02", "status": "concluded", "parties": ["RU", "UA"],
                  "outcome": "no ceasefire"},
        "terms": [{"key": "prisoners.exchange", "proposer": None, "stance": "agreed",
                   "count": 1000, "evidence": "agreed to swap 1,000 for 1,000"}],
        "articles": [{"title": f"Talks in Istanbul end ({n})", "url": f"https://news.example/{n}",
                      "source": "Example News", "published": "2025-06-02T15:00:00+00:00"}],
        "summary": "New round: second round of Russia–Ukraine talks, Istanbul, Turkey, "
                   f"2 June 2025, concluded without a ceasefire (#{n})",
    }


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move on."""
        self.now += delta


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A fresh store (both backends)."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def put_alerts(engine: Engine, n: int, channels: Mapping[str, timedelta | None],
               now: datetime = T0) -> list[str]:
    """Write n round.new events to the outbox, each routed to every channel."""
    routes = [Route(name, ALL, digest) for name, digest in channels.items()]
    ids = []
    with session_scope(engine) as s:
        for i in range(n):
            event_id = add_event(s, NewEvent("round.new", f"test:{i}", None, round_payload(i + 1)),
                                 now, routes)
            assert event_id is not None
            ids.append(event_id)
    return ids


def deliveries(engine: Engine) -> list[Delivery]:
    """Every delivery row."""
    with Session(engine) as s:
        return list(s.exec(select(Delivery).order_by(col(Delivery.id))))


def alert_settings(**kw: Any) -> AlertSettings:
    """Alert settings with quick retries."""
    return AlertSettings(**{"max_attempts": 4, "backoff_base": "10s", "backoff_cap": "1m",
                            "lease": "30s", **kw})


MakeDeliverer = Callable[..., Deliverer]


@pytest.fixture
def make_deliverer(engine: Engine) -> MakeDeliverer:
    """A deliverer on the store with the given channels and a hand-moved clock."""

    def make(channels: Mapping[str, Channel], clock: Clock | None = None, **kw: Any) -> Deliverer:
        return Deliverer(engine, channels, alert_settings(**kw), "tester", clock or Clock(),
                         random.Random(4))

    return make


def run_until_settled(deliverer: Deliverer, clock: Clock, passes: int = 20) -> None:
    """Run passes, moving the clock a minute after each, until nothing is pending."""
    for _ in range(passes):
        deliverer.run_once()
        if not any(d.status in ("pending", "sending") for d in deliveries(deliverer.engine)):
            return
        clock.advance(timedelta(minutes=1))
