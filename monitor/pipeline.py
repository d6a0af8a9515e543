"""One feed end to end: fetch → parse → dedup → analyze → store → schedule the next check."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from monitor import metrics
from monitor.parser import parse_feed
from monitor.schedule import next_check
from monitor.settings import Settings
from monitor.store.articles import Analysed, StoredArticle, known_keys, store_entries
from monitor.store.db import session_scope
from monitor.store.feeds import record_outcome
from monitor.values import Entry, FeedRef, FetchResult, ParsedFeed, PollReport

log = logging.getLogger("monitor.pipeline")

Clock = Callable[[], datetime]
# Called inside the storing transaction with what was new, so later stages (events, stories)
# commit atomically with the articles that caused them.
AfterStore = Callable[[Session, Sequence[StoredArticle], datetime], None]


class AnalyzerLike(Protocol):
    """What the pipeline needs of the analysis stage."""

    version: str

    def analyze_entry(self, entry: Entry, source: str | None) -> Analysed:
        """Analyse one entry."""
        ...


class FetcherLike(Protocol):
    """What the pipeline needs of the fetcher."""

    async def fetch(self, feed: FeedRef, extra_headers: dict[str, str] | None = None) -> FetchResult:
        """Fetch one feed."""
        ...


def utcnow() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def make_parse_pool(workers: int) -> Executor:
    """Processes for parsing so both cores work; one worker means a plain thread."""
    if workers == 0:
        workers = max(1, (os.cpu_count() or 2))
    if workers == 1:
        return ThreadPoolExecutor(1, thread_name_prefix="parse")
    # spawn, not fork: the daemon has threads (scheduler, DB) that fork would copy half-alive.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


@dataclass
class Pipeline:
    """Polls feeds; holds the executors and collaborators, no per-feed state."""

    engine: Engine
    settings: Settings
    fetcher: FetcherLike
    owner: str
    analyzer: AnalyzerLike | None = None
    parse_pool: Executor | None = None
    db_pool: Executor | None = None
    clock: Clock = utcnow
    after_store: Sequence[AfterStore] = ()

    def __post_init__(self) -> None:
        """Default executors: one parser thread, one DB writer thread."""
        self.parse_pool = self.parse_pool or ThreadPoolExecutor(1, thread_name_prefix="parse")
        self.db_pool = self.db_pool or ThreadPoolExecutor(1, thread_name_prefix="store")

    async def _in(self, pool: Executor | None, fn: Callable[..., Any], *args: Any) -> Any:
        """Run blocking work off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    async def poll(self, feed: FeedRef, headers: dict[str, str] | None = None) -> PollReport:
        """Poll one leased feed and record everything about it; never raises for feed faults."""
        result = await self.fetcher.fetch(feed, {**dict(feed.headers), **(headers or {})})
        parsed: ParsedFeed | None = None
        if result.kind == "ok" and result.body is not None:
            try:
                parsed = await self._in(self.parse_pool, parse_feed, result.body, feed.url,
                                        result.content_type)
            except Exception as exc:  # a dead worker process must not stop the poll loop
                parsed = ParsedFeed(None, None, None, (), error=f"parse: worker failed: {exc!r}")
            if parsed is not None and parsed.error:
                result = replace(result, kind="not_a_feed", error=parsed.error, body=None)
                parsed = None
        if result.body is not None:
            result = replace(result, body=None)  # drop the bytes before the long await
        try:
            report: PollReport = await self._in(self.db_pool, self._save, feed, result, parsed)
        except Exception as exc:
            log.exception("store: saving poll of feed %s (%s) failed", feed.id, feed.url,
                          extra={"feed_id": feed.id, "url": feed.url, "stage": "store"})
            report = PollReport(feed.id, feed.url, "store_error", error=f"store: {exc}")
        metrics.POLLS.labels(report.outcome).inc()
        metrics.FETCH_SECONDS.observe(result.elapsed)
        metrics.ARTICLES.inc(report.new_articles)
        return report

    def _save(self, feed: FeedRef, result: FetchResult, parsed: ParsedFeed | None) -> PollReport:
        """Dedup, analyse and store in one transaction, with the feed's new state."""
        now = self.clock()
        entries = parsed.entries if parsed else ()
        known = known_keys(self.engine, feed.id, (e.item_key for e in entries)) if entries else {}
        todo = [e for e in entries if known.get(e.item_key) != e.content_hash]
        items = [self._analyse(e, feed.url) for e in todo]
        errors = feed.error_count + 1 if result.failed else 0
        when = next_check(now, result, self.settings.fetch, interval_seconds=feed.interval_seconds,
                          error_count=errors, ttl_seconds=parsed.ttl_seconds if parsed else None)
        with session_scope(self.engine) as s:
            stored = store_entries(s, feed.id, items, now, known) if items else []
            created = [a for a in stored if a.created]
            if stored:
                for hook in self.after_store:
                    hook(s, stored, now)
            record_outcome(
                s, feed.id, self.owner, result, now=now, next_check_at=when,
                moved_after=self.settings.fetch.moved_after,
                ttl_warning=parsed.warning if parsed else None,
                title=parsed.title if parsed else None, site_url=parsed.link if parsed else None,
                new_articles=len(created),
            )
        if result.failed:
            stage = "parse" if result.kind == "not_a_feed" else "fetch"
            log.warning("%s: feed %s %s: %s", stage, feed.id, feed.url, result.error,
                        extra={"feed_id": feed.id, "url": feed.url, "stage": stage})
        return PollReport(feed.id, feed.url, result.kind, new_articles=len(created),
                          updated_articles=len(stored) - len(created), error=result.error,
                          new_article_ids=tuple(a.id for a in created))

    def _analyse(self, entry: Entry, source: str) -> Analysed:
        """Analysis of one entry, or a bare record when no analyzer is configured."""
        if self.analyzer is None:
            return Analysed(entry)
        try:
            return self.analyzer.analyze_entry(entry, source)
        except Exception:  # a rule that trips on odd text must not lose the article
            log.exception("analyze: entry %s of %s failed; stored unanalysed", entry.item_key,
                          source, extra={"url": source, "stage": "analyze"})
            return Analysed(entry)

    def close(self) -> None:
        """Stop the executors."""
        for pool in (self.parse_pool, self.db_pool):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)


class AnalysisStage:
    """Adapts the analysis package to entries: builds its Item, keeps the JSON to store."""

    def __init__(self, analyzer: Any) -> None:
        self.analyzer = analyzer
        self.version: str = analyzer.version

    def analyze_entry(self, entry: Entry, source: str | None) -> Analysed:
        """Analyse one entry into what the store keeps."""
        from monitor.analysis import Item

        item = Item(id=None, title=entry.title, summary=entry.summary, content=entry.content,
                    url=entry.url, published=entry.published, source=source)
        result = self.analyzer.analyze(item)
        data = result.to_json(None)
        data.pop("id", None)
        return Analysed(entry, result.relevant, result.score, data, self.version)

