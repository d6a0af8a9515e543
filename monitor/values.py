"""Plain frozen values passed between the stages; never ORM rows or feedparser dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.stories.fingerprint import Fingerprint


@dataclass(frozen=True, slots=True)
class FeedRef:
    """What the fetcher needs to know about one feed it is asked to poll."""

    id: int
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    interval_seconds: float | None = None
    error_count: int = 0
    headers: tuple[tuple[str, str], ...] = ()  # per-feed request headers (auth, cookies…)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one fetch; `kind` names it (ok, not_modified, unchanged, or an error)."""

    kind: str
    status: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    retry_after: float | None = None
    max_age: float | None = None
    moved_to: str | None = None
    error: str | None = None
    permanent: bool = False
    elapsed: float = 0.0

    @property
    def failed(self) -> bool:
        """True when the fetch did not produce a usable or unchanged answer."""
        return self.error is not None


@dataclass(frozen=True, slots=True)
class Entry:
    """One normalised feed item, ready for dedup and analysis."""

    item_key: str
    guid: str | None
    url: str | None
    canonical_url: str | None
    title: str
    summary: str
    content: str
    author: str | None
    published: datetime | None
    content_hash: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed and normalised feed document."""

    title: str | None
    link: str | None
    ttl_seconds: float | None
    entries: tuple[Entry, ...]
    warning: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one poll of one feed did, for the progress bar and the summary."""

    feed_id: int
    url: str
    outcome: str
    new_articles: int = 0
    updated_articles: int = 0
    error: str | None = None
    new_article_ids: tuple[int, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Analysed:
    """An entry with its analysis, ready to store."""

    entry: Entry
    relevant: bool | None = None
    score: float | None = None
    analysis: dict[str, Any] | None = None
    version: str | None = None
    fingerprint: Fingerprint | None = None  # for the stories stage, when a worker made it


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article the store has just created or changed, for the stages after it."""

    id: int
    feed_id: int
    created: bool
    entry: Entry
    relevant: bool | None
    analysis: dict[str, Any] | None
    fingerprint: Fingerprint | None = None
