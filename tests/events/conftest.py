"""A store with a feed, and quick ways to add analysed articles and apply them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from monitor.events.model import Observation
from monitor.events.resolve import Resolver
from monitor.events.stage import observation_of
from monitor.store.db import make_engine, session_scope
from monitor.store.facts import Route
from monitor.store.facts_models import Delivery, Event, Round
from monitor.store.models import Article, Feed

NOW = datetime(2022, 3, 1, 12, 0, tzinfo=UTC)
_seq = itertools.count()


def rnd(city: str | None = None, country: str | None = None, date: str | None = None,
        status: str = "held", ordinal: int | None = None, region: str | None = None,
        outcome: str | None = None, parties: Sequence[str] = ("RU", "UA")) -> dict[str, Any]:
    """A GUIDE §4 round object."""
    return {"ordinal": ordinal, "venue": {"city": city, "region": region, "country": country},
            "date": date, "status": status, "parties": list(parties), "outcome": outcome,
            "evidence": f"talks in {city or region or country}"}


def term(key: str, proposer: str | None = "UA", stance: str = "proposed",
         **attrs: Any) -> dict[str, Any]:
    """A GUIDE §4 term object."""
    return {"key": key, "proposer": proposer, "stance": stance, "evidence": f"{key} said",
            **attrs}


@dataclass
class Facts:
    """A fresh store with one feed; adds articles and applies their analyses."""

    engine: Engine
    feed_id: int
    routes: Sequence[Route] = (Route("hook", frozenset({"round.new", "round.updated",
                                                        "terms.new"})),)
    max_age: timedelta = timedelta(days=2)

    def article(self, published: datetime, rounds: Sequence[dict[str, Any]] = (),
                terms: Sequence[dict[str, Any]] = (), title: str = "talks") -> Observation:
        """Store an article with this analysis and return its observation."""
        n = next(_seq)
        analysis = {"relevant": True, "score": 0.9, "rounds": list(rounds), "terms": list(terms)}
        with session_scope(self.engine) as s:
            article_id = s.execute(insert(Article).values(
                feed_id=self.feed_id, url=f"https://news.example/{n}", title=title, summary="",
                content="",
                published_at=published, fetched_at=published, content_hash=f"h{n}",
                relevant=True, analysis=analysis).returning(col(Article.id))).scalar_one()
        obs = observation_of(article_id, self.feed_id, title, f"https://news.example/{n}",
                             published, published, analysis)
        assert obs is not None
        return obs

    def apply(self, observations: Sequence[Observation], now: datetime = NOW) -> list[str]:
        """Run the resolver in one transaction."""
        with session_scope(self.engine) as s:
            return Resolver(self.routes, self.max_age).apply(s, observations, now)

    def rounds(self) -> list[Round]:
        """Every round, by id."""
        with Session(self.engine) as s:
            return list(s.exec(select(Round).order_by(col(Round.id))))

    def events(self, type_: str | None = None) -> list[Event]:
        """Events in order of creation."""
        with Session(self.engine) as s:
            stmt = select(Event).order_by(col(Event.seq))
            if type_:
                stmt = stmt.where(Event.type == type_)
            return list(s.exec(stmt))

    def deliveries(self) -> list[Delivery]:
        """Every delivery."""
        with Session(self.engine) as s:
            return list(s.exec(select(Delivery).order_by(col(Delivery.id))))


@pytest.fixture
def facts(db_url: str) -> Iterator[Facts]:
    """A Facts helper on a fresh store (both backends)."""
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        feed = Feed(url="https://news.example/rss", name="Example News", created_at=NOW)
        s.add(feed)
        s.flush()
        assert feed.id is not None
        feed_id = feed.id
    yield Facts(engine, feed_id)
    engine.dispose()
