"""Article rows: exact dedup (per feed, and by canonical URL across feeds), storing analyses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, insert
from sqlmodel import Session, col, select

from monitor.store.models import Article, ArticleEntry
from monitor.store.stories import record_title
from monitor.values import Analysed, StoredArticle

CHUNK = 500


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


def insert_returning(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                     conflict: Sequence[str], returning: Sequence[str]) -> list[tuple[Any, ...]]:
    """INSERT .. ON CONFLICT (conflict) DO NOTHING RETURNING for many rows of the same keys.

    On SQLite the rows go to the driver as one multi-row INSERT, each value through the bind
    processor SQLAlchemy itself would apply: SQLAlchemy's own batching of RETURNING inserts
    cost a fifth of a first poll's writing. PostgreSQL takes SQLAlchemy's path.
    """
    if not rows:
        return []
    if conn.dialect.name != "sqlite":
        from sqlalchemy.dialects import postgresql

        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(conflict))
        return [tuple(r) for r in conn.execute(
            stmt.returning(*(table.c[c] for c in returning)), list(rows))]
    names = list(rows[0])
    procs = [table.c[n].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
             for n in names]
    marks = "(" + ", ".join("?" * len(names)) + ")"
    head = (f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ")
    tail = (f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING {', '.join(returning)}")
    out: list[tuple[Any, ...]] = []
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        # Within SQLite's 32,766 parameters a statement whatever the row count.
        step = max(1, 32_000 // len(names))
        for start in range(0, len(rows), step):
            chunk = rows[start:start + step]
            params = [p(row[n]) if p else row[n] for row in chunk
                      for n, p in zip(names, procs, strict=True)]
            cursor.execute(head + ", ".join([marks] * len(chunk)) + tail, params)
            out.extend(cursor.fetchall())
    finally:
        cursor.close()
    return out


def store_entries(s: Session, feed_id: int, items: Sequence[Analysed], now: datetime,
                  known: dict[str, str]) -> list[StoredArticle]:
    """Store new entries and edits of known ones in the caller's transaction; return them."""
    done: dict[int, StoredArticle] = {}
    new: list[tuple[int, Analysed]] = []
    keys: set[str] = set()
    for i, item in enumerate(items):
        e = item.entry
        if e.item_key in known:
            if known[e.item_key] != e.content_hash:
                changed = _update_edit(s, feed_id, item, now)
                if changed is not None:
                    done[i] = changed
            continue
        if e.item_key not in keys:  # a repeated item would only lose to its first copy
            keys.add(e.item_key)
            new.append((i, item))
    for start in range(0, len(new), CHUNK):
        done.update(_insert_new(s, feed_id, new[start:start + CHUNK], now))
    return [done[i] for i in sorted(done)]


def _article_row(feed_id: int, item: Analysed, now: datetime) -> dict[str, Any]:
    """The articles row of a new entry."""
    e = item.entry
    return dict(
        feed_id=feed_id, guid=e.guid, url=e.url, canonical_url=e.canonical_url,
        title=e.title, summary=e.summary, content=e.content, author=e.author,
        language=e.language, published_at=e.published, fetched_at=now,
        content_hash=e.content_hash, relevant=item.relevant, score=item.score,
        analysis=item.analysis, analysis_version=item.version,
    )


def _insert_new(s: Session, feed_id: int, batch: Sequence[tuple[int, Analysed]],
                now: datetime) -> dict[int, StoredArticle]:
    """New entries in three statements, not three per entry: the insert is most of a poll."""
    # Core statements on the tables, run as executemany: SQLAlchemy batches the rows into
    # multi-row INSERTs and compiles each statement once (the ORM or .values([...]) forms
    # compile hundreds of bound parameters on every call: five times slower).
    conn = s.connection()
    articles, entries = Article.__table__, ArticleEntry.__table__  # type: ignore[attr-defined]
    ids: dict[int, int] = {}
    created: set[int] = set()
    linked = [(i, item) for i, item in batch if item.entry.canonical_url]
    if linked:
        # Level 2: another feed may already hold this article; keep the first copy.
        rows = [_article_row(feed_id, item, now) for _, item in linked]
        mine = {url: aid for aid, url in insert_returning(
            conn, articles, rows, ["canonical_url"], ["id", "canonical_url"])}
        others = {e.canonical_url for _, item in linked if (e := item.entry).canonical_url not in mine}
        held: dict[str, int] = {url: aid for url, aid in s.execute(select(
            Article.canonical_url, Article.id).where(col(Article.canonical_url).in_(others)))
        } if others else {}
        for i, item in linked:
            url = item.entry.canonical_url
            assert url is not None
            if url in mine and url not in held:
                created.add(i)  # the first item with this URL made the article
            ids[i] = held.setdefault(url, mine.get(url) or held[url])
    for i, item in batch:
        if i not in ids:  # no URL, so nothing to collide with; rare enough to insert one by one
            ids[i] = s.execute(insert(Article).values(**_article_row(feed_id, item, now))
                               .returning(col(Article.id))).scalar_one()
            created.add(i)
    sighted = {key for (key,) in insert_returning(conn, entries, [
        dict(feed_id=feed_id, item_key=item.entry.item_key, article_id=ids[i],
             content_hash=item.entry.content_hash, seen_at=now) for i, item in batch
    ], ["feed_id", "item_key"], ["item_key"])}
    kept = {ids[i] for i, item in batch if item.entry.item_key in sighted}
    # Another process stored these sightings meanwhile; undo our copies so none is doubled.
    undo = {ids[i] for i, item in batch if i in created and item.entry.item_key not in sighted} - kept
    if undo:
        s.execute(delete(Article).where(col(Article.id).in_(undo)))
    return {i: StoredArticle(ids[i], feed_id, True, item.entry, item.relevant, item.analysis,
                             item.fingerprint)
            for i, item in batch if i in created and item.entry.item_key in sighted}


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
    return StoredArticle(article.id, feed_id, False, e, item.relevant, item.analysis,
                         item.fingerprint)


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
