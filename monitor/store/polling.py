"""What polling writes on feed rows, in Core statements: the config's feeds, leases, quiet checks.

A poll of feeds that did not change (304s, the same bytes) needs nothing else of the store, so
this module and its table need neither the ORM nor the models: `monitor poll` then starts
without importing them (~0.25 s of its wall time). The ORM side of feed rows (adding,
listing, recording other outcomes) is monitor.store.feeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Engine,
    Integer,
    Row,
    String,
    Text,
    bindparam,
    column,
    func,
    or_,
    table,
    update,
)
from sqlalchemy import select as core_select

from monitor import metrics
from monitor.settings import FeedSettings
from monitor.store.types import UTCDateTime
from monitor.values import FeedRef, FetchResult

if TYPE_CHECKING:
    from sqlmodel import Session

# The columns of `feeds` these statements use, typed as monitor.store.models.Feed declares them
# (tests/test_feed_store.py holds the two equal).
FEEDS = table(
    "feeds",
    column("id", Integer), column("url", Text), column("name", Text), column("source", String),
    column("enabled", Boolean), column("interval_seconds", Integer), column("headers", JSON),
    column("next_check_at", UTCDateTime()), column("last_checked_at", UTCDateTime()),
    column("last_success_at", UTCDateTime()), column("etag", Text), column("last_modified", Text),
    column("body_hash", String), column("last_status", Integer), column("last_outcome", String),
    column("error_count", Integer), column("last_error", Text), column("last_warning", Text),
    column("disabled_reason", Text), column("moved_to", Text), column("moved_count", Integer),
    column("lease_owner", String), column("lease_expires_at", UTCDateTime()),
    column("created_at", UTCDateTime()),
)
# The columns sync_config_feeds sets from the config file, in the order of its tuples.
_SYNCED = (FEEDS.c.name, FEEDS.c.interval_seconds, FEEDS.c.headers, FEEDS.c.enabled,
           FEEDS.c.disabled_reason)
# What the fetcher needs of a feed (FeedRef's fields).
_REF = (FEEDS.c.id, FEEDS.c.url, FEEDS.c.etag, FEEDS.c.last_modified, FEEDS.c.body_hash,
        FEEDS.c.interval_seconds, FEEDS.c.error_count, FEEDS.c.headers)
# Ids bound in one IN list: far under SQLite's and PostgreSQL's limits on parameters.
_IDS_PER_STATEMENT = 500
# Outcomes record_quiet writes: a success that brought nothing to parse.
QUIET = frozenset({"not_modified", "unchanged"})


def is_quiet(result: FetchResult) -> bool:
    """A 304 or same-bytes answer, without error or move: what record_quiet records."""
    return result.kind in QUIET and not result.error and not result.moved_to


def dialect_insert(s: Session | Connection) -> Any:
    """The dialect's INSERT with ON CONFLICT support."""
    dialect = s.dialect if isinstance(s, Connection) else s.get_bind().dialect
    # Imported here: loading the PostgreSQL dialect costs 20 ms of every SQLite start.
    if dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def sync_config_feeds(engine: Engine, feeds: Sequence[FeedSettings], now: datetime) -> None:
    """Make the config file's feeds exist and be enabled; disable config feeds it dropped.

    Every `monitor poll` and daemon start runs this over the whole file, where usually nothing
    changed: it reads the compared columns in one query (no ORM rows) and writes only what
    differs, new feeds in one statement and changed ones in another.
    """
    wanted = {f.url: f for f in feeds}
    with engine.begin() as conn:
        rows = {r.url: r for r in conn.execute(core_select(FEEDS.c.id, FEEDS.c.url,
                                                           FEEDS.c.source, *_SYNCED))}
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for url, cfg in wanted.items():
            interval = int(cfg.interval.total_seconds()) if cfg.interval else None
            row = rows.get(url)
            if row is None:
                new.append({"url": url, "name": cfg.name, "interval_seconds": interval,
                            "source": "config", "enabled": cfg.enabled,
                            "headers": cfg.headers or None, "created_at": now,
                            "next_check_at": now, "error_count": 0, "moved_count": 0})
                continue
            enabled, reason = row.enabled, row.disabled_reason
            # Reasons the file itself gave are the file's to lift; others (410, moved) are not.
            if reason in (None, "removed from config", "disabled in config"):
                enabled, reason = cfg.enabled, None if cfg.enabled else "disabled in config"
            _note_change(changed, row, (cfg.name or row.name, interval, cfg.headers or None,
                                        enabled, reason))
        for url, row in rows.items():
            if row.source == "config" and url not in wanted and row.enabled:
                _note_change(changed, row, (row.name, row.interval_seconds, row.headers, False,
                                            "removed from config"))
        if new:
            # Daemons starting together all sync: the first insert wins, others skip it.
            conn.execute(dialect_insert(conn)(FEEDS).on_conflict_do_nothing(
                index_elements=["url"]), new)
        if changed:
            conn.execute(update(FEEDS).where(FEEDS.c.id == bindparam("feed_id")).values(
                {c: bindparam(f"new_{c.name}") for c in _SYNCED}), changed)


def _note_change(changed: list[dict[str, Any]], row: Row[*tuple[Any, ...]],
                 values: tuple[Any, ...]) -> None:
    """Queue an update of a feed's synced columns when the values differ from the row's."""
    if values != tuple(getattr(row, c.name) for c in _SYNCED):
        changed.append({"feed_id": row.id} | {f"new_{c.name}": v
                                              for c, v in zip(_SYNCED, values, strict=True)})


def claim_feeds(engine: Engine, owner: str, now: datetime, lease: timedelta, *,
                limit: int = 100, ids: Sequence[int] | None = None,
                due_only: bool = True) -> list[FeedRef]:
    """Lease due (or chosen) enabled feeds to `owner`; SKIP LOCKED lets daemons share.

    `monitor poll` claims every feed at once: the fetcher's columns are read without ORM rows
    and the leases written in a few statements, not one update per feed.
    """
    with engine.begin() as conn:
        stmt = core_select(*_REF, FEEDS.c.lease_owner).where(FEEDS.c.enabled.is_(True)).where(
            or_(FEEDS.c.lease_expires_at.is_(None), FEEDS.c.lease_expires_at < now))
        if ids is not None:
            stmt = stmt.where(FEEDS.c.id.in_(list(ids)))
        if due_only:
            stmt = stmt.where(or_(FEEDS.c.next_check_at.is_(None), FEEDS.c.next_check_at <= now))
        stmt = stmt.order_by(FEEDS.c.next_check_at.asc().nulls_first(), FEEDS.c.id)
        rows = conn.execute(stmt.limit(limit).with_for_update(skip_locked=True)).all()
        for row in rows:
            if row.lease_owner is not None and row.lease_owner != owner:
                # The previous holder died or stalled past its lease: say so, it is rare.
                metrics.LEASE_TAKEOVERS.labels("feed").inc()
        claimed = [row.id for row in rows]
        for start in range(0, len(claimed), _IDS_PER_STATEMENT):
            conn.execute(update(FEEDS).where(
                FEEDS.c.id.in_(claimed[start:start + _IDS_PER_STATEMENT])).values(
                lease_owner=owner, lease_expires_at=now + lease))
        return [FeedRef(r.id, r.url, r.etag, r.last_modified, r.body_hash, r.interval_seconds,
                        r.error_count, tuple(sorted((r.headers or {}).items()))) for r in rows]


def release_feeds(engine: Engine, owner: str, ids: Sequence[int]) -> None:
    """Give back leases not used (shutdown), so another daemon can take them at once."""
    if not ids:
        return
    ids = list(ids)
    with engine.begin() as conn:
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            conn.execute(update(FEEDS).where(
                FEEDS.c.id.in_(ids[start:start + _IDS_PER_STATEMENT]),
                FEEDS.c.lease_owner == owner).values(lease_owner=None, lease_expires_at=None))


def record_quiet(conn: Connection, outcomes: Sequence[tuple[int, FetchResult, datetime]],
                 now: datetime) -> None:
    """Record 304s and same-bytes answers of many feeds in one statement, as record_outcome would.

    Most polls of a running daemon are these; one ORM row loaded and flushed each cost more
    than the fetch. Moves (a redirect seen) and failures go through record_outcome, in the
    caller's transaction (`conn` may be a session's connection).
    """
    rows = []
    for feed_id, result, next_check_at in outcomes:
        if not is_quiet(result):
            raise ValueError(f"record_quiet: {result.kind} of feed {feed_id} is not quiet")
        rows.append({"feed_id": feed_id, "status": result.status, "outcome": result.kind,
                     "next": next_check_at, "etag": result.etag,
                     "last_modified": result.last_modified})
    if not rows:
        return
    conn.execute(update(FEEDS).where(FEEDS.c.id == bindparam("feed_id")).values(
        last_checked_at=now, last_status=bindparam("status"), last_outcome=bindparam("outcome"),
        next_check_at=bindparam("next", type_=FEEDS.c.next_check_at.type),
        lease_owner=None, lease_expires_at=None, error_count=0, last_error=None,
        last_success_at=now, last_warning=None, moved_to=None, moved_count=0,
        # A 304 repeats what we sent; a same-bytes answer may bring validators of its own.
        etag=func.coalesce(bindparam("etag", type_=FEEDS.c.etag.type), FEEDS.c.etag),
        last_modified=func.coalesce(bindparam("last_modified", type_=FEEDS.c.last_modified.type),
                                    FEEDS.c.last_modified)), rows)
