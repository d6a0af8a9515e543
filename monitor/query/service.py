"""The one entry point of the query side: the CLI, the API, the web page and Atom all call it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlmodel import Session

from monitor.query import articles, facts, feeds
from monitor.query.articles import ArticleQuery
from monitor.query.errors import QueryError, StoreUnavailable
from monitor.query.session import Limits, open_engine, read_session
from monitor.query.values import (
    AlertRow,
    ArticleDetail,
    ArticleHit,
    FeedHealth,
    Page,
    RoundBrief,
    RoundDetail,
    TermRow,
)
from monitor.store.db import current_revision, head_revision
from monitor.store.feeds import HealthRule

R = TypeVar("R")


class QueryService:
    """Read-only queries on one store, each in its own session under the limits."""

    def __init__(self, url: str, limits: Limits | None = None, engine: Engine | None = None,
                 health: HealthRule | None = None) -> None:
        self.url = url
        self.limits = limits or Limits()
        self.health = health or HealthRule()
        self.engine = engine or open_engine(url)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def _run(self, fn: Callable[[Session], R]) -> R:
        """Run one query function in a read-only, time-limited session."""
        with read_session(self.engine, self.limits) as s:
            return fn(s)

    def search(self, q: ArticleQuery) -> Page[ArticleHit]:
        """Articles matching a query and filters, one page."""
        return self._run(lambda s: articles.search_articles(s, q, self.limits))

    def article(self, article_id: int) -> ArticleDetail:
        """One article."""
        return self._run(lambda s: articles.get_article(s, article_id))

    def rounds(self, *, status: str | None = None, since: date | None = None,
               until: date | None = None) -> Page[RoundBrief]:
        """Rounds, newest first."""
        return self._run(lambda s: facts.list_rounds(s, self.limits, status=status, since=since,
                                                     until=until))

    def round(self, round_id: int) -> RoundDetail:
        """One round with its articles, terms and status history."""
        return self._run(lambda s: facts.get_round(s, round_id, self.limits))

    def terms(self, *, key: str | None = None, proposer: str | None = None,
              round_id: int | None = None) -> Page[TermRow]:
        """Terms by key, proposer and round."""
        return self._run(lambda s: facts.list_terms(s, self.limits, key=key, proposer=proposer,
                                                    round_id=round_id))

    def feeds(self) -> Page[FeedHealth]:
        """Feeds with their health."""
        return self._run(lambda s: feeds.list_feeds(s, self.limits, self.health))

    def alerts(self, *, status: str | None = None, type_: str | None = None) -> Page[AlertRow]:
        """Events with their delivery state."""
        return self._run(lambda s: facts.list_alerts(s, self.limits, status=status, type_=type_))

    def events(self, limit: int = 50) -> list[AlertRow]:
        """The newest events, for the Atom feed."""
        return self._run(lambda s: facts.recent_events(s, min(limit, self.limits.max_rows)))

    def timeline(self) -> list[tuple[RoundBrief, list[TermRow]]]:
        """Rounds, newest first, each with its terms: the web page's timeline."""

        def go(s: Session) -> list[tuple[RoundBrief, list[TermRow]]]:
            rounds = facts.list_rounds(s, self.limits).items
            terms = facts.list_terms(s, self.limits).items
            by_round: dict[int, list[TermRow]] = {}
            for t in terms:
                if t.round_id is not None:
                    by_round.setdefault(t.round_id, []).append(t)
            return [(r, sorted(by_round.get(r.id, []), key=lambda t: (t.key, t.proposer or "")))
                    for r in rounds]

        return self._run(go)

    def readiness(self) -> dict[str, Any]:
        """Is the database reachable and its schema at head."""
        checks: dict[str, Any] = {}
        try:
            self._run(lambda s: s.execute(text("SELECT 1")).scalar())
            checks["database"] = "ok"
        except QueryError as exc:
            checks["database"] = str(exc)
            checks["schema"] = "unknown"
            return checks
        try:
            current, head = current_revision(self.engine), head_revision()
        except Exception as exc:
            raise StoreUnavailable(f"query: cannot read the schema version: {exc}") from None
        checks["schema"] = "ok" if current == head else f"at {current or 'nothing'}, head is {head}"
        return checks
