"""The schema, as SQLModel tables; migrations/ must agree with it (tests check for drift)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from monitor.store.types import BigID, UTCDateTime


def _ts(nullable: bool = True, index: bool = False) -> Any:
    """An aware timestamp column."""
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Feed(SQLModel, table=True):
    """A polled feed and its whole schedule and fetch state."""

    __tablename__ = "feeds"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    name: str | None = Field(default=None, sa_column=Column(Text))
    title: str | None = Field(default=None, sa_column=Column(Text))
    site_url: str | None = Field(default=None, sa_column=Column(Text))
    source: str = Field(default="cli", max_length=16)  # config | cli | opml
    enabled: bool = Field(default=True)
    interval_seconds: int | None = Field(default=None)
    headers: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    next_check_at: datetime | None = _ts(index=True)
    last_checked_at: datetime | None = _ts()
    last_success_at: datetime | None = _ts()
    last_new_at: datetime | None = _ts()
    etag: str | None = Field(default=None, sa_column=Column(Text))
    last_modified: str | None = Field(default=None, sa_column=Column(Text))
    body_hash: str | None = Field(default=None, max_length=64)
    last_status: int | None = Field(default=None)
    last_outcome: str | None = Field(default=None, max_length=32)
    error_count: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_warning: str | None = Field(default=None, sa_column=Column(Text))
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text))
    moved_to: str | None = Field(default=None, sa_column=Column(Text))
    moved_count: int = Field(default=0)
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_expires_at: datetime | None = _ts()
    created_at: datetime | None = _ts(nullable=False)


class Article(SQLModel, table=True):
    """One article, stored once however many feeds carry it."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_published", "published_at"),
        Index("ix_articles_relevant_published", "relevant", "published_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigID, primary_key=True,
                                                           autoincrement=True))
    feed_id: int = Field(foreign_key="feeds.id", index=True, ondelete="CASCADE")
    guid: str | None = Field(default=None, sa_column=Column(Text))
    url: str | None = Field(default=None, sa_column=Column(Text))
    # Level 2 of dedup: one article per canonical URL, enforced here (NULLs never collide).
    canonical_url: str | None = Field(default=None, sa_column=Column(Text, unique=True))
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    content: str = Field(default="", sa_column=Column(Text, nullable=False))
    author: str | None = Field(default=None, sa_column=Column(Text))
    language: str | None = Field(default=None, max_length=32)
    published_at: datetime | None = _ts()
    fetched_at: datetime | None = _ts(nullable=False)
    updated_at: datetime | None = _ts()
    content_hash: str = Field(max_length=64)
    relevant: bool | None = Field(default=None)
    score: float | None = Field(default=None)
    analysis: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    analysis_version: str | None = Field(default=None, max_length=64)
    # Level 3 of dedup (monitor.stories); search collapses results on it.
    story_id: int | None = Field(default=None, sa_column=Column(
        BigID, ForeignKey("stories.id", ondelete="SET NULL"), nullable=True, index=True))


class ArticleEntry(SQLModel, table=True):
    """One sighting of an article in one feed; level 1 of dedup is its unique key."""

    __tablename__ = "article_entries"
    __table_args__ = (UniqueConstraint("feed_id", "item_key", name="uq_entries_feed_item"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feeds.id", ondelete="CASCADE")
    item_key: str = Field(sa_column=Column(Text, nullable=False))
    article_id: int = Field(sa_column=Column(
        BigID, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False, index=True))
    content_hash: str = Field(max_length=64)
    seen_at: datetime | None = _ts(nullable=False)


class DaemonLock(SQLModel, table=True):
    """Live daemons: their heartbeat tells readiness and lease takeovers."""

    __tablename__ = "daemons"

    id: str = Field(primary_key=True, max_length=128)
    host: str = Field(max_length=255)
    pid: int
    started_at: datetime | None = _ts(nullable=False)
    heartbeat_at: datetime | None = _ts(nullable=False)


# Knowledge and alert tables live beside; imported here so Alembic and the store see them.
from monitor.store import facts_models, story_models  # noqa: E402,F401
