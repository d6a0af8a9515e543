"""Frozen values that enter and leave the analysis stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Item:
    """One feed entry as the analyzer sees it."""

    id: str | None
    title: str
    summary: str
    content: str
    url: str | None
    published: datetime | None
    source: str | None


@dataclass(frozen=True)
class Venue:
    """Where a round takes place, in English exonyms; any part may be unknown."""

    city: str | None = None
    region: str | None = None
    country: str | None = None

    def is_known(self) -> bool:
        """True when at least one part of the venue is known."""
        return any((self.city, self.region, self.country))

    def to_json(self) -> dict[str, str | None]:
        """The GUIDE section 4 venue object."""
        return {"city": self.city, "region": self.region, "country": self.country}


@dataclass(frozen=True)
class RoundMention:
    """An item's report of one negotiation round."""

    ordinal: int | None
    venue: Venue
    date: date | None
    status: str
    parties: tuple[str, ...]
    outcome: str | None
    evidence: str

    def to_json(self) -> dict[str, Any]:
        """The GUIDE section 4 round object."""
        return {
            "ordinal": self.ordinal,
            "venue": self.venue.to_json(),
            "date": self.date.isoformat() if self.date else None,
            "status": self.status,
            "parties": list(self.parties),
            "outcome": self.outcome,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class TermMention:
    """A ceasefire or settlement term stated in an item."""

    key: str
    proposer: str | None
    stance: str
    duration_days: int | None
    count: int | None
    name: str | None
    evidence: str

    def to_json(self) -> dict[str, Any]:
        """The GUIDE section 4 term object."""
        return {
            "key": self.key,
            "proposer": self.proposer,
            "stance": self.stance,
            "duration_days": self.duration_days,
            "count": self.count,
            "name": self.name,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Analysis:
    """The analyzer's verdict on one item."""

    relevant: bool
    score: float
    rounds: tuple[RoundMention, ...] = ()
    terms: tuple[TermMention, ...] = ()

    def to_json(self, id: str | None) -> dict[str, Any]:
        """The GUIDE section 4 output line for the item `id`."""
        return {
            "id": id,
            "relevant": self.relevant,
            "score": round(self.score, 3),
            "rounds": [r.to_json() for r in self.rounds],
            "terms": [t.to_json() for t in self.terms],
        }
