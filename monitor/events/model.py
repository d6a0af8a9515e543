"""Frozen values of the events stage: what articles say, what the store knows, what changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from monitor.analysis.model import Venue  # one Venue for analysis and facts

STATUS_RANK = {"announced": 0, "held": 1, "concluded": 2}


@dataclass(frozen=True, slots=True)
class Mention:
    """One article's report of a round (GUIDE §4 round object), with the article's date."""

    venue: Venue
    date: dt.date | None
    published: dt.date  # the article's date: the estimate when `date` is None
    status: str
    ordinal: int | None = None
    parties: tuple[str, ...] = ()
    outcome: str | None = None
    evidence: str = ""

    @property
    def effective_date(self) -> dt.date:
        """The date used for identity."""
        return self.date or self.published

    @property
    def estimated(self) -> bool:
        """True when the date is only the publication date."""
        return self.date is None


@dataclass(frozen=True, slots=True)
class TermSeen:
    """One article's statement of a term (GUIDE §4 term object)."""

    key: str
    proposer: str | None
    stance: str
    attributes: dict[str, Any] = field(default_factory=dict, hash=False)
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class Observation:
    """What one relevant stored article contributes to knowledge."""

    article_id: int
    feed_id: int
    title: str
    url: str | None
    published: datetime | None
    fetched: datetime
    rounds: tuple[Mention, ...]
    terms: tuple[TermSeen, ...]

    @property
    def when(self) -> datetime:
        """The article's time: published, else fetched."""
        return self.published or self.fetched


@dataclass(frozen=True, slots=True)
class RoundFact:
    """A round as the store knows it."""

    id: int
    ordinal: int | None
    venue: Venue
    start_date: date
    date_estimated: bool
    status: str
    parties: tuple[str, ...]
    outcome: str | None

    def to_json(self) -> dict[str, Any]:
        """The webhook's round object."""
        return {"id": self.id, "ordinal": self.ordinal, "venue": self.venue.to_json(),
                "date": self.start_date.isoformat(), "date_estimated": self.date_estimated,
                "status": self.status, "parties": list(self.parties), "outcome": self.outcome}


@dataclass(frozen=True, slots=True)
class TermFact:
    """A term as the store knows it."""

    id: int
    key: str
    proposer: str | None
    round_id: int | None
    stance: str
    attributes: dict[str, Any] = field(default_factory=dict, hash=False)
    evidence: str = ""

    def to_json(self) -> dict[str, Any]:
        """GUIDE §4 term shape."""
        return {"key": self.key, "proposer": self.proposer, "stance": self.stance,
                **self.attributes, "evidence": self.evidence}


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """An evidence article as an alert shows it."""

    title: str
    url: str | None
    source: str | None
    published: datetime | None
    outlets: tuple[str, ...] = ()  # every outlet that carried this article's story

    def to_json(self) -> dict[str, Any]:
        """The webhook's article object."""
        return {"title": self.title, "url": self.url, "source": self.source,
                "published": self.published.isoformat() if self.published else None,
                "outlets": list(self.outlets)}


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to put in the outbox."""

    type: str
    dedup_key: str
    round_id: int | None
    payload: dict[str, Any] = field(hash=False)
    alerted: bool = True
