"""Feeds and their health, read-only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from monitor.query.session import Limits
from monitor.query.values import FeedHealth, Page
from monitor.store.feeds import HealthRule
from monitor.store.models import ArticleEntry, Feed


def list_feeds(session: Session, limits: Limits, health: HealthRule | None = None) -> Page[FeedHealth]:
    """Every feed with its polling state and how many articles it brought."""
    n = (select(col(ArticleEntry.feed_id), func.count().label("n"))
         .group_by(col(ArticleEntry.feed_id)).subquery())
    stmt: Any = (select(Feed, func.coalesce(n.c.n, 0)).outerjoin(n, n.c.feed_id == col(Feed.id))
                 .order_by(col(Feed.id)).limit(limits.max_rows + 1))
    rows = session.execute(stmt).all()
    rule = health or HealthRule()
    now = datetime.now(UTC)
    items = []
    for f, count in rows[:limits.max_rows]:
        assert f.id is not None
        items.append(FeedHealth(
            id=f.id, url=f.url, name=f.name, title=f.title, enabled=f.enabled, health=rule(f, now),
            last_checked_at=f.last_checked_at, last_success_at=f.last_success_at,
            last_new_at=f.last_new_at,
            next_check_at=f.next_check_at, last_status=f.last_status, last_outcome=f.last_outcome,
            error_count=f.error_count, last_error=f.last_error, disabled_reason=f.disabled_reason,
            articles=int(count)))
    return Page[FeedHealth](items=items, truncated=len(rows) > limits.max_rows,
                            limit=limits.max_rows)
