"""Knowledge in the store: rounds, terms and their evidence, and events into the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from monitor import metrics
from monitor.events.model import NewEvent, RoundFact, TermFact, Venue
from monitor.store.facts_models import Delivery, Event, Round, RoundMention, Term, TermEvidence
from monitor.store.models import Feed
from monitor.store.polling import dialect_insert

# One lock for all resolution: two daemons must not both create the same round.
FACTS_LOCK = 0x7A1C5_F4C7


@dataclass(frozen=True, slots=True)
class Route:
    """A channel as the outbox sees it: its name, the events it wants, its digest delay."""

    name: str
    events: frozenset[str]
    digest: timedelta | None = None




def lock_facts(s: Session) -> None:
    """Serialise resolution across daemons on PostgreSQL until the transaction ends."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FACTS_LOCK})
    else:
        # SQLite: a write, even of no row, takes the database's write lock before we read.
        s.execute(text("UPDATE rounds SET id = id WHERE 0"))


def round_fact(row: Round) -> RoundFact:
    """A row as a value."""
    assert row.id is not None
    return RoundFact(row.id, row.ordinal, Venue(row.city, row.region, row.country),
                     row.start_date, row.date_estimated, row.status, tuple(row.parties),
                     row.outcome)


def rounds_near(s: Session, lo: date, hi: date) -> list[RoundFact]:
    """Rounds starting between two dates, inclusive."""
    rows = s.exec(select(Round).where(col(Round.start_date) >= lo, col(Round.start_date) <= hi)
                  .order_by(col(Round.id)))
    return [round_fact(r) for r in rows]


def get_round(s: Session, round_id: int) -> RoundFact | None:
    """One round by id."""
    row = s.get(Round, round_id)
    return round_fact(row) if row else None


def create_round(s: Session, fact: RoundFact, now: datetime, article_id: int) -> RoundFact:
    """Insert a new round (its `id` is ignored) and return it with its id."""
    row = Round(ordinal=fact.ordinal, city=fact.venue.city, region=fact.venue.region,
                country=fact.venue.country, start_date=fact.start_date,
                date_estimated=fact.date_estimated, status=fact.status,
                parties=list(fact.parties), outcome=fact.outcome,
                status_history=[_history(fact.status, now, article_id)],
                first_seen_at=now, updated_at=now)
    s.add(row)
    s.flush()
    return round_fact(row)


def _history(status: str, now: datetime, article_id: int) -> dict[str, Any]:
    """One step of a round's status history."""
    return {"status": status, "at": now.isoformat(), "article_id": article_id}


def save_round(s: Session, fact: RoundFact, now: datetime, article_id: int) -> None:
    """Write a round's merged state; a status change is appended to its history."""
    row = s.get(Round, fact.id)
    assert row is not None
    if row.status != fact.status:
        row.status_history = [*row.status_history, _history(fact.status, now, article_id)]
    row.ordinal, row.status, row.outcome = fact.ordinal, fact.status, fact.outcome
    row.city, row.region, row.country = fact.venue.city, fact.venue.region, fact.venue.country
    row.start_date, row.date_estimated = fact.start_date, fact.date_estimated
    row.parties = list(fact.parties)
    row.updated_at = now
    s.flush()


def add_round_mentions(s: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Evidence of rounds (round_id, article_id, sentence, status, mention_date, seen_at), one
    per article and round, later copies ignored: one statement for a whole batch."""
    if rows:
        s.execute(dialect_insert(s)(RoundMention).on_conflict_do_nothing(
            index_elements=["round_id", "article_id"]),
            [{**r, "sentence": r["sentence"][:2000]} for r in rows])


def term_identity(key: str, proposer: str | None, round_id: int | None) -> str:
    """The unique identity string of a term row."""
    return f"{key}|{proposer or '-'}|{round_id if round_id is not None else '-'}"


def term_seen(s: Session, key: str, proposer: str | None) -> bool:
    """True when this (key, proposer) was ever recorded, for any round or none."""
    stmt = select(Term.id).where(Term.key == key)
    stmt = stmt.where(col(Term.proposer).is_(None) if proposer is None else Term.proposer == proposer)
    return s.exec(stmt.limit(1)).first() is not None


def find_term(s: Session, key: str, proposer: str | None, round_id: int | None) -> Term | None:
    """The stored term of this identity, if any."""
    ident = term_identity(key, proposer, round_id)
    return s.exec(select(Term).where(Term.identity == ident)).first()


def upsert_term(s: Session, fact: TermFact, now: datetime,
                row: Term | None = None) -> tuple[TermFact, bool]:
    """Record a term; return it with its id and whether it is new.

    `row` is the stored term of this identity when the caller has just looked it up (most
    terms an article gives are known ones: one statement, not an insert that does nothing
    and a look-up after it).
    """
    if row is None:
        ident = term_identity(fact.key, fact.proposer, fact.round_id)
        new_id = s.execute(dialect_insert(s)(Term).values(
            identity=ident, key=fact.key, proposer=fact.proposer, round_id=fact.round_id,
            stance=fact.stance, attributes=fact.attributes, first_seen_at=now, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["identity"]).returning(col(Term.id))).scalar()
        if new_id is not None:
            return _with_id(fact, int(new_id)), True
        row = s.exec(select(Term).where(Term.identity == ident)).one()
    row.stance, row.updated_at = fact.stance, now
    row.attributes = {**row.attributes, **fact.attributes}
    assert row.id is not None
    return _with_id(fact, row.id), False


def _with_id(fact: TermFact, term_id: int) -> TermFact:
    """A copy with the row's id."""
    return TermFact(term_id, fact.key, fact.proposer, fact.round_id, fact.stance,
                    fact.attributes, fact.evidence)


def add_term_evidence(s: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Evidence of terms (term_id, article_id, sentence, stance, seen_at), one per article and
    term, later copies ignored: one statement for a whole batch."""
    if rows:
        s.execute(dialect_insert(s)(TermEvidence).on_conflict_do_nothing(
            index_elements=["term_id", "article_id"]),
            [{**r, "sentence": r["sentence"][:2000]} for r in rows])


def round_terms(s: Session, round_id: int, limit: int = 50) -> list[TermFact]:
    """The terms recorded for a round."""
    rows = s.exec(select(Term).where(Term.round_id == round_id).order_by(col(Term.id)).limit(limit))
    return [TermFact(r.id or 0, r.key, r.proposer, r.round_id, r.stance, r.attributes)
            for r in rows]


def feed_names(s: Session, feed_ids: Iterable[int]) -> dict[int, str]:
    """A display name for each feed: its configured name, its title, else its URL."""
    ids = sorted(set(feed_ids))
    if not ids:
        return {}
    rows = s.exec(select(Feed).where(col(Feed.id).in_(ids)))
    return {r.id: (r.name or r.title or r.url) for r in rows if r.id is not None}


def add_event(s: Session, event: NewEvent, now: datetime, routes: Sequence[Route]) -> str | None:
    """Put an event in the outbox with a delivery per interested channel; None if already there."""
    event_id = str(uuid.uuid4())
    inserted = s.execute(dialect_insert(s)(Event).values(
        id=event_id, type=event.type, dedup_key=event.dedup_key, round_id=event.round_id,
        payload=event.payload, alerted=event.alerted, created_at=now,
    ).on_conflict_do_nothing(index_elements=["dedup_key"]).returning(col(Event.id))).scalar()
    if inserted is None:
        return None
    metrics.EVENTS.labels(event.type).inc()
    if event.alerted:
        for route in routes:
            if event.type in route.events:
                s.add(Delivery(event_id=event_id, channel=route.name, status="pending",
                               next_attempt_at=now + (route.digest or timedelta(0)),
                               created_at=now))
        s.flush()
    return event_id


def forget_article_facts(s: Session, article_ids: Sequence[int]) -> None:
    """Drop the evidence of these articles before they are analysed again."""
    from sqlalchemy import delete

    if article_ids:
        s.execute(delete(RoundMention).where(col(RoundMention.article_id).in_(list(article_ids))))
        s.execute(delete(TermEvidence).where(col(TermEvidence.article_id).in_(list(article_ids))))
