"""The feed rows at scale: config sync, claims and outcome writes in a few statements."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, select
from sqlmodel.sql.sqltypes import AutoString

from monitor.pipeline import utcnow
from monitor.settings import FeedSettings
from monitor.store.db import session_scope
from monitor.store.feeds import add_feed, list_feeds, load_feeds, record_outcome
from monitor.store.models import Feed
from monitor.store.polling import FEEDS, claim_feeds, record_quiet, release_feeds, sync_config_feeds
from monitor.values import FetchResult


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine runs meanwhile (executemany counts once)."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _config(n: int, **extra: Any) -> list[FeedSettings]:
    """n config feeds."""
    return [FeedSettings(url=f"https://h{i % 7}.example/{i}.xml", **extra) for i in range(n)]


def test_sync_of_an_unchanged_file_only_reads(engine: Engine) -> None:
    """1,200 new feeds go in one INSERT; syncing the same file again writes nothing."""
    feeds = _config(1200, name="N", interval="30m", headers={"X-Key": "k"})
    with _statements(engine) as seen:
        sync_config_feeds(engine, feeds, utcnow())
    assert seen.count("INSERT") == 1 and "UPDATE" not in seen
    rows = list_feeds(engine)
    assert len(rows) == 1200
    assert {(r.name, r.interval_seconds, r.source, r.enabled) for r in rows} == {
        ("N", 1800, "config", True)}
    with _statements(engine) as seen:
        sync_config_feeds(engine, feeds, utcnow())
    assert seen == ["SELECT"]


def test_sync_writes_exactly_what_the_file_changed(engine: Engine) -> None:
    """Renamed, disabled, dropped, re-added: each row ends as the rules say, others untouched."""
    a, b, c, d = (f"https://s.example/{x}.xml" for x in "abcd")
    now = utcnow()
    add_feed(engine, d, name="by hand", now=now)  # a cli feed the file then lists
    sync_config_feeds(engine, [FeedSettings(url=a, name="A"), FeedSettings(url=b),
                               FeedSettings(url=c), FeedSettings(url=d)], now)
    with session_scope(engine) as s:  # a feed the server said was gone stays disabled
        row = s.exec(select(Feed).where(Feed.url == c)).one()
        row.enabled, row.disabled_reason = False, "gone: HTTP 410"
    with _statements(engine) as seen:
        sync_config_feeds(engine, [FeedSettings(url=a, name="A2", headers={"K": "v"}),
                                   FeedSettings(url=c), FeedSettings(url=d, enabled=False)], now)
    assert seen.count("UPDATE") == 1 and "INSERT" not in seen
    got = {f.url: f for f in list_feeds(engine)}
    assert (got[a].name, got[a].enabled) == ("A2", True)
    assert (got[b].enabled, got[b].disabled_reason) == (False, "removed from config")
    assert (got[c].enabled, got[c].disabled_reason) == (False, "gone: HTTP 410")
    assert (got[d].name, got[d].source, got[d].enabled, got[d].disabled_reason) == (
        "by hand", "cli", False, "disabled in config")
    with Session(engine) as s:
        assert s.exec(select(Feed.headers).where(Feed.url == a)).one() == {"K": "v"}
    sync_config_feeds(engine, [FeedSettings(url=x) for x in (a, b, c, d)], now)
    got = {f.url: f for f in list_feeds(engine)}
    assert got[b].enabled and not got[c].enabled
    assert got[d].enabled and got[d].disabled_reason is None  # enabled again by the file
    assert got[a].name == "A2"  # a name the file no longer gives is kept


def test_claiming_every_feed_leases_each_once(engine: Engine) -> None:
    """1,200 feeds claimed at once (3 IN lists): all leased, none claimable again; released."""
    sync_config_feeds(engine, _config(1200, headers={"B": "2", "A": "1"}), utcnow())
    now = utcnow()
    with _statements(engine) as seen:
        refs = claim_feeds(engine, "me", now, timedelta(minutes=5), limit=1_000_000,
                           due_only=False)
    assert len(refs) == 1200 and len({r.id for r in refs}) == 1200
    assert seen.count("SELECT") == 1 and seen.count("UPDATE") == 3
    assert refs[0].headers == (("A", "1"), ("B", "2"))
    with Session(engine) as s:
        leases = set(s.exec(select(Feed.lease_owner, Feed.lease_expires_at)))
    assert leases == {("me", now + timedelta(minutes=5))}
    assert claim_feeds(engine, "other", now, timedelta(minutes=5), due_only=False) == []
    later = claim_feeds(engine, "other", now + timedelta(minutes=6), timedelta(minutes=5),
                        limit=10, due_only=False)
    assert [r.id for r in later] == sorted(r.id for r in refs)[:10]
    with _statements(engine) as seen:
        release_feeds(engine, "me", [r.id for r in refs])  # "other" holds 10 of them now
    assert seen.count("UPDATE") == 3
    with Session(engine) as s:
        owners = Counter(s.exec(select(Feed.lease_owner)))
    assert owners == {None: 1190, "other": 10}


def test_outcomes_need_no_query_after_load_feeds(engine: Engine) -> None:
    """record_outcome finds rows load_feeds read even when its caller dropped the list."""
    sync_config_feeds(engine, _config(30), utcnow())
    ids = [r.id for r in claim_feeds(engine, "me", utcnow(), timedelta(minutes=5), limit=100,
                                     due_only=False)]
    now = utcnow()
    with session_scope(engine) as s:
        load_feeds(s, ids)
        gc.collect()
        with _statements(engine) as seen:
            for fid in ids:
                record_outcome(s, fid, "me", FetchResult("not_modified", status=304), now=now,
                               next_check_at=now + timedelta(minutes=15), moved_after=2)
        assert seen == []
    assert {(f.last_outcome, f.last_checked_at) for f in list_feeds(engine)} == {
        ("not_modified", now)}


def test_quiet_outcomes_write_what_record_outcome_writes(engine: Engine) -> None:
    """A 304 and a same-bytes answer recorded in bulk leave the rows record_outcome would."""
    now = utcnow()
    ids = [add_feed(engine, f"https://q.example/{i}.xml", now=now).id for i in range(4)]
    with session_scope(engine) as s:  # each feed failed twice, half-moved, leased, validated
        for row in s.exec(select(Feed)):
            row.error_count, row.last_error, row.last_warning = 2, "HTTP 500", "ttl"
            row.moved_to, row.moved_count = "https://elsewhere.example/x.xml", 1
            row.lease_owner, row.lease_expires_at = "me", now + timedelta(minutes=5)
            row.etag, row.last_modified, row.body_hash = '"e1"', "Mon, 16 Nov 2026", "h1"
    later, due = now + timedelta(seconds=30), now + timedelta(minutes=15)
    not_modified = FetchResult("not_modified", status=304, etag='"e1"',
                               last_modified="Mon, 16 Nov 2026", body_hash="h1")
    unchanged = FetchResult("unchanged", status=200, etag='"e2"', body_hash="h1")
    with _statements(engine) as seen, engine.begin() as conn:
        record_quiet(conn, [(ids[0], not_modified, due), (ids[1], unchanged, due)], later)
    assert seen == ["UPDATE"]  # both in one executemany
    with session_scope(engine) as s:
        for feed_id, result in ((ids[2], not_modified), (ids[3], unchanged)):
            record_outcome(s, feed_id, "me", result, now=later, next_check_at=due, moved_after=3)
    fields = [c.name for c in Feed.__table__.columns  # type: ignore[attr-defined]
              if c.name not in ("id", "url")]
    with Session(engine) as s:
        rows = {r.id: r for r in s.exec(select(Feed))}
        for bulk, one in ((ids[0], ids[2]), (ids[1], ids[3])):
            assert {f: getattr(rows[bulk], f) for f in fields} == {
                f: getattr(rows[one], f) for f in fields}
    assert rows[ids[1]].etag == '"e2"' and rows[ids[0]].error_count == 0
    with pytest.raises(ValueError, match="not quiet"), engine.begin() as conn:
        record_quiet(conn, [(ids[0], FetchResult("ok", status=200), due)], later)


def test_polling_table_matches_the_model() -> None:
    """The Core table of monitor.store.polling names and types its columns as the model does."""
    model = Feed.__table__.columns  # type: ignore[attr-defined]
    for c in FEEDS.columns:
        assert c.name in model, c.name
        ours, theirs = c.type, model[c.name].type
        assert ours._type_affinity is theirs._type_affinity, (c.name, ours, theirs)
        # A type that converts values (UTCDateTime) must be the same; SQLModel's AutoString
        # only sizes a String per dialect.
        if isinstance(theirs, TypeDecorator) and not isinstance(theirs, AutoString):
            assert type(ours) is type(theirs), (c.name, ours, theirs)
    # A new feed from the config is inserted through this table, without the model's Python
    # defaults: every column that may not be NULL must be known here (and set by the sync).
    required = {c.name for c in model if not c.nullable and not c.primary_key}
    assert required and required <= set(FEEDS.columns.keys()), required - set(FEEDS.columns.keys())
