"""`monitor reanalyze`: run the analysis again over stored articles and update the facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from monitor.events.resolve import Resolver
from monitor.events.stage import observation_of
from monitor.pipeline import AfterStore, AnalyzerLike
from monitor.store.db import session_scope
from monitor.store.facts import forget_article_facts
from monitor.store.reanalysis import article_ids_since, load_articles, save_analysis
from monitor.values import StoredArticle


@dataclass(frozen=True, slots=True)
class ReanalyzeReport:
    """What a reanalysis did."""

    articles: int
    changed: int
    events: int


def reanalyze(engine: Engine, analyzer: AnalyzerLike, resolver: Resolver, now: datetime,
              since: datetime | None = None, page: int = 200,
              stories: AfterStore | None = None) -> ReanalyzeReport:
    """Analyse articles again in time order; facts follow; only really new events are raised.

    With the stories stage, articles in no story that are now relevant are placed in one (a
    stage grouping only relevant articles skipped them when they were stored).
    """
    seen = changed = events = 0
    ids = article_ids_since(engine, since)
    for start in range(0, len(ids), page):
        batch = load_articles(engine, ids[start:start + page])
        with session_scope(engine) as s:
            observations = []
            unplaced: list[StoredArticle] = []
            for a in batch:
                result = analyzer.analyze_entry(a.entry, a.feed_url)
                if result.analysis != a.analysis:
                    changed += 1
                    save_analysis(s, a.id, result.relevant, result.score, result.analysis,
                                  result.version)
                if a.story_id is None and result.relevant:
                    unplaced.append(StoredArticle(a.id, a.feed_id, True, a.entry,
                                                  result.relevant, result.analysis))
                obs = observation_of(a.id, a.feed_id, a.entry.title, a.entry.url, a.entry.published,
                                     a.fetched,
                                     result.analysis if result.relevant else None)
                if obs is not None:
                    observations.append(obs)
            # Evidence is rebuilt from the new analyses; known rounds and terms stay, and
            # the outbox's unique keys keep events already raised from being raised again.
            if stories is not None and unplaced:
                stories(s, unplaced, now)
            forget_article_facts(s, [a.id for a in batch])
            events += len(resolver.apply(s, observations, now))
        seen += len(batch)
    return ReanalyzeReport(seen, changed, events)
