"""Story rows: LSH buckets and signatures in, candidates and outlets out, all in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, delete, func, insert, text, update
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


def save_signature(s: Session, article_id: int, signature: bytes, keys: Sequence[int],
                   replace: bool = False) -> None:
    """Store an article's signature and LSH buckets (replacing an edited version's)."""
    conn = s.connection()
    if replace:
        conn.execute(delete(_BANDS).where(_BANDS.c.article_id == article_id))
        conn.execute(delete(_SIGS).where(_SIGS.c.article_id == article_id))
    conn.execute(insert(_SIGS).values(article_id=article_id, signature=signature))
    if keys:
        conn.execute(insert(_BANDS), [{"key": k, "article_id": article_id} for k in keys])


# An arbitrary fixed id for PostgreSQL's advisory lock of this stage ("stories" in ASCII).
_STORIES_LOCK = 0x73746F72696573


def lock_stories(s: Session) -> None:
    """On PostgreSQL, hold the stories lock until commit: daemons place articles one at a time.

    Without it, two daemons storing copies of one story at once would each miss the other's
    uncommitted copy and start two stories. One lock, not one per bucket: an article has 32
    buckets and a poll dozens of articles, which would fill PostgreSQL's lock table; placing
    takes a few ms an article, so one at a time still places hundreds a second.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.connection().execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _STORIES_LOCK})


def find_candidates(s: Session, keys: Sequence[int], exclude: int, limit: int) -> list[Candidate]:
    """Placed articles sharing a bucket, newest first, with their stories: O(bands) probes."""
    if not keys:
        return []
    ids = (core_select(_BANDS.c.article_id)
           .where(_BANDS.c.key.in_(keys), _BANDS.c.article_id != exclude)
           .distinct().order_by(_BANDS.c.article_id.desc()).limit(limit))
    rows = s.connection().execute(
        core_select(_ARTICLES.c.id, _ARTICLES.c.title, _SIGS.c.signature, _STORIES.c.id,
                    _STORIES.c.first_seen_at, _STORIES.c.rounds)
        .join(_SIGS, _SIGS.c.article_id == _ARTICLES.c.id)
        .join(_STORIES, _STORIES.c.id == _ARTICLES.c.story_id)
        .where(_ARTICLES.c.id.in_(ids.scalar_subquery())))
    return [Candidate(int(r[0]), r[1], bytes(r[2]), StoryInfo(int(r[3]), r[4], r[5])) for r in rows]


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


def feed_outlet(s: Session, feed_id: int) -> str:
    """The outlet name of one feed."""
    row = s.connection().execute(core_select(_FEEDS.c.name, _FEEDS.c.site_url, _FEEDS.c.url)
                                 .where(_FEEDS.c.id == feed_id)).first()
    return outlet_name(row[0], row[1], row[2]) if row is not None else f"feed {feed_id}"


def create_story(s: Session, article_id: int, when: datetime, outlet: str,
                 rounds: list[dict[str, Any]] | None, now: datetime) -> int:
    """A new story whose representative is this article; return its id."""
    conn = s.connection()
    story_id = conn.execute(insert(_STORIES).values(
        representative_id=article_id, first_seen_at=when, updated_at=now, article_count=1,
        outlets=[outlet], rounds=rounds or None).returning(_STORIES.c.id)).scalar_one()
    conn.execute(update(_ARTICLES).where(_ARTICLES.c.id == article_id).values(story_id=story_id))
    return int(story_id)


def join_story(s: Session, story_id: int, article_id: int, when: datetime, outlet: str,
               rounds: list[dict[str, Any]] | None, now: datetime) -> None:
    """Add an article to a story, merging its outlet, time and (if first) round identity."""
    conn = s.connection()
    # FOR UPDATE: two daemons joining one story must not lose each other's outlet.
    first_seen, old_outlets, old_rounds = conn.execute(
        core_select(_STORIES.c.first_seen_at, _STORIES.c.outlets, _STORIES.c.rounds)
        .where(_STORIES.c.id == story_id).with_for_update()).one()
    outlets = list(old_outlets or [])
    if outlet not in outlets:
        outlets.append(outlet)
    values: dict[str, Any] = {"article_count": _STORIES.c.article_count + 1, "outlets": outlets,
                              "updated_at": now}
    if first_seen is None or when < first_seen:
        values["first_seen_at"] = when
    if rounds and not old_rounds:
        values["rounds"] = rounds
    conn.execute(update(_STORIES).where(_STORIES.c.id == story_id).values(**values))
    conn.execute(update(_ARTICLES).where(_ARTICLES.c.id == article_id).values(story_id=story_id))


def story_of(s: Session, article_id: int) -> int | None:
    """The story an article belongs to, if it has been placed."""
    return s.connection().execute(
        core_select(_ARTICLES.c.story_id).where(_ARTICLES.c.id == article_id)).scalar()


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
