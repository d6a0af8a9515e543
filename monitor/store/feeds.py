"""Feed rows: adding, listing, claiming due feeds with leases, recording fetch outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, Table, bindparam, func, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from monitor import metrics
from monitor.errors import StoreError
from monitor.settings import FeedSettings, FetchSettings
from monitor.store.articles import dialect_insert
from monitor.store.db import session_scope
from monitor.store.models import Feed
from monitor.values import FeedRef, FetchResult


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """A feed as shown to people: identity, schedule and health."""

    id: int
    url: str
    name: str | None
    title: str | None
    enabled: bool
    source: str
    interval_seconds: int | None
    next_check_at: datetime | None
    last_checked_at: datetime | None
    last_success_at: datetime | None
    last_outcome: str | None
    last_status: int | None
    error_count: int
    last_error: str | None
    disabled_reason: str | None
    last_new_at: datetime | None

    @classmethod
    def of(cls, row: Feed) -> FeedInfo:
        """From a row."""
        assert row.id is not None
        return cls(row.id, row.url, row.name, row.title, row.enabled, row.source,
                   row.interval_seconds, row.next_check_at, row.last_checked_at,
                   row.last_success_at, row.last_outcome, row.last_status, row.error_count,
                   row.last_error, row.disabled_reason, row.last_new_at)


def feed_health(row: Feed | FeedInfo, now: datetime, silence: timedelta,
                failing_after: int) -> str:
    """new, ok, erroring (a few errors), failing (many), silent (nothing new for long), disabled."""
    if not row.enabled:
        return "disabled"
    if row.last_checked_at is None:
        return "new"
    if row.error_count >= failing_after:
        return "failing"
    if row.error_count > 0:
        return "erroring"
    # A feed that never brought anything counts from when it was first checked successfully.
    last_new = row.last_new_at or row.last_success_at
    if last_new is not None and now - last_new > silence:
        return "silent"
    return "ok"


@dataclass(frozen=True, slots=True)
class HealthRule:
    """The thresholds of feed health, from `fetch.silence` and `fetch.failing_after`."""

    silence: timedelta = timedelta(days=7)
    failing_after: int = 3

    @classmethod
    def of(cls, fetch: FetchSettings) -> HealthRule:
        """From settings."""
        return cls(fetch.silence, fetch.failing_after)

    def __call__(self, row: Feed | FeedInfo, now: datetime) -> str:
        """The health of one feed now."""
        return feed_health(row, now, self.silence, self.failing_after)


def add_feed(engine: Engine, url: str, *, name: str | None = None,
             interval_seconds: int | None = None, source: str = "cli",
             headers: dict[str, str] | None = None, now: datetime) -> FeedInfo:
    """Add a feed, or return the existing one with that URL (re-enabling it)."""
    try:
        FeedSettings(url=url)  # the same URL check as the config file
    except ValueError:
        raise StoreError(f"feeds: {url!r} is not an http(s) URL") from None
    with session_scope(engine) as s:
        row = s.exec(select(Feed).where(Feed.url == url)).first()
        if row is None:
            row = Feed(url=url, name=name, interval_seconds=interval_seconds, source=source,
                       headers=headers, created_at=now, next_check_at=now)
            s.add(row)
        else:
            row.name = name or row.name
            row.interval_seconds = interval_seconds or row.interval_seconds
            row.headers = headers or row.headers
            if not row.enabled and row.disabled_reason != "gone":
                row.enabled, row.disabled_reason = True, None
        s.flush()
        return FeedInfo.of(row)


def remove_feed(engine: Engine, key: str) -> FeedInfo:
    """Delete a feed by id or URL, with its sightings; articles first seen there go too."""
    with session_scope(engine) as s:
        row = _find(s, key)
        info = FeedInfo.of(row)
        s.delete(row)
        return info


def _find(s: Session, key: str) -> Feed:
    """A feed by id or URL."""
    stmt = select(Feed).where(Feed.id == int(key)) if key.isdigit() else select(Feed).where(
        Feed.url == key)
    row = s.exec(stmt).first()
    if row is None:
        raise StoreError(f"store: no feed {key!r}")
    return row


def list_feeds(engine: Engine) -> list[FeedInfo]:
    """Every feed, by id."""
    with Session(engine) as s:
        return [FeedInfo.of(r) for r in s.exec(select(Feed).order_by(col(Feed.id)))]


# The feeds table itself, for statements that need no ORM rows.
_FEEDS: Table = Feed.__table__  # type: ignore[attr-defined]
# The columns sync_config_feeds sets from the config file, in the order of its tuples.
_SYNCED = (_FEEDS.c.name, _FEEDS.c.interval_seconds, _FEEDS.c.headers, _FEEDS.c.enabled,
           _FEEDS.c.disabled_reason)
# What the fetcher needs of a feed (FeedRef's fields).
_REF = (_FEEDS.c.id, _FEEDS.c.url, _FEEDS.c.etag, _FEEDS.c.last_modified, _FEEDS.c.body_hash,
        _FEEDS.c.interval_seconds, _FEEDS.c.error_count, _FEEDS.c.headers)
# Ids bound in one IN list: far under SQLite's and PostgreSQL's limits on parameters.
_IDS_PER_STATEMENT = 500


def sync_config_feeds(engine: Engine, feeds: Sequence[FeedSettings], now: datetime) -> None:
    """Make the config file's feeds exist and be enabled; disable config feeds it dropped.

    Every `monitor poll` and daemon start runs this over the whole file, where usually nothing
    changed: it reads the compared columns in one query (no ORM rows) and writes only what
    differs, new feeds in one statement and changed ones in another.
    """
    wanted = {f.url: f for f in feeds}
    with session_scope(engine) as s:
        rows = {r.url: r for r in s.execute(core_select(_FEEDS.c.id, _FEEDS.c.url,
                                                        _FEEDS.c.source, *_SYNCED))}
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
            s.execute(dialect_insert(s)(Feed).on_conflict_do_nothing(index_elements=["url"]), new)
        if changed:
            s.execute(update(_FEEDS).where(_FEEDS.c.id == bindparam("feed_id")).values(
                {c: bindparam(f"new_{c.name}") for c in _SYNCED}), changed)


def _note_change(changed: list[dict[str, Any]], row: Row[Any], values: tuple[Any, ...]) -> None:
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
    with session_scope(engine) as s:
        stmt = core_select(*_REF, _FEEDS.c.lease_owner).where(_FEEDS.c.enabled.is_(True)).where(
            or_(_FEEDS.c.lease_expires_at.is_(None), _FEEDS.c.lease_expires_at < now))
        if ids is not None:
            stmt = stmt.where(_FEEDS.c.id.in_(list(ids)))
        if due_only:
            stmt = stmt.where(or_(_FEEDS.c.next_check_at.is_(None), _FEEDS.c.next_check_at <= now))
        stmt = stmt.order_by(_FEEDS.c.next_check_at.asc().nulls_first(), _FEEDS.c.id)
        rows = s.execute(stmt.limit(limit).with_for_update(skip_locked=True)).all()
        for row in rows:
            if row.lease_owner is not None and row.lease_owner != owner:
                # The previous holder died or stalled past its lease: say so, it is rare.
                metrics.LEASE_TAKEOVERS.labels("feed").inc()
        claimed = [row.id for row in rows]
        for start in range(0, len(claimed), _IDS_PER_STATEMENT):
            s.execute(update(_FEEDS).where(
                _FEEDS.c.id.in_(claimed[start:start + _IDS_PER_STATEMENT])).values(
                lease_owner=owner, lease_expires_at=now + lease))
        return [FeedRef(r.id, r.url, r.etag, r.last_modified, r.body_hash, r.interval_seconds,
                        r.error_count, tuple(sorted((r.headers or {}).items()))) for r in rows]


def due_count(engine: Engine, now: datetime) -> int:
    """Enabled feeds whose check is due: the polling queue's depth."""
    with Session(engine) as s:
        stmt = select(func.count()).select_from(Feed).where(
            col(Feed.enabled).is_(True),
            or_(col(Feed.next_check_at).is_(None), col(Feed.next_check_at) <= now))
        return int(s.exec(stmt).one())


def release_feeds(engine: Engine, owner: str, ids: Sequence[int]) -> None:
    """Give back leases not used (shutdown), so another daemon can take them at once."""
    if not ids:
        return
    ids = list(ids)
    with session_scope(engine) as s:
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            s.execute(update(_FEEDS).where(
                _FEEDS.c.id.in_(ids[start:start + _IDS_PER_STATEMENT]),
                _FEEDS.c.lease_owner == owner).values(lease_owner=None, lease_expires_at=None))


def load_feeds(s: Session, ids: Sequence[int]) -> list[Feed]:
    """Feed rows into the session at once, so record_outcome on each needs no query of its own.

    The session's identity map holds rows weakly: a caller dropping the list would see each
    record_outcome select its row again (a query a feed), so the session's `info` keeps them.
    """
    if not ids:
        return []
    rows = list(s.exec(select(Feed).where(col(Feed.id).in_(list(ids)))))
    s.info.setdefault(_LOADED_FEEDS, []).extend(rows)
    return rows


# Where load_feeds keeps its rows in a session's info, alive as long as the session.
_LOADED_FEEDS = "monitor.store.feeds.loaded"


def record_outcome(s: Session, feed_id: int, owner: str, result: FetchResult, *,
                   now: datetime, next_check_at: datetime, moved_after: int,
                   ttl_warning: str | None = None, title: str | None = None,
                   site_url: str | None = None, new_articles: int = 0,
                   error: str | None = None) -> Feed:
    """Write one poll's outcome on the feed row and release its lease, in the caller's tx."""
    row = s.get(Feed, feed_id)
    if row is None:
        raise StoreError(f"store: feed {feed_id} vanished during its poll")
    row.last_checked_at = now
    row.last_status = result.status
    row.last_outcome = result.kind
    row.next_check_at = next_check_at
    row.lease_owner = row.lease_expires_at = None
    failure = error or result.error
    if failure:
        row.error_count += 1
        row.last_error = failure[:2000]
        if result.kind == "gone":
            row.enabled, row.disabled_reason = False, f"gone: HTTP 410 at {now:%Y-%m-%d %H:%M}Z"
        return row
    row.error_count = 0
    row.last_error = None
    row.last_success_at = now
    row.last_warning = ttl_warning
    if result.kind == "ok":
        row.etag, row.last_modified, row.body_hash = result.etag, result.last_modified, result.body_hash
    elif result.kind == "unchanged":
        # Validators may come with a same-bytes answer from a server that ignored ours.
        row.etag = result.etag or row.etag
        row.last_modified = result.last_modified or row.last_modified
    row.title = title or row.title
    row.site_url = site_url or row.site_url
    if new_articles:
        row.last_new_at = now
    _note_move(s, row, result.moved_to, moved_after)
    return row


# Outcomes record_quiet writes: a success that brought nothing to parse.
QUIET = frozenset({"not_modified", "unchanged"})


def record_quiet(s: Session, outcomes: Sequence[tuple[int, FetchResult, datetime]],
                 now: datetime) -> None:
    """Record 304s and same-bytes answers of many feeds in one statement, as record_outcome would.

    Most polls of a running daemon are these; one ORM row loaded and flushed each cost more
    than the fetch. Moves (a redirect seen) and failures go through record_outcome.
    """
    rows = []
    for feed_id, result, next_check_at in outcomes:
        if result.kind not in QUIET or result.error or result.moved_to:
            raise ValueError(f"record_quiet: {result.kind} of feed {feed_id} is not quiet")
        rows.append({"feed_id": feed_id, "status": result.status, "outcome": result.kind,
                     "next": next_check_at, "etag": result.etag,
                     "last_modified": result.last_modified})
    if not rows:
        return
    s.connection().execute(update(_FEEDS).where(_FEEDS.c.id == bindparam("feed_id")).values(
        last_checked_at=now, last_status=bindparam("status"), last_outcome=bindparam("outcome"),
        next_check_at=bindparam("next", type_=_FEEDS.c.next_check_at.type),
        lease_owner=None, lease_expires_at=None, error_count=0, last_error=None,
        last_success_at=now, last_warning=None, moved_to=None, moved_count=0,
        # A 304 repeats what we sent; a same-bytes answer may bring validators of its own.
        etag=func.coalesce(bindparam("etag", type_=_FEEDS.c.etag.type), _FEEDS.c.etag),
        last_modified=func.coalesce(bindparam("last_modified", type_=_FEEDS.c.last_modified.type),
                                    _FEEDS.c.last_modified)), rows)


def _note_move(s: Session, row: Feed, moved_to: str | None, moved_after: int) -> None:
    """Move the stored URL once the same permanent redirect has been seen often enough."""
    if not moved_to or moved_to == row.url:
        row.moved_to, row.moved_count = None, 0
        return
    row.moved_count = row.moved_count + 1 if row.moved_to == moved_to else 1
    row.moved_to = moved_to
    if row.moved_count < moved_after:
        return
    other = s.exec(select(Feed).where(Feed.url == moved_to)).first()
    if other is not None:
        row.enabled = False
        row.disabled_reason = f"moved to {moved_to}, already polled as feed {other.id}"
    else:
        row.url = moved_to
    row.moved_to, row.moved_count = None, 0
