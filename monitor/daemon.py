"""The daemon: APScheduler runs a few periodic jobs; the database holds every schedule."""

from __future__ import annotations

import asyncio
import fcntl
import functools
import logging
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Engine

from monitor.errors import StoreLocked
from monitor.fetchproc import FetchProcess, make_fetcher
from monitor.pipeline import AfterStore, AnalyzerLike, Pipeline, make_parse_pool, utcnow
from monitor.settings import Settings
from monitor.store.db import is_sqlite, make_engine, require_head, sqlite_path
from monitor.store.polling import claim_feeds, release_feeds, sync_config_feeds
from monitor.values import FeedRef, PollReport

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger("monitor.daemon")

# How long shutdown waits for in-flight polls before abandoning them (each poll's store
# step is one transaction, so abandoning loses nothing that was committed).
SHUTDOWN_GRACE = 5.0


def owner_id() -> str:
    """A name for this process in leases: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SqliteLock:
    """An exclusive lock file beside an SQLite store: one daemon per file."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise StoreLocked naming the holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise StoreLocked(
                f"store: another daemon ({holder}) already runs on {self.path.with_suffix('')}; "
                "SQLite supports one daemon — use PostgreSQL to run several"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        """Drop the lock."""
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


async def poll_batch(pipeline: Pipeline, feeds: Sequence[FeedRef],
                     headers: dict[int, dict[str, str]] | None = None,
                     on_done: Callable[[PollReport], None] | None = None) -> list[PollReport]:
    """Poll leased feeds concurrently (the fetcher bounds the concurrency)."""

    async def one(feed: FeedRef) -> PollReport:
        report = await pipeline.poll(feed, (headers or {}).get(feed.id))
        if on_done:
            on_done(report)
        return report

    return list(await asyncio.gather(*(one(f) for f in feeds)))


@dataclass
class Job:
    """A periodic job of the daemon."""

    name: str
    every: timedelta
    run: Callable[[], Awaitable[Any]]


@dataclass
class Daemon:
    """Owns the scheduler, the pipeline and the shutdown."""

    settings: Settings
    analyzer: AnalyzerLike | None = None
    after_store: Sequence[AfterStore] = ()
    clock: Callable[[], datetime] = utcnow
    extra_jobs: list[Job] = field(default_factory=list)
    owner: str = field(default_factory=owner_id)
    # Serves the API in this loop until the stop event is set (monitor.api.server).
    server: Callable[[asyncio.Event], Awaitable[None]] | None = None
    # Forked before the loop started (monitor.serve); they take a share of the fetches.
    fetch_processes: list[FetchProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Open the store; refuse a schema that is not at head."""
        self.engine: Engine = make_engine(self.settings.database.url)
        require_head(self.engine)
        self._lock: SqliteLock | None = None
        path = sqlite_path(self.settings.database.url)
        if is_sqlite(self.settings.database.url) and path is not None:
            self._lock = SqliteLock(path)
        self._stop = asyncio.Event()
        self._polling: set[int] = set()
        self._scheduler: AsyncIOScheduler | None = None

    def stop(self) -> None:
        """Ask the daemon to stop (signal handlers call this)."""
        self._stop.set()

    def alive(self) -> bool:
        """The scheduler runs (readiness)."""
        return self._scheduler is not None and self._scheduler.running

    async def poll_due(self, pipeline: Pipeline) -> int:
        """Claim due feeds as polling slots free up and poll them; return how many were polled.

        A window, not batches: waiting for a whole batch before claiming the next left the
        parse workers and the writer idle behind each batch's slowest feed (a first poll of
        1,000 feeds took 28 s this way against 23 s for `monitor poll`).
        """
        loop = asyncio.get_running_loop()
        # Claim no more than the pipeline keeps in flight (fetching, or parsed and waiting for
        # the writer): a claimed feed queued behind them would burn its lease, and another
        # daemon could take it while it is still waiting here.
        window = min(self.settings.scheduler.batch, Pipeline.in_flight(self.settings))
        refill = max(1, window // 4)  # claim when a quarter is free: a few claims, no bubble
        running: set[asyncio.Task[PollReport]] = set()
        reports: list[PollReport] = []
        exhausted = False
        while running or not (exhausted or self._stop.is_set()):
            free = window - len(running)
            if not exhausted and not self._stop.is_set() and free >= refill:
                feeds = await loop.run_in_executor(pipeline.db_pool, functools.partial(
                    claim_feeds, self.engine, self.owner, self.clock(),
                    self.settings.scheduler.lease, limit=free))
                exhausted = not feeds
                for feed in feeds:
                    self._polling.add(feed.id)
                    running.add(asyncio.ensure_future(self._poll_one(pipeline, feed)))
            if not running:
                continue
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            reports.extend(t.result() for t in done)
        if reports:
            log.info("poll: %d feeds, %d new articles, %d failed", len(reports),
                     sum(r.new_articles for r in reports), sum(1 for r in reports if r.error))
        return len(reports)

    async def _poll_one(self, pipeline: Pipeline, feed: FeedRef) -> PollReport:
        """Poll one claimed feed; its lease is this daemon's until the poll is recorded."""
        try:
            return await pipeline.poll(feed)
        finally:
            self._polling.discard(feed.id)

    async def housekeeping(self) -> None:
        """Prune irrelevant articles past the retention period."""
        from monitor.store.articles import prune_irrelevant

        cutoff = self.clock() - self.settings.scheduler.retention
        gone = await asyncio.to_thread(prune_irrelevant, self.engine, cutoff)
        if gone:
            log.info("housekeeping: pruned %d irrelevant articles", gone)

    async def run(self, *, install_signals: bool = True) -> None:
        """Run until stop() or SIGTERM/SIGINT; finish or abandon in-flight work cleanly."""
        if self._lock:
            self._lock.acquire()
        loop = asyncio.get_running_loop()
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop)
        sync_config_feeds(self.engine, self.settings.feeds, self.clock())
        fetcher = make_fetcher(self.settings.fetch, self.fetch_processes)
        pipeline = Pipeline(self.engine, self.settings, fetcher, self.owner, self.analyzer,
                            parse_pool=make_parse_pool(self.settings.fetch.parse_workers,
                                                       self.settings),
                            clock=self.clock, after_store=self.after_store)
        # Imported here: `monitor poll` uses this module's poll_batch, never the scheduler.
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        scheduler = AsyncIOScheduler(timezone="UTC")
        jobs = [Job("poll", self.settings.scheduler.tick, lambda: self.poll_due(pipeline)),
                Job("housekeeping", timedelta(hours=1), self.housekeeping), *self.extra_jobs]
        for job in jobs:
            scheduler.add_job(_guarded(job), "interval", seconds=job.every.total_seconds(),
                              id=job.name, max_instances=1, coalesce=True,
                              next_run_time=datetime.now().astimezone())
        scheduler.start()
        self._scheduler = scheduler
        server = asyncio.ensure_future(self.server(self._stop)) if self.server else None
        log.info("daemon: %s started with %d feeds configured", self.owner,
                 len(self.settings.feeds))
        try:
            await self._stop.wait()
        finally:
            log.info("daemon: stopping")
            scheduler.shutdown(wait=False)
            if server:
                self._stop.set()
                await asyncio.wait({server}, timeout=SHUTDOWN_GRACE)
            await _drain(SHUTDOWN_GRACE)
            await asyncio.to_thread(release_feeds, self.engine, self.owner, list(self._polling))
            await fetcher.aclose()
            pipeline.close()
            if install_signals:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(sig)
            if self._lock:
                self._lock.release()
            self.engine.dispose()
            log.info("daemon: stopped")


def _guarded(job: Job) -> Callable[[], Awaitable[None]]:
    """A job that logs its failures instead of dying with them."""

    async def run() -> None:
        try:
            await job.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: job failed; it runs again at its next tick", job.name)

    run.__name__ = job.name
    return run


async def _drain(grace: float) -> None:
    """Give running tasks `grace` seconds, then cancel them."""
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    if not tasks:
        return
    _done, pending = await asyncio.wait(tasks, timeout=grace)
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1.0)
