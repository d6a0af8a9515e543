"""Article rows: exact dedup (per feed, and by canonical URL across feeds), storing analyses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from monitor.store.models import Article, ArticleEntry
from monitor.store.stories import record_title
from monitor.values import Entry

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Analysed:
    """An entry with its analysis, ready to store."""

    entry: Entry
    relevant: bool | None = None
    score: float | None = None
    analysis: dict[str, Any] | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article the store has just created or changed, for the stages after it."""

    id: int
    feed_id: int
    created: bool
    entry: Entry
    relevant: bool | None
    analysis: dict[str, Any] | None


def known_keys(engine: Engine, feed_id: int, keys: Iterable[str]) -> dict[str, str]:
    """The item keys of this feed already stored, with the content hash last seen."""
    keys = list(keys)
    found: dict[str, str] = {}
    with Session(engine) as s:
        for i in range(0, len(keys), CHUNK):
            rows = s.exec(select(ArticleEntry.item_key, ArticleEntry.content_hash).where(
                ArticleEntry.feed_id == feed_id, col(ArticleEntry.item_key).in_(keys[i:i + CHUNK])))
            found.update(dict(rows.all()))
    return found


def dialect_insert(s: Session) -> Any:
    """The dialect's INSERT with ON CONFLICT support."""
    return postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert


def store_entries(s: Session, feed_id: int, items: Sequence[Analysed], now: datetime,
                  known: dict[str, str]) -> list[StoredArticle]:
    """Store new entries and edits of known ones in the caller's transaction; return them."""
    ins = dialect_insert(s)
    out: list[StoredArticle] = []
    for item in items:
        e = item.entry
        if e.item_key in known:
            if known[e.item_key] != e.content_hash:
                changed = _update_edit(s, feed_id, item, now)
                if changed is not None:
                    out.append(changed)
            continue
        values = dict(
            feed_id=feed_id, guid=e.guid, url=e.url, canonical_url=e.canonical_url,
            title=e.title, summary=e.summary, content=e.content, author=e.author,
            language=e.language, published_at=e.published, fetched_at=now,
            content_hash=e.content_hash, relevant=item.relevant, score=item.score,
            analysis=item.analysis, analysis_version=item.version,
        )
        article_id = None
        if e.canonical_url:
            # Level 2: another feed may already hold this article; keep the first copy.
            stmt = ins(Article).values(**values).on_conflict_do_nothing(
                index_elements=["canonical_url"]).returning(col(Article.id))
            article_id = s.execute(stmt).scalar()
        else:
            article_id = s.execute(insert(Article).values(**values).returning(col(Article.id))).scalar()
        created = article_id is not None
        if article_id is None:
            article_id = s.exec(select(Article.id).where(
                Article.canonical_url == e.canonical_url)).one()
        entry_stmt = ins(ArticleEntry).values(
            feed_id=feed_id, item_key=e.item_key, article_id=article_id,
            content_hash=e.content_hash, seen_at=now,
        ).on_conflict_do_nothing(index_elements=["feed_id", "item_key"]).returning(
            col(ArticleEntry.id))
        if s.execute(entry_stmt).scalar() is None:
            # Another process stored this sighting meanwhile; undo our copy so none is doubled.
            if created:
                s.execute(delete(Article).where(col(Article.id) == article_id))
            continue
        if created:
            assert article_id is not None
            out.append(StoredArticle(article_id, feed_id, True, e, item.relevant, item.analysis))
    return out


def _update_edit(s: Session, feed_id: int, item: Analysed, now: datetime) -> StoredArticle | None:
    """An item re-published with new text: update the article in place."""
    e = item.entry
    sighting = s.exec(select(ArticleEntry).where(
        ArticleEntry.feed_id == feed_id, ArticleEntry.item_key == e.item_key)).first()
    if sighting is None:
        return None
    sighting.content_hash = e.content_hash
    article = s.get(Article, sighting.article_id)
    if article is None:
        return None
    if article.title != e.title:
        record_title(s, sighting.article_id, article.title, now)
    article.title, article.summary, article.content = e.title, e.summary, e.content
    article.content_hash = e.content_hash
    article.updated_at = now
    article.published_at = article.published_at or e.published
    article.relevant, article.score = item.relevant, item.score
    article.analysis, article.analysis_version = item.analysis, item.version
    assert article.id is not None
    return StoredArticle(article.id, feed_id, False, e, item.relevant, item.analysis)


def count_articles(engine: Engine) -> int:
    """How many articles the store holds."""
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(Article)).one())


def prune_irrelevant(engine: Engine, older_than: datetime) -> int:
    """Delete irrelevant articles fetched before `older_than`; return how many went."""
    with Session(engine) as s:
        result = s.execute(delete(Article).where(
            col(Article.relevant).is_(False), col(Article.fetched_at) < older_than))
        s.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
