"""Fixtures for the stories tests: a store, a feed per outlet, and a way to store entries."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from monitor.normalizer import canonical_url, content_hash, item_key
from monitor.pipeline import AfterStore
from monitor.settings import Settings, StorySettings
from monitor.store.articles import store_entries
from monitor.store.db import make_engine, session_scope
from monitor.store.feeds import add_feed
from monitor.stories import StoryStage
from monitor.values import Analysed, Entry, PollReport, StoredArticle
from tests.helpers import poll_all

NOW = datetime(2022, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh store at head."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def entry(title: str, summary: str, url: str, published: datetime | None = NOW,
          content: str = "", guid: str | None = None) -> Entry:
    """An entry as the parser would make it."""
    digest = content_hash(title, summary, content)
    canon = canonical_url(url)
    return Entry(item_key=item_key(guid, canon, digest), guid=guid, url=url, canonical_url=canon,
                 title=title, summary=summary, content=content, author=None,
                 published=published, content_hash=digest)


def store_and_place(engine: Engine, feed_id: int, entries: Sequence[Entry],
                    stage: StoryStage | None = None, analyses: Sequence[Any] | None = None,
                    now: datetime = NOW) -> list[StoredArticle]:
    """Store entries of one feed as the pipeline does, then run the stories stage on them."""
    stage = stage or StoryStage(StorySettings())
    items = [Analysed(e, analysis=analyses[i] if analyses else None)
             for i, e in enumerate(entries)]
    with session_scope(engine) as s:
        stored = store_entries(s, feed_id, items, now, {})
        stage(s, stored, now)
    return stored


def outlet_feed(engine: Engine, host: str, name: str | None = None) -> int:
    """A feed of one outlet."""
    return add_feed(engine, f"https://{host}/rss.xml", name=name, now=NOW).id


def poll_with(settings: Settings, engine: Engine, stages: Sequence[AfterStore],
              analyzer: Any = None) -> list[PollReport]:
    """Poll every feed once with the given after-store stages, as `monitor poll` does."""
    return poll_all(settings, engine, analyzer, stages=stages)
