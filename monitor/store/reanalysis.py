"""Stored articles read back for `monitor reanalyze`, and their new analyses written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from monitor.store.models import Article, Feed
from monitor.values import Entry


@dataclass(frozen=True, slots=True)
class StoredText:
    """A stored article as the analyzer reads it again, with where and when it came from."""

    id: int
    feed_id: int
    feed_url: str
    entry: Entry
    fetched: datetime
    analysis: dict[str, Any] | None
    story_id: int | None = None


def _when() -> Any:
    """An article's time: published, else fetched."""
    return func.coalesce(col(Article.published_at), col(Article.fetched_at))


def article_ids_since(engine: Engine, since: datetime | None) -> list[int]:
    """Ids of the articles from `since` on, in time order (published, else fetched)."""
    with Session(engine) as s:
        stmt: Any = select(Article.id)
        if since is not None:
            stmt = stmt.where(_when() >= since)
        return [int(i) for i in s.exec(stmt.order_by(_when(), col(Article.id)))]


def load_articles(engine: Engine, ids: Sequence[int]) -> list[StoredText]:
    """These articles, in the order of `ids`."""
    with Session(engine) as s:
        rows = s.exec(select(Article, Feed.url).join(Feed, col(Feed.id) == col(Article.feed_id))
                      .where(col(Article.id).in_(list(ids))))
        found = {}
        for a, feed_url in rows:
            assert a.id is not None and a.fetched_at is not None
            entry = Entry(item_key=str(a.id), guid=a.guid, url=a.url,
                          canonical_url=a.canonical_url, title=a.title, summary=a.summary,
                          content=a.content, author=a.author, published=a.published_at,
                          content_hash=a.content_hash, language=a.language)
            found[a.id] = StoredText(a.id, a.feed_id, feed_url, entry, a.fetched_at, a.analysis,
                                     a.story_id)
        return [found[i] for i in ids if i in found]


def save_analysis(s: Session, article_id: int, relevant: bool | None, score: float | None,
                  analysis: dict[str, Any] | None, version: str | None) -> None:
    """Replace an article's stored analysis, in the caller's transaction."""
    s.execute(update(Article).where(col(Article.id) == article_id).values(
        relevant=relevant, score=score, analysis=analysis, analysis_version=version))
