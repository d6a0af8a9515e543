"""The after-store stage: relevant stored articles → facts and outbox, in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from monitor.events.model import STATUS_RANK, Mention, Observation, TermSeen, Venue
from monitor.events.resolve import Resolver
from monitor.settings import Settings
from monitor.store.facts import Route
from monitor.values import StoredArticle

log = logging.getLogger("monitor.events")

_TERM_FIELDS = {"key", "proposer", "stance", "evidence"}


def routes_of(settings: Settings) -> list[Route]:
    """The configured channels as the outbox needs them."""
    return [Route(c.name, frozenset(c.events), getattr(c, "digest", None))
            for c in settings.alerts.channels]


def _date(value: Any) -> date | None:
    """An ISO date from the analysis, None when missing or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _str(value: Any) -> str | None:
    """A non-empty string or None."""
    return value.strip() or None if isinstance(value, str) else None


def mention_of(data: dict[str, Any], published: date) -> Mention:
    """A GUIDE §4 round object as a Mention."""
    venue = data.get("venue") or {}
    status = data.get("status")
    ordinal = data.get("ordinal")
    return Mention(
        venue=Venue(_str(venue.get("city")), _str(venue.get("region")), _str(venue.get("country"))),
        date=_date(data.get("date")), published=published,
        # An unknown status is read as "held": it neither announces nor concludes anything.
        status=status if status in STATUS_RANK else "held",
        ordinal=ordinal if isinstance(ordinal, int) and not isinstance(ordinal, bool) else None,
        parties=tuple(sorted({p for p in data.get("parties") or () if isinstance(p, str)})),
        outcome=_str(data.get("outcome")), evidence=_str(data.get("evidence")) or "")


def term_of(data: dict[str, Any]) -> TermSeen | None:
    """A GUIDE §4 term object as a TermSeen; None without a key."""
    key = _str(data.get("key"))
    if key is None:
        return None
    attributes = {k: v for k, v in data.items() if k not in _TERM_FIELDS and v is not None}
    return TermSeen(key, _str(data.get("proposer")), _str(data.get("stance")) or "discussed",
                    attributes, _str(data.get("evidence")) or "")


def observation_of(article_id: int, feed_id: int, title: str, url: str | None,
                   published: datetime | None, fetched: datetime,
                   analysis: dict[str, Any] | None) -> Observation | None:
    """What a relevant article's analysis says, None when it says nothing."""
    if not analysis or not analysis.get("relevant", True):
        return None
    day = (published or fetched).date()
    rounds = tuple(mention_of(r, day) for r in analysis.get("rounds") or () if isinstance(r, dict))
    terms = tuple(t for t in (term_of(d) for d in analysis.get("terms") or ()
                              if isinstance(d, dict)) if t is not None)
    if not rounds and not terms:
        return None
    return Observation(article_id, feed_id, title, url, published, fetched, rounds, terms)


class EventsStage:
    """Pipeline hook: record the facts of what was stored and write their events."""

    def __init__(self, settings: Settings) -> None:
        self.resolver = Resolver(routes_of(settings), settings.alerts.max_age)

    def __call__(self, s: Session, stored: Sequence[StoredArticle], now: datetime) -> None:
        """Runs inside the storing transaction."""
        observations = [o for o in (
            observation_of(a.id, a.feed_id, a.entry.title, a.entry.url, a.entry.published, now,
                           a.analysis)
            for a in stored if a.relevant) if o is not None]
        if observations:
            ids = self.resolver.apply(s, observations, now)
            if ids:
                log.info("events: %d new from %d articles", len(ids), len(observations))
