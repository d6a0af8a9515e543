"""The writer commits polls in groups; a poll that fails its group is retried alone, on both backends."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from monitor.store.articles import StoredArticle
from tests.feedserver import FeedServer, make_items, rss
from tests.helpers import add, counts, feed_row, poll_all, settings_for


class Stage:
    """An after-store stage that holds the writer at first (so polls queue up) and fails one feed."""

    def __init__(self, bad_feed: int) -> None:
        self.bad_feed = bad_feed
        self.calls: list[set[int]] = []
        self._first = threading.Event()

    def __call__(self, s: Session, stored: Sequence[StoredArticle], now: datetime) -> None:
        """Record which feeds came together; raise when the bad feed is among them."""
        self.calls.append({a.feed_id for a in stored})
        if not self._first.is_set():
            self._first.set()
            time.sleep(0.5)  # the other polls finish meanwhile and wait for the writer together
        if self.bad_feed in self.calls[-1]:
            raise RuntimeError("a stage tripped on this feed's articles")


def test_a_failing_poll_does_not_fail_its_group(db_url: str, engine: Engine,
                                                feed_server: FeedServer) -> None:
    """Eight feeds; one trips a stage: seven stored with their state, one store_error, no loss."""
    ids = [add(engine, feed_server.add(f"/f{i}.xml", rss(make_items(f"f{i}", 3)))) for i in range(8)]
    stage = Stage(bad_feed=ids[5])
    reports = {r.feed_id: r for r in poll_all(settings_for(db_url), engine, stages=[stage])}
    assert any(len(feeds) > 1 for feeds in stage.calls)  # polls were committed together
    assert reports[ids[5]].outcome == "store_error" and "tripped" in (reports[ids[5]].error or "")
    assert all(reports[i].outcome == "ok" and reports[i].new_articles == 3
               for i in ids if i != ids[5])
    assert counts(engine) == (21, 21)  # the bad feed's articles rolled back with its poll
    assert feed_row(engine, ids[0]).body_hash is not None
    assert feed_row(engine, ids[5]).body_hash is None  # its state too: it is polled again
