"""Small helpers for tests that drive the pipeline against a store."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from monitor.daemon import poll_batch
from monitor.fetcher import Fetcher
from monitor.pipeline import AfterStore, Pipeline, utcnow
from monitor.settings import Settings, load_settings
from monitor.store.db import make_engine
from monitor.store.feeds import add_feed
from monitor.store.models import Article, ArticleEntry, Feed
from monitor.store.polling import claim_feeds, release_feeds
from monitor.values import PollReport


def settings_for(db_url: str, **fetch: Any) -> Settings:
    """Settings for tests: the given store, quick timeouts, in-thread parsing."""
    fetch_cfg = {"parse_workers": 1, "connect_timeout": 2, "read_timeout": 2, "deadline": 5,
                 "min_interval": "1s", **fetch}
    return load_settings(None, database={"url": db_url}, fetch=fetch_cfg)


def poll_all(settings: Settings, engine: Engine, analyzer: Any = None,
             ids: list[int] | None = None, stages: Sequence[AfterStore] = (),
             parse_pool: Executor | None = None) -> list[PollReport]:
    """Poll every enabled feed once, as `monitor poll` does, with the given after-store stages."""

    async def go() -> list[PollReport]:
        fetcher = Fetcher(settings.fetch)
        pipeline = Pipeline(engine, settings, fetcher, "test", analyzer, after_store=stages,
                            parse_pool=parse_pool)
        refs = claim_feeds(engine, "test", utcnow(), settings.scheduler.lease, limit=100000,
                           ids=ids, due_only=False)
        try:
            return await poll_batch(pipeline, refs)
        finally:
            release_feeds(engine, "test", [r.id for r in refs])
            await fetcher.aclose()
            pipeline.close()

    return asyncio.run(go())


def add(engine: Engine, url: str) -> int:
    """Add a feed, return its id."""
    return add_feed(engine, url, now=utcnow()).id


def counts(engine: Engine) -> tuple[int, int]:
    """(articles, sightings) in the store."""
    with Session(engine) as s:
        return (s.exec(select(func.count()).select_from(Article)).one(),
                s.exec(select(func.count()).select_from(ArticleEntry)).one())


def feed_row(engine: Engine, feed_id: int) -> Feed:
    """A feed row, detached."""
    with Session(engine, expire_on_commit=False) as s:
        row = s.get(Feed, feed_id)
        assert row is not None
        return row


__all__ = ["add", "counts", "feed_row", "make_engine", "poll_all", "settings_for"]
