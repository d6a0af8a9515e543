"""Feeds and their health, read-only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from monitor.query.session import Limits
from monitor.query.values import FeedHealth, Page
from monitor.store.models import ArticleEntry, Feed


def _health(f: Feed) -> str:
    """ok, failing (errors since the last success), disabled, or new (never checked)."""
    if not f.enabled or f.disabled_reason:
        return "disabled"
    if f.last_checked_at is None:
        return "new"
    return "failing" if f.error_count > 0 else "ok"


def list_feeds(session: Session, limits: Limits) -> Page[FeedHealth]:
    """Every feed with its polling state and how many articles it brought."""
    n = (select(col(ArticleEntry.feed_id), func.count().label("n"))
         .group_by(col(ArticleEntry.feed_id)).subquery())
    stmt: Any = (select(Feed, func.coalesce(n.c.n, 0)).outerjoin(n, n.c.feed_id == col(Feed.id))
                 .order_by(col(Feed.id)).limit(limits.max_rows + 1))
    rows = session.execute(stmt).all()
    items = []
    for f, count in rows[:limits.max_rows]:
        assert f.id is not None
        items.append(FeedHealth(
            id=f.id, url=f.url, name=f.name, title=f.title, enabled=f.enabled, health=_health(f),
            last_checked_at=f.last_checked_at, last_success_at=f.last_success_at,
            next_check_at=f.next_check_at, last_status=f.last_status, last_outcome=f.last_outcome,
            error_count=f.error_count, last_error=f.last_error, disabled_reason=f.disabled_reason,
            articles=int(count)))
    return Page[FeedHealth](items=items, truncated=len(rows) > limits.max_rows,
                            limit=limits.max_rows)
