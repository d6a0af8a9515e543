"""What queries return: typed, frozen values shared by the CLI, the API and the web page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")
Sort = Literal["relevance", "newest"]


class _Value(BaseModel):
    """A frozen result value."""

    model_config = ConfigDict(frozen=True)


class Page(_Value, Generic[T]):
    """One page of results; `truncated` is true when the row cap cut the answer short."""

    items: list[T]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")
    truncated: bool = Field(False, description="the row cap (server.max_rows) cut the result")
    limit: int = Field(description="rows asked for, after the row cap")


class FeedRef(_Value):
    """A feed an article was seen in."""

    id: int
    url: str
    name: str | None = None


class ArticleHit(_Value):
    """One search result or listed article."""

    id: int
    title: str
    url: str | None
    source: str | None = Field(None, description="name or URL of the feed it came from")
    feed_id: int
    published_at: datetime | None
    relevant: bool | None
    score: float | None = Field(None, description="relevance to the talks, from the analysis")
    rank: float | None = Field(None, description="search rank, higher is better")
    snippet_html: str = Field("", description="HTML-safe excerpt; matches wrapped in <mark>")
    story_id: int | None = None


class RoundBrief(_Value):
    """A round as it appears in lists."""

    id: int
    ordinal: int | None
    city: str | None
    region: str | None
    country: str | None
    date: date
    date_estimated: bool
    status: str
    parties: list[str]
    outcome: str | None
    first_seen_at: datetime | None
    updated_at: datetime | None
    articles: int = Field(0, description="articles reporting it")


class TermRow(_Value):
    """A term per key, proposer and round."""

    id: int
    key: str
    proposer: str | None
    stance: str
    round_id: int | None
    attributes: dict[str, Any]
    first_seen_at: datetime | None
    updated_at: datetime | None
    articles: int = Field(0, description="articles stating it")


class Evidence(_Value):
    """An article and the sentence in it."""

    article_id: int
    title: str
    url: str | None
    published_at: datetime | None
    sentence: str
    status: str | None = None
    stance: str | None = None


class RoundDetail(_Value):
    """One round with its articles, terms and status history."""

    round: RoundBrief
    status_history: list[dict[str, Any]]
    terms: list[TermRow]
    articles: list[Evidence]
    truncated: bool = False


class ArticleDetail(_Value):
    """One article with where it was seen and what the analysis found."""

    id: int
    title: str
    summary: str
    content: str
    url: str | None
    canonical_url: str | None
    author: str | None
    language: str | None
    published_at: datetime | None
    fetched_at: datetime | None
    updated_at: datetime | None
    relevant: bool | None
    score: float | None
    analysis: dict[str, Any] | None
    feeds: list[FeedRef]
    rounds: list[RoundBrief]
    terms: list[TermRow]
    story_id: int | None = None


class FeedHealth(_Value):
    """A feed and how its polling goes."""

    id: int
    url: str
    name: str | None
    title: str | None
    enabled: bool
    health: Literal["ok", "erroring", "failing", "silent", "disabled", "new"]
    last_checked_at: datetime | None
    last_success_at: datetime | None
    last_new_at: datetime | None = None
    next_check_at: datetime | None
    last_status: int | None
    last_outcome: str | None
    error_count: int
    last_error: str | None
    disabled_reason: str | None
    articles: int


class DeliveryRow(_Value):
    """One delivery of one event to one channel."""

    channel: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class AlertRow(_Value):
    """An event and the state of its deliveries."""

    id: str
    type: str
    round_id: int | None
    alerted: bool
    created_at: datetime | None
    summary: str | None
    payload: dict[str, Any]
    deliveries: list[DeliveryRow]
