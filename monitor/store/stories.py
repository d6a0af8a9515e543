"""Story rows: LSH buckets and signatures in, candidates and outlets out, all in SQL."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, bindparam, delete, func, insert, text, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from monitor.store.db import session_scope
from monitor.store.models import Article, ArticleEntry, Feed
from monitor.store.story_models import ArticleSignature, ArticleTitle, Story, StoryBand

_HOST_PREFIXES = ("www.", "feeds.", "feed.", "rss.", "m.")

# Core tables, not ORM entities: these statements run for every article, and the ORM's
# bulk-persistence layer costs more than SQLite itself here.
_ARTICLES = Article.__table__  # type: ignore[attr-defined]
_SIGS = ArticleSignature.__table__  # type: ignore[attr-defined]
_BANDS = StoryBand.__table__  # type: ignore[attr-defined]
_STORIES = Story.__table__  # type: ignore[attr-defined]
_FEEDS = Feed.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class StoryInfo:
    """What placing an article needs to know about a story."""

    id: int
    first_seen_at: datetime
    rounds: list[dict[str, Any]] | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A placed article that shares an LSH band with the one being placed, and its story."""

    article_id: int
    title: str
    signature: bytes
    story: StoryInfo


def forget_signatures(s: Session, article_ids: Collection[int]) -> None:
    """Drop the signatures and LSH buckets of articles (edited ones get new ones)."""
    if article_ids:
        conn = s.connection()
        conn.execute(delete(_BANDS).where(_BANDS.c.article_id.in_(list(article_ids))))
        conn.execute(delete(_SIGS).where(_SIGS.c.article_id.in_(list(article_ids))))


def save_signatures(s: Session, rows: Sequence[tuple[int, bytes, Sequence[int]]]) -> None:
    """Store articles' signatures and LSH buckets: two statements for any number of articles."""
    if not rows:
        return
    conn = s.connection()
    conn.execute(insert(_SIGS), [{"article_id": a, "signature": sig} for a, sig, _ in rows])
    # 32 bucket rows an article are most of a poll's writes: plain tuples straight to the
    # driver (SQLAlchemy's per-row parameter handling cost as much as SQLite), in key order
    # (each B-tree page is visited once, not once per row: half the time at a million rows).
    bands = sorted((k, a) for a, _, keys in rows for k in keys)
    if not bands:
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "INSERT INTO story_bands (key, article_id) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[])",
            ([k for k, _ in bands], [a for _, a in bands]))
    else:
        conn.exec_driver_sql("INSERT INTO story_bands (key, article_id) VALUES (?, ?)", bands)


# An arbitrary fixed id for PostgreSQL's advisory lock of this stage ("stories" in ASCII).
_STORIES_LOCK = 0x73746F72696573


def lock_stories(s: Session) -> None:
    """On PostgreSQL, hold the stories lock until commit: daemons place articles one at a time.

    Without it, two daemons storing copies of one story at once would each miss the other's
    uncommitted copy and start two stories. One lock, not one per bucket: an article has 32
    buckets and a poll dozens of articles, which would fill PostgreSQL's lock table; placing
    a poll's articles takes a few statements, so one at a time still places thousands a second.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.connection().execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _STORIES_LOCK})


def bucket_members(s: Session, keys: Collection[int], limit: int) -> dict[int, list[int]]:
    """The newest `limit` articles of each bucket, by key: one index probe a key, never a scan.

    The newest `limit` of an article's candidates (all buckets together) are always among
    these. Members of one bucket are adjacent in the primary key, so a large bucket costs
    a sequential read, not a probe a member.
    """
    found: dict[int, list[int]] = {}
    if not keys:
        return found
    conn = s.connection()
    todo = sorted(keys)
    # The keys travel as one parameter (an array, a JSON list): one statement text whatever
    # their number. An IN list of n markers is a new statement for every n, each compiled by
    # SQLAlchemy in Python and kept, thousands of parameters long, in the driver's cache.
    # The rows (hundreds of thousands in a first poll) are read with the driver's fetchall:
    # SQLAlchemy's row objects cost three times what SQLite does here.
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            cursor.execute("SELECT key, article_id FROM story_bands WHERE key = ANY(%s)", (todo,))
        else:
            cursor.execute("SELECT key, article_id FROM story_bands "
                           "WHERE key IN (SELECT value FROM json_each(?))", (json.dumps(todo),))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    for key, article_id in rows:
        found.setdefault(key, []).append(article_id)
    for ids in found.values():
        ids.sort(reverse=True)
        del ids[limit:]
    return found


def placed_articles(s: Session, ids: Collection[int]) -> dict[int, Candidate]:
    """These articles with their signatures and stories, those not yet placed left out."""
    if not ids:
        return {}
    rows = s.connection().execute(
        core_select(_ARTICLES.c.id, _ARTICLES.c.title, _SIGS.c.signature, _STORIES.c.id,
                    _STORIES.c.first_seen_at, _STORIES.c.rounds)
        .join(_SIGS, _SIGS.c.article_id == _ARTICLES.c.id)
        .join(_STORIES, _STORIES.c.id == _ARTICLES.c.story_id)
        .where(_ARTICLES.c.id.in_(list(ids))))
    return {int(r[0]): Candidate(int(r[0]), r[1], bytes(r[2]), StoryInfo(int(r[3]), r[4], r[5]))
            for r in rows}


def outlet_name(name: str | None, site_url: str | None, url: str) -> str:
    """How an outlet is named: the feed's name, else its site's host, else the feed's host."""
    if name:
        return name
    host = urlsplit(site_url or "").hostname or urlsplit(url).hostname or url
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            return host[len(prefix):]
    return host


def outlet_of(feed: Feed) -> str:
    """The outlet name of a feed row."""
    return outlet_name(feed.name, feed.site_url, feed.url)


def feed_outlets(s: Session, feed_ids: Collection[int]) -> dict[int, str]:
    """The outlet names of these feeds."""
    rows = s.connection().execute(core_select(_FEEDS.c.id, _FEEDS.c.name, _FEEDS.c.site_url,
                                              _FEEDS.c.url).where(_FEEDS.c.id.in_(list(feed_ids))))
    found = {int(r[0]): outlet_name(r[1], r[2], r[3]) for r in rows}
    return {f: found.get(f, f"feed {f}") for f in feed_ids}


@dataclass(slots=True)
class NewStory:
    """A story this transaction starts: its first member represents it."""

    representative_id: int
    first_seen_at: datetime
    outlets: list[str]
    rounds: list[dict[str, Any]] | None
    members: list[int]


@dataclass(slots=True)
class Joined:
    """What a transaction adds to a story already stored."""

    first_seen_at: datetime
    outlets: list[str]
    rounds: list[dict[str, Any]] | None
    members: list[int]


def create_stories(s: Session, new: Sequence[NewStory], now: datetime) -> list[int]:
    """Insert new stories and point their members at them; return the stories' ids in order."""
    if not new:
        return []
    conn = s.connection()
    # One INSERT for all, ids back in the order of the rows (SQLAlchemy's insertmanyvalues).
    ids = [int(i) for i in conn.execute(
        insert(_STORIES).returning(_STORIES.c.id, sort_by_parameter_order=True),
        [{"representative_id": n.representative_id, "first_seen_at": n.first_seen_at,
          "updated_at": now, "article_count": len(n.members), "outlets": n.outlets,
          "rounds": n.rounds or None} for n in new]).scalars()]
    _point(s, [(a, sid) for n, sid in zip(new, ids, strict=True) for a in n.members])
    return ids


def join_stories(s: Session, joined: dict[int, Joined], now: datetime) -> None:
    """Add members to stored stories, merging outlets, earliest time and (if none) rounds."""
    if not joined:
        return
    conn = s.connection()
    # FOR UPDATE: two daemons joining one story must not lose each other's outlet.
    current = {int(r[0]): r[1:] for r in conn.execute(
        core_select(_STORIES.c.id, _STORIES.c.first_seen_at, _STORIES.c.outlets, _STORIES.c.rounds)
        .where(_STORIES.c.id.in_(list(joined))).with_for_update())}
    rows = []
    for story_id, add in joined.items():
        if story_id not in current:
            continue
        first_seen, old_outlets, old_rounds = current[story_id]
        outlets = list(old_outlets or [])
        outlets += [o for o in add.outlets if o not in outlets]
        rows.append({"sid": story_id, "added": len(add.members), "outlets": outlets,
                     "first_seen_at": add.first_seen_at if first_seen is None
                     else min(first_seen, add.first_seen_at),
                     "rounds": old_rounds or add.rounds or None})
    conn.execute(update(_STORIES).where(_STORIES.c.id == bindparam("sid")).values(
        article_count=_STORIES.c.article_count + bindparam("added"), updated_at=now,
        outlets=bindparam("outlets", type_=_STORIES.c.outlets.type),
        first_seen_at=bindparam("first_seen_at", type_=_STORIES.c.first_seen_at.type),
        rounds=bindparam("rounds", type_=_STORIES.c.rounds.type)), rows)
    _point(s, [(a, sid) for sid, add in joined.items() if sid in current for a in add.members])


def _point(s: Session, pairs: Sequence[tuple[int, int]]) -> None:
    """Set articles.story_id for (article, story) pairs, in one executemany."""
    if pairs:
        s.connection().execute(
            update(_ARTICLES).where(_ARTICLES.c.id == bindparam("aid")).values(
                story_id=bindparam("sid")), [{"aid": a, "sid": sid} for a, sid in pairs])


def stories_of(s: Session, article_ids: Collection[int]) -> dict[int, int]:
    """The stories these articles belong to, for those that have been placed."""
    if not article_ids:
        return {}
    rows = s.connection().execute(core_select(_ARTICLES.c.id, _ARTICLES.c.story_id).where(
        _ARTICLES.c.id.in_(list(article_ids)), _ARTICLES.c.story_id.is_not(None)))
    return {int(a): int(sid) for a, sid in rows}


def story_of(s: Session, article_id: int) -> int | None:
    """The story an article belongs to, if it has been placed."""
    return stories_of(s, [article_id]).get(article_id)


def story_outlets(s: Session, article_id: int) -> list[str]:
    """Every outlet that carried the article's story (all feeds of all members), first first."""
    story_id = story_of(s, article_id)
    members = (select(Article.id).where(col(Article.story_id) == story_id) if story_id is not None
               else select(Article.id).where(col(Article.id) == article_id))
    rows = s.execute(
        select(Feed).join(ArticleEntry, col(ArticleEntry.feed_id) == col(Feed.id))
        .where(col(ArticleEntry.article_id).in_(members.scalar_subquery()))
        .order_by(col(ArticleEntry.seen_at), col(ArticleEntry.id))).scalars()
    out: list[str] = []
    for feed in rows:
        name = outlet_of(feed)
        if name not in out:
            out.append(name)
    return out


def record_title(s: Session, article_id: int, old_title: str, now: datetime) -> None:
    """Keep a title an edit is about to replace."""
    s.add(ArticleTitle(article_id=article_id, title=old_title, replaced_at=now))


def title_history(s: Session, article_id: int) -> list[str]:
    """The article's titles, oldest first, ending with the current one."""
    old = s.exec(select(ArticleTitle.title).where(ArticleTitle.article_id == article_id)
                 .order_by(col(ArticleTitle.id))).all()
    current = s.exec(select(Article.title).where(Article.id == article_id)).first()
    return [*old, *([current] if current is not None else [])]


def prune_stories(engine: Engine) -> int:
    """After articles were pruned: drop stories left empty, re-point and recount the others."""
    with session_scope(engine) as s:
        return _prune(s)


def _prune(s: Session) -> int:
    """The two statements of prune_stories, one probe of articles.story_id per story."""
    members = select(Article.id).where(col(Article.story_id) == _STORIES.c.id)
    conn = s.connection()
    gone = conn.execute(delete(_STORIES).where(~members.exists())).rowcount or 0
    # A story whose representative went keeps its oldest surviving member as representative.
    orphaned = ~select(Article.id).where(col(Article.id) == _STORIES.c.representative_id).exists()
    conn.execute(update(_STORIES).where(orphaned).values(
        representative_id=select(func.min(Article.id)).where(
            col(Article.story_id) == _STORIES.c.id).scalar_subquery(),
        article_count=select(func.count()).select_from(_ARTICLES).where(
            _ARTICLES.c.story_id == _STORIES.c.id).scalar_subquery()))
    return int(gone)
