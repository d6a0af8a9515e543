"""The writer commits polls in groups; a poll that fails its group is retried alone, on both backends."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from monitor.pipeline import QUIET_HOLD
from monitor.values import StoredArticle
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


def test_unchanged_feeds_share_commits_and_none_is_lost(db_url: str, engine: Engine,
                                                        feed_server: FeedServer) -> None:
    """A second poll of 150 feeds answering 304: they share commits (at most one a QUIET_HOLD),
    every feed's check is recorded with its lease let go, and a feed with news among them is
    stored as usual."""
    from sqlalchemy import event

    ids = [add(engine, feed_server.add(f"/q{i}.xml", rss(make_items(f"q{i}", 2)))) for i in range(150)]
    settings = settings_for(db_url)
    assert {r.outcome for r in poll_all(settings, engine)} == {"ok"}
    feed_server.add("/q7.xml", rss(make_items("q7", 3)))  # one more item: a 200 among the 304s
    commits = 0

    def count(_conn: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(engine, "commit", count)
    started = time.monotonic()
    try:
        reports = {r.feed_id: r for r in poll_all(settings, engine)}
    finally:
        event.remove(engine, "commit", count)
    elapsed = time.monotonic() - started
    assert reports[ids[7]].outcome == "ok" and reports[ids[7]].new_articles == 1
    assert {r.outcome for i, r in reports.items() if i != ids[7]} == {"not_modified"}
    assert counts(engine)[0] == 301
    for feed_id in ids:
        row = feed_row(engine, feed_id)
        assert row.last_outcome == ("ok" if feed_id == ids[7] else "not_modified")
        assert row.lease_owner is None and row.last_checked_at is not None
    # Quiet polls commit at most once a QUIET_HOLD (plus the hold under way at the end); the
    # others: the claim, the feed with news (its known keys, then its articles), the last
    # group and the release. Without the hold it was one commit every few polls (43-67 here).
    assert commits <= elapsed / QUIET_HOLD + 6, (commits, elapsed)
