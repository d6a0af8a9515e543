"""One feed end to end: fetch → parse → dedup → analyze → store → schedule the next check."""

from __future__ import annotations

import asyncio
import collections
import importlib.machinery
import json
import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import astuple, dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, Engine

from monitor import metrics
from monitor.schedule import next_check
from monitor.settings import Settings
from monitor.store.db import session_scope
from monitor.store.polling import is_quiet, record_quiet
from monitor.values import Analysed, Entry, FeedRef, FetchResult, ParsedFeed, PollReport, StoredArticle
from monitor.worker import (
    PRELOAD_ENV,
    Done,
    analyse_entries,
    parse_and_analyse,
    parse_feed,
    serve,
    verdict,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from monitor.stories.fingerprint import Shape

log = logging.getLogger("monitor.pipeline")

Clock = Callable[[], datetime]
# Called inside the storing transaction with what was new, so later stages (events, stories)
# commit atomically with the articles that caused them.
AfterStore = Callable[["Session", Sequence[StoredArticle], datetime], None]


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


def make_parse_pool(workers: int, settings: Settings | None = None) -> Executor:
    """Processes for parsing so both cores work; one worker means a plain thread.

    The processes start on the first parse (a poll of 304s starts none). With the settings,
    their server loads the analysis vocabulary and the stories' hash tables once, and the
    workers share them instead of building a copy each.
    """
    if workers == 0:
        workers = max(1, (os.cpu_count() or 2))
    if workers == 1:
        return ThreadPoolExecutor(1, thread_name_prefix="parse")
    return ProcessPool(workers, settings)


class ProcessPool(Executor):
    """A ProcessPoolExecutor made on first use, its workers forked from a preloaded server."""

    def __init__(self, workers: int, settings: Settings | None) -> None:
        self.workers = workers
        self.settings = settings
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _start(self) -> ProcessPoolExecutor:
        """The pool, made now if it is not yet."""
        with self._lock:
            if self._pool is None:
                self._pool = _process_pool(self.workers, self.settings)
            return self._pool

    @property
    def started(self) -> bool:
        """Whether the worker processes exist (they start on the first parse)."""
        return self._pool is not None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run fn in a worker process; a pool broken by a dead worker is replaced first."""
        pool = self._pool or self._start()
        try:
            return pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            return self._replace(pool).submit(fn, *args, **kwargs)

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """New workers for a pool one of whose workers died (OOM killer, a crash, a signal).

        A ProcessPoolExecutor stays broken once a worker dies: without this every later parse
        of a daemon that runs for months would fail.
        """
        with self._lock:
            if self._pool is broken:
                log.warning("parse: a worker process died; starting new workers")
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = _process_pool(self.workers, self.settings)
            assert self._pool is not None
            return self._pool

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the workers, if any started."""
        if self._pool is not None:
            self._pool.shutdown(wait, cancel_futures=cancel_futures)


def _process_pool(workers: int, settings: Settings | None) -> ProcessPoolExecutor:
    """The process pool itself (creating it starts multiprocessing's resource tracker)."""
    # Not fork: the daemon has threads (scheduler, DB) that fork would copy half-alive. Not
    # spawn either: it re-imports the whole CLI in every worker (seconds of CPU each). Workers
    # fork from a single-threaded server that has imported the parser and the analysis once.
    ctx = multiprocessing.get_context("forkserver")
    preload = ["monitor.worker", "monitor.parser", "monitor.analysis.analyzer",
               "monitor.stories.fingerprint", "monitor.stories.minhash"]
    if settings is not None:
        from monitor.stories.fingerprint import Shape

        config_dir = settings.analysis.config_dir
        os.environ[PRELOAD_ENV] = json.dumps({
            "analysis": str(config_dir) if config_dir else None,
            "shape": list(astuple(Shape.of(settings.stories))) if settings.stories.enabled else None})
        preload.append("monitor.worker_preload")
    ctx.set_forkserver_preload(preload)
    _no_main_rerun()
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=serve, initargs=(os.getpid(),))


def _no_main_rerun() -> None:
    """Keep workers from re-running the entry script, which imports the whole CLI (~30 MB each).

    multiprocessing re-executes a __main__ script in every new process so that functions
    defined there can be unpickled; the pool only runs functions of monitor modules. A
    __main__ that names itself a package's __main__ module is not re-run (spawn.py).
    """
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None and hasattr(main, "__file__"):
        main.__spec__ = importlib.machinery.ModuleSpec("monitor.__main__", None)


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
        self._gate = asyncio.Semaphore(self.in_flight(self.settings))
        # Analysis is CPU work too: do it in the parse processes when they can load the same
        # vocabulary (the stage the daemon built from settings), so the writer thread only writes.
        self._analyse_remote = (isinstance(self.parse_pool, ProcessPool | ProcessPoolExecutor)
                                and isinstance(self.analyzer, AnalysisStage))
        # The stories stage, if any, says how to fingerprint; the workers do it with the analysis.
        stage = next((hook for hook in self.after_store
                      if getattr(hook, "shape", None) is not None), None)
        self._shape: Shape | None = getattr(stage, "shape", None)
        self._relevant_only: bool = getattr(stage, "relevant_only", False)
        # Polls waiting for the writer thread, which commits them together (see _save).
        self._pending: collections.deque[Pending] = collections.deque()
        self._flush_queued = False
        # Polls started whose fetch has not ended; the timer of a held flush (see _save).
        self._busy = 0
        self._timer: asyncio.TimerHandle | None = None

    @staticmethod
    def in_flight(settings: Settings) -> int:
        """Polls between fetch and store at once."""
        # Enough to keep the parsers and the writer busy, few enough that fetched bodies and
        # parsed entries never pile up in memory.
        return 2 * settings.fetch.concurrency

    async def _in(self, pool: Executor | None, fn: Callable[..., Any], *args: Any) -> Any:
        """Run blocking work off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    async def poll(self, feed: FeedRef, headers: dict[str, str] | None = None) -> PollReport:
        """Poll one leased feed and record everything about it; never raises for feed faults."""
        self._busy += 1
        async with self._gate:
            try:
                result, parsed, analysed = await self._fetch(feed, headers)
            finally:
                self._busy -= 1
            if not is_quiet(result):
                return await self._store(feed, result, parsed, analysed)
        # A 304 or same-bytes answer holds no body or entries: it waits for the writer outside
        # the gate, so the next fetches go on meanwhile (see _save).
        return await self._store(feed, result, parsed, analysed)

    async def _fetch(self, feed: FeedRef, headers: dict[str, str] | None
                     ) -> tuple[FetchResult, ParsedFeed | None, Done | None]:
        """Fetch, then parse in a worker (and analyse there, for a feed never read before)."""
        result = await self.fetcher.fetch(feed, {**dict(feed.headers), **(headers or {})})
        parsed: ParsedFeed | None = None
        analysed: Done | None = None
        if result.kind == "ok" and result.body is not None:
            try:
                parsed, analysed = await self._parse(feed, result.body, result.content_type)
            except Exception as exc:  # a dead worker process must not stop the poll loop
                parsed = ParsedFeed(None, None, None, (), error=f"parse: worker failed: {exc!r}")
            if parsed is not None and parsed.error:
                result = replace(result, kind="not_a_feed", error=parsed.error, body=None)
                parsed = None
        if result.body is not None:
            result = replace(result, body=None)  # drop the bytes before the long await
        return result, parsed, analysed

    async def _store(self, feed: FeedRef, result: FetchResult, parsed: ParsedFeed | None,
                     analysed: Done | None) -> PollReport:
        """Dedup and analyse what is new, store it in the writer thread, count the poll."""
        try:
            known, items = await self._new_entries(feed, parsed, analysed)
            report = await self._save(Write(feed, result, parsed, known, items))
        except Exception as exc:
            log.exception("store: saving poll of feed %s (%s) failed", feed.id, feed.url,
                          extra={"feed_id": feed.id, "url": feed.url, "stage": "store"})
            report = PollReport(feed.id, feed.url, "store_error", error=f"store: {exc}")
        metrics.POLLS.labels(report.outcome).inc()
        metrics.FETCH_SECONDS.observe(result.elapsed)
        metrics.ARTICLES.inc(report.new_articles)
        return report

    async def _parse(self, feed: FeedRef, body: bytes,
                     content_type: str | None) -> tuple[ParsedFeed, Done | None]:
        """Parse in a worker (and analyse too, for a feed never read before)."""
        try:
            return await self._parse_once(feed, body, content_type)
        except BrokenProcessPool:
            # A worker died under this poll or another one: once more, on new workers.
            return await self._parse_once(feed, body, content_type)

    async def _parse_once(self, feed: FeedRef, body: bytes,
                          content_type: str | None) -> tuple[ParsedFeed, Done | None]:
        """One trip to the parse pool."""
        if feed.body_hash is None and self._analyse_remote:
            # Never fetched before, so nothing of it is stored (the first success sets
            # body_hash): every entry is new, and one trip to a worker does it all.
            done: tuple[ParsedFeed, Done | None] = await self._in(
                self.parse_pool, parse_and_analyse, body, feed.url, content_type,
                *self._remote_analysis())
            return done
        return await self._in(self.parse_pool, parse_feed, body, feed.url, content_type), None

    async def _new_entries(self, feed: FeedRef, parsed: ParsedFeed | None,
                           analysed: Done | None = None) -> tuple[dict[str, str], list[Analysed]]:
        """Level 1 of dedup (keys already stored), then the analysis of what is new or edited."""
        if parsed is None or not parsed.entries:
            return {}, []
        if analysed is not None:  # a first read, analysed with the parse
            return {}, self._verdicts(parsed.entries, analysed)
        from monitor.store.articles import known_keys

        known: dict[str, str] = await self._in(self.db_pool, known_keys, self.engine, feed.id,
                                               [e.item_key for e in parsed.entries])
        todo = [e for e in parsed.entries if known.get(e.item_key) != e.content_hash]
        if not todo:
            return known, []
        if self._analyse_remote:
            try:
                config_dir, version, shape, relevant_only = self._remote_analysis()
                done = await self._in(self.parse_pool, analyse_entries, config_dir, version, todo,
                                      feed.url, shape, relevant_only)
            except Exception as exc:  # a dead worker: analyse here instead
                log.warning("analyze: worker failed (%r); analysing in the daemon", exc)
                done = None
            if done is not None:
                return known, self._verdicts(todo, done)
        items = await self._in(self.db_pool, lambda: [self._analyse(e, feed.url) for e in todo])
        return known, items

    def _remote_analysis(self) -> tuple[str | None, str, Shape | None, bool]:
        """What a worker needs to analyse as this daemon would: vocabulary, version, what to
        fingerprint (the stories stage's shape, and whether only relevant articles)."""
        config_dir = self.settings.analysis.config_dir
        assert self.analyzer is not None
        return (str(config_dir) if config_dir else None, self.analyzer.version, self._shape,
                self._relevant_only)

    def _verdicts(self, entries: Sequence[Entry], done: Done) -> list[Analysed]:
        """Entries with a worker's verdicts and fingerprints."""
        verdicts, prints = done
        assert self.analyzer is not None
        version = self.analyzer.version
        return [Analysed(e, v[0], v[1], v[2], version, fp) if v else Analysed(e, fingerprint=fp)
                for e, v, fp in zip(entries, verdicts, prints, strict=True)]

    async def _save(self, write: Write) -> PollReport:
        """Hand a poll to the writer thread; it commits it with the others queued meanwhile.

        One transaction a poll made the writer the bottleneck: every commit writes the pages
        it touched (articles, full-text and bucket indexes) to the WAL again. Grouping loses
        nothing: each poll's articles and its feed's new state still commit together, and a
        crash before the commit only means those feeds are polled again.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[PollReport] = loop.create_future()
        self._pending.append((write, done))
        if is_quiet(write.result) and self._busy and len(self._pending) < GROUP_POLLS:
            # More polls are on their way; a poll of unchanged feeds is mostly these, and a
            # commit for each few of them rewrote the feeds' pages (1,000 304s: 141 commits and
            # 12 MB of WAL; held like this, 9-11 commits). Nothing waits on it but the poll
            # itself, which no longer holds a slot of the gate.
            if self._timer is None and not self._flush_queued:
                self._timer = loop.call_later(QUIET_HOLD, self._submit_flush, loop)
        else:
            self._submit_flush(loop)
        return await done

    def _submit_flush(self, loop: asyncio.AbstractEventLoop) -> None:
        """Have the writer thread commit what is pending, unless it is already on its way."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flush_queued:
            return
        self._flush_queued = True
        try:
            assert self.db_pool is not None
            self.db_pool.submit(self._flush, loop)
        except RuntimeError as exc:  # the writer is shut down: nothing will record these polls
            self._flush_queued = False
            pending, self._pending = self._pending, collections.deque()
            for _write, fut in pending:
                if not fut.done():
                    fut.set_exception(exc)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        """In the writer thread: commit queued polls in groups, then wake the polls awaiting them."""
        self._flush_queued = False  # before draining, so a later arrival queues another flush
        # Only what is pending now: a later arrival has queued another flush, or held one
        # (_save), and draining it here would commit each few quiet polls that came meanwhile.
        todo = len(self._pending)
        while todo:
            batch: list[Pending] = []
            articles = 0
            # Bounded groups: PostgreSQL daemons wait on each other's stories lock meanwhile.
            while todo and articles < GROUP_ARTICLES and len(batch) < GROUP_POLLS:
                batch.append(self._pending.popleft())
                todo -= 1
                articles += len(batch[-1][0].items)
            self._commit(loop, batch)

    def _commit(self, loop: asyncio.AbstractEventLoop, batch: list[Pending]) -> None:
        """One transaction for a group of polls; if it fails, one transaction each."""
        writes = [w for w, _ in batch]
        outcomes: list[PollReport | Exception]
        try:
            outcomes = list(self._transaction(writes))
        except Exception:
            # One bad poll must not fail the others: record each on its own.
            outcomes = []
            for w in writes:
                try:
                    outcomes.extend(self._transaction([w]))
                except Exception as exc:
                    outcomes.append(exc)
        for w, outcome in zip(writes, outcomes, strict=True):
            if not isinstance(outcome, Exception):
                _log_failure(w.feed, w.result)
        # One wake-up of the loop for the group, not one a poll (each is a write to its pipe).
        loop.call_soon_threadsafe(_settle, [fut for _, fut in batch], outcomes)

    def _transaction(self, writes: Sequence[Write]) -> list[PollReport]:
        """Write polls in one transaction: a Core one when every poll is quiet, else a session."""
        if all(_calm(w) for w in writes):
            # A session would load the ORM and the models (~0.25 s of a poll's start) for
            # one UPDATE, and a poll of unchanged feeds needs nothing else of the store.
            with self.engine.begin() as conn:
                return self._write(None, conn, writes)
        with session_scope(self.engine) as s:
            return self._write(s, s.connection(), writes)

    def _write(self, s: Session | None, conn: Connection,
               writes: Sequence[Write]) -> list[PollReport]:
        """New entries, the stages after them and the feeds' new state, in the caller's tx.

        `s` is the transaction's session, None when every poll is quiet (`conn` is enough).
        """
        now = self.clock()
        quiet = [_calm(w) for w in writes]
        stored: list[list[StoredArticle]] = [[] for _ in writes]
        if s is not None:
            from monitor.store.articles import store_entries
            from monitor.store.feeds import load_feeds, record_outcome

            # One query fills the session for record_outcome; quiet polls need no rows at all.
            load_feeds(s, [w.feed.id for w, q in zip(writes, quiet, strict=True) if not q])
            stored = [store_entries(s, w.feed.id, w.items, now, w.known) if w.items else []
                      for w in writes]
            if any(stored):
                every = [a for group in stored for a in group]
                for hook in self.after_store:
                    hook(s, every, now)
        reports, calm = [], []
        for w, mine, q in zip(writes, stored, quiet, strict=True):
            feed, result, parsed = w.feed, w.result, w.parsed
            errors = feed.error_count + 1 if result.failed else 0
            when = next_check(now, result, self.settings.fetch,
                              interval_seconds=feed.interval_seconds, error_count=errors,
                              ttl_seconds=parsed.ttl_seconds if parsed else None)
            created = [a for a in mine if a.created]
            if q:
                calm.append((feed.id, result, when))
            else:
                assert s is not None
                record_outcome(
                    s, feed.id, self.owner, result, now=now, next_check_at=when,
                    moved_after=self.settings.fetch.moved_after,
                    ttl_warning=parsed.warning if parsed else None,
                    title=parsed.title if parsed else None,
                    site_url=parsed.link if parsed else None, new_articles=len(created))
            reports.append(PollReport(feed.id, feed.url, result.kind, new_articles=len(created),
                                      updated_articles=len(mine) - len(created), error=result.error,
                                      new_article_ids=tuple(a.id for a in created)))
        record_quiet(conn, calm, now)
        return reports

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
        """Stop the executors (and the timer of a held flush: nothing is polling any more)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for pool in (self.parse_pool, self.db_pool):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class Write:
    """What one poll hands to the writer."""

    feed: FeedRef
    result: FetchResult
    parsed: ParsedFeed | None
    known: dict[str, str]
    items: Sequence[Analysed]


Pending = tuple[Write, "asyncio.Future[PollReport]"]
# A group commits once it holds this many new articles or polls (see Pipeline._flush).
GROUP_ARTICLES = 500
GROUP_POLLS = 200
# Seconds quiet polls (304s, same bytes) wait for others to share their commit (Pipeline._save).
QUIET_HOLD = 0.05


def _calm(write: Write) -> bool:
    """A poll with nothing to store but its feed's check (see is_quiet)."""
    return not write.items and is_quiet(write.result)


def _settle(futs: list[asyncio.Future[PollReport]],
            outcomes: list[PollReport | Exception]) -> None:
    """Hand the writer thread's outcomes to the polls awaiting them (unless cancelled)."""
    for fut, outcome in zip(futs, outcomes, strict=True):
        if fut.done():
            continue
        if isinstance(outcome, Exception):
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)


def _log_failure(feed: FeedRef, result: FetchResult) -> None:
    """A failed fetch or parse, logged once its outcome is recorded."""
    if result.failed:
        stage = "parse" if result.kind == "not_a_feed" else "fetch"
        log.warning("%s: feed %s %s: %s", stage, feed.id, feed.url, result.error,
                    extra={"feed_id": feed.id, "url": feed.url, "stage": stage})


class AnalysisStage:
    """Adapts the analysis package to entries: builds its Item, keeps the JSON to store."""

    def __init__(self, analyzer: Any = None, *, version: str | None = None,
                 load: Callable[[], Any] | None = None) -> None:
        """An analyzer; or its version and how to load it, when first needed."""
        if analyzer is not None:
            version = analyzer.version
        elif version is None or load is None:
            raise TypeError("AnalysisStage needs an analyzer, or a version and a loader")
        self._analyzer = analyzer
        self._load = load
        self.version: str = version

    @property
    def analyzer(self) -> Any:
        """The analyzer; a stage given a version only loads it here, once."""
        if self._analyzer is None:
            assert self._load is not None
            self._analyzer = self._load()
        return self._analyzer

    @property
    def loaded(self) -> bool:
        """Whether the analyzer has been loaded (a deferred stage loads it on first use)."""
        return self._analyzer is not None

    def analyze_entry(self, entry: Entry, source: str | None) -> Analysed:
        """Analyse one entry into what the store keeps."""
        relevant, score, data = verdict(self.analyzer, entry, source)
        return Analysed(entry, relevant, score, data, self.version)

