"""Tables of level 3 of dedup: stories, MinHash signatures, LSH buckets and title histories."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from monitor.store.types import BigID, UTCDateTime


def _ts(nullable: bool = True) -> Any:
    """An aware timestamp column."""
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class Story(SQLModel, table=True):
    """Articles that tell the same story, whichever outlet or edit they come from."""

    __tablename__ = "stories"

    id: int | None = Field(default=None, sa_column=Column(BigID, primary_key=True,
                                                           autoincrement=True))
    # No FK: articles.story_id points here already, and a cycle would complicate deletes.
    representative_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    # Earliest publication time among the members (the fetch time when none is given).
    first_seen_at: datetime | None = _ts(nullable=False)
    updated_at: datetime | None = _ts(nullable=False)
    article_count: int = Field(default=1)
    outlets: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The round mentions of the first member that had any: the story's round identity.
    rounds: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))


class ArticleSignature(SQLModel, table=True):
    """An article's MinHash signature, packed as little-endian uint32s."""

    __tablename__ = "article_signatures"

    article_id: int = Field(sa_column=Column(
        BigID, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False))
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class StoryBand(SQLModel, table=True):
    """One LSH bucket of one article: the band index is folded into the 64-bit key.

    The primary key is the table (SQLite WITHOUT ROWID) and serves the bucket look-ups; no
    foreign key, so inserts check nothing: a trigger on articles deletes the buckets of an
    article that goes (migration stories2).
    """

    __tablename__ = "story_bands"
    __table_args__ = (Index("ix_story_bands_article_id", "article_id"),
                      {"sqlite_with_rowid": False})

    key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    article_id: int = Field(sa_column=Column(BigID, primary_key=True, autoincrement=False))


class ArticleTitle(SQLModel, table=True):
    """A title an article carried before an edit replaced it."""

    __tablename__ = "article_titles"

    id: int | None = Field(default=None, sa_column=Column(BigID, primary_key=True,
                                                           autoincrement=True))
    article_id: int = Field(sa_column=Column(
        BigID, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False, index=True))
    title: str = Field(sa_column=Column(Text, nullable=False))
    replaced_at: datetime | None = _ts(nullable=False)
