"""Tables of knowledge (rounds, terms, their evidence) and of alerts (events, deliveries)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from monitor.store.types import BigID, UTCDateTime


def _ts(nullable: bool = True) -> Any:
    """An aware timestamp column."""
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


def _article_fk() -> Any:
    """A reference to an article that goes with it."""
    return Field(sa_column=Column(BigID, ForeignKey("articles.id", ondelete="CASCADE"),
                                  nullable=False, index=True))


class Round(SQLModel, table=True):
    """One meeting of delegations, merged from every mention of it (eval/GUIDE.md §2)."""

    __tablename__ = "rounds"
    __table_args__ = (Index("ix_rounds_start_date", "start_date"),)

    id: int | None = Field(default=None, sa_column=Column(BigID, primary_key=True,
                                                           autoincrement=True))
    ordinal: int | None = Field(default=None)
    city: str | None = Field(default=None, sa_column=Column(Text))
    region: str | None = Field(default=None, sa_column=Column(Text))
    country: str | None = Field(default=None, sa_column=Column(Text))
    start_date: date = Field(sa_column=Column(Date, nullable=False))
    # True while the date is only the publication date of the article that reported it.
    date_estimated: bool = Field(default=False)
    status: str = Field(max_length=16)
    parties: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    outcome: str | None = Field(default=None, sa_column=Column(Text))
    status_history: list[dict[str, Any]] = Field(default_factory=list,
                                                 sa_column=Column(JSON, nullable=False))
    first_seen_at: datetime | None = _ts(nullable=False)
    updated_at: datetime | None = _ts(nullable=False)


class RoundMention(SQLModel, table=True):
    """Evidence: one article's report of one round."""

    __tablename__ = "round_mentions"
    __table_args__ = (UniqueConstraint("round_id", "article_id", name="uq_round_mentions"),)

    id: int | None = Field(default=None, sa_column=Column(BigID, primary_key=True,
                                                           autoincrement=True))
    round_id: int = Field(sa_column=Column(BigID, ForeignKey("rounds.id", ondelete="CASCADE"),
                                           nullable=False))
    article_id: int = _article_fk()
    sentence: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=16)
    mention_date: date | None = Field(default=None, sa_column=Column(Date))
    seen_at: datetime | None = _ts(nullable=False)


class Term(SQLModel, table=True):
    """A ceasefire or settlement term per (key, proposer, round or none)."""

    __tablename__ = "terms"

    id: int | None = Field(default=None, sa_column=Column(BigID, primary_key=True,
                                                           autoincrement=True))
    # key|proposer|round: NULLs never collide in a unique index, so identity is one string.
    identity: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    key: str = Field(max_length=64, index=True)
    proposer: str | None = Field(default=None, max_length=16)
    round_id: int | None = Field(default=None, sa_column=Column(
        BigID, ForeignKey("rounds.id", ondelete="SET NULL"), index=True))
    stance: str = Field(max_length=16)
    attributes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    first_seen_at: datetime | None = _ts(nullable=False)
    updated_at: datetime | None = _ts(nullable=False)


class TermEvidence(SQLModel, table=True):
    """Evidence: the article and sentence stating a term."""

    __tablename__ = "term_evidence"
    __table_args__ = (UniqueConstraint("term_id", "article_id", name="uq_term_evidence"),)

    id: int | None = Field(default=None, sa_column=Column(BigID, primary_key=True,
                                                           autoincrement=True))
    term_id: int = Field(sa_column=Column(BigID, ForeignKey("terms.id", ondelete="CASCADE"),
                                          nullable=False))
    article_id: int = _article_fk()
    sentence: str = Field(default="", sa_column=Column(Text, nullable=False))
    stance: str = Field(max_length=16)
    seen_at: datetime | None = _ts(nullable=False)


class Event(SQLModel, table=True):
    """The outbox: one row per real event; its id is the webhook-id and the Message-ID."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_created", "created_at"),)

    # seq orders the outbox (uuids do not); id is the public, stable identity.
    seq: int | None = Field(default=None, sa_column=Column(BigID, primary_key=True,
                                                            autoincrement=True))
    id: str = Field(sa_column=Column(String(36), nullable=False, unique=True))
    type: str = Field(max_length=32)
    # What makes two events the same real event; unique so no race can alert twice.
    dedup_key: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    round_id: int | None = Field(default=None, sa_column=Column(
        BigID, ForeignKey("rounds.id", ondelete="SET NULL"), index=True))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # False for history older than alerts.max_age: knowledge without an alert.
    alerted: bool = Field(default=True)
    created_at: datetime | None = _ts(nullable=False)


class Delivery(SQLModel, table=True):
    """One event to one channel, with its retries and lease."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "channel", name="uq_deliveries_event_channel"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigID, primary_key=True,
                                                           autoincrement=True))
    event_id: str = Field(sa_column=Column(String(36), ForeignKey("events.id", ondelete="CASCADE"),
                                           nullable=False))
    channel: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)  # pending|sending|delivered|failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = _ts(nullable=False)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_expires_at: datetime | None = _ts()
    delivered_at: datetime | None = _ts()
    created_at: datetime | None = _ts(nullable=False)
