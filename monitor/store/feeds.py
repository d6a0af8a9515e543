"""Feed rows through the ORM: adding, listing, health, recording an outcome that changes a feed.

The Core statements of every poll (the config's feeds, leases, quiet checks) are in
monitor.store.polling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, or_
from sqlmodel import Session, col, select

from monitor.errors import StoreError
from monitor.settings import FeedSettings, FetchSettings
from monitor.store.db import session_scope
from monitor.store.models import Feed
from monitor.values import FetchResult


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


def due_count(engine: Engine, now: datetime) -> int:
    """Enabled feeds whose check is due: the polling queue's depth."""
    with Session(engine) as s:
        stmt = select(func.count()).select_from(Feed).where(
            col(Feed.enabled).is_(True),
            or_(col(Feed.next_check_at).is_(None), col(Feed.next_check_at) <= now))
        return int(s.exec(stmt).one())


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
