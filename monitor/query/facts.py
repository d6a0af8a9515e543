"""Rounds, terms and alerts as the store knows them (tables of monitor.store.facts_models)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from monitor.query.errors import NotFound
from monitor.query.session import Limits
from monitor.query.values import (
    AlertRow,
    DeliveryRow,
    Evidence,
    Page,
    RoundBrief,
    RoundDetail,
    TermRow,
)
from monitor.store.facts_models import Delivery, Event, Round, RoundMention, Term, TermEvidence
from monitor.store.models import Article


def _round(r: Round, articles: int = 0) -> RoundBrief:
    """A round row as a value."""
    assert r.id is not None
    return RoundBrief(id=r.id, ordinal=r.ordinal, city=r.city, region=r.region, country=r.country,
                      date=r.start_date, date_estimated=r.date_estimated, status=r.status,
                      parties=list(r.parties or []), outcome=r.outcome,
                      first_seen_at=r.first_seen_at, updated_at=r.updated_at, articles=articles)


def _term(t: Term, articles: int = 0) -> TermRow:
    """A term row as a value."""
    assert t.id is not None
    return TermRow(id=t.id, key=t.key, proposer=t.proposer, stance=t.stance, round_id=t.round_id,
                   attributes=dict(t.attributes or {}), first_seen_at=t.first_seen_at,
                   updated_at=t.updated_at, articles=articles)


def list_rounds(session: Session, limits: Limits, *, status: str | None = None,
                since: date | None = None, until: date | None = None) -> Page[RoundBrief]:
    """Rounds, newest meeting first, with how many articles report each."""
    n = (select(col(RoundMention.round_id), func.count().label("n"))
         .group_by(col(RoundMention.round_id)).subquery())
    stmt: Any = select(Round, func.coalesce(n.c.n, 0)).outerjoin(n, n.c.round_id == col(Round.id))
    if status:
        stmt = stmt.where(Round.status == status)
    if since:
        stmt = stmt.where(col(Round.start_date) >= since)
    if until:
        stmt = stmt.where(col(Round.start_date) <= until)
    stmt = stmt.order_by(col(Round.start_date).desc(), col(Round.id).desc()).limit(limits.max_rows + 1)
    rows = session.execute(stmt).all()
    items = [_round(r, int(c)) for r, c in rows[:limits.max_rows]]
    return Page[RoundBrief](items=items, truncated=len(rows) > limits.max_rows,
                            limit=limits.max_rows)


def _evidence_counts(session: Session, term_ids: list[int]) -> dict[int, int]:
    """How many articles state each term."""
    if not term_ids:
        return {}
    rows = session.execute(select(col(TermEvidence.term_id), func.count()).where(
        col(TermEvidence.term_id).in_(term_ids)).group_by(col(TermEvidence.term_id))).all()
    return {int(t): int(c) for t, c in rows}


def list_terms(session: Session, limits: Limits, *, key: str | None = None,
               proposer: str | None = None, round_id: int | None = None) -> Page[TermRow]:
    """Terms by key and proposer, newest first seen first."""
    stmt: Any = select(Term)
    if key:
        stmt = stmt.where(Term.key == key)
    if proposer:
        stmt = stmt.where(Term.proposer == proposer)
    if round_id is not None:
        stmt = stmt.where(Term.round_id == round_id)
    stmt = stmt.order_by(col(Term.first_seen_at).desc(), col(Term.id).desc()).limit(limits.max_rows + 1)
    terms = list(session.execute(stmt).scalars().all())
    shown = terms[:limits.max_rows]
    counts = _evidence_counts(session, [t.id for t in shown if t.id is not None])
    return Page[TermRow](items=[_term(t, counts.get(t.id or 0, 0)) for t in shown],
                         truncated=len(terms) > limits.max_rows, limit=limits.max_rows)


def get_round(session: Session, round_id: int, limits: Limits) -> RoundDetail:
    """One round with its terms, its articles (evidence) and its status history."""
    r = session.get(Round, round_id)
    if r is None:
        raise NotFound(f"round {round_id} does not exist")
    ev = session.execute(
        select(col(RoundMention.article_id), col(Article.title), col(Article.url),
               col(Article.published_at), col(Article.fetched_at), col(RoundMention.sentence),
               col(RoundMention.status))
        .join(Article, col(Article.id) == col(RoundMention.article_id))
        .where(col(RoundMention.round_id) == round_id)
        .order_by(func.coalesce(Article.published_at, Article.fetched_at), col(Article.id))
        .limit(limits.max_rows + 1)).all()
    articles = [Evidence(article_id=a, title=t, url=u, published_at=p or f, sentence=s, status=st)
                for a, t, u, p, f, s, st in ev[:limits.max_rows]]
    terms = list_terms(session, limits, round_id=round_id)
    return RoundDetail(round=_round(r, len(ev)), status_history=list(r.status_history or []),
                       terms=terms.items, articles=articles,
                       truncated=len(ev) > limits.max_rows or terms.truncated)


def for_article(session: Session, article_id: int) -> tuple[list[RoundBrief], list[TermRow]]:
    """The rounds and terms an article is evidence of."""
    rounds = session.execute(select(Round).join(RoundMention, col(RoundMention.round_id) == col(Round.id))
                             .where(col(RoundMention.article_id) == article_id)
                             .order_by(col(Round.start_date))).scalars().all()
    terms = session.execute(select(Term).join(TermEvidence, col(TermEvidence.term_id) == col(Term.id))
                            .where(col(TermEvidence.article_id) == article_id)
                            .order_by(col(Term.key))).scalars().all()
    return [_round(r) for r in rounds], [_term(t) for t in terms]


def list_alerts(session: Session, limits: Limits, *, status: str | None = None,
                type_: str | None = None) -> Page[AlertRow]:
    """Events, newest first, each with the state of its deliveries."""
    stmt: Any = select(Event)
    if type_:
        stmt = stmt.where(Event.type == type_)
    if status:
        with_status = select(col(Delivery.event_id)).where(col(Delivery.status) == status)
        stmt = stmt.where(col(Event.id).in_(with_status))
    stmt = stmt.order_by(col(Event.created_at).desc(), col(Event.id).desc()).limit(limits.max_rows + 1)
    events = list(session.execute(stmt).scalars().all())
    shown = events[:limits.max_rows]
    dels: dict[str, list[DeliveryRow]] = {e.id: [] for e in shown}
    if shown:
        for d in session.execute(select(Delivery).where(col(Delivery.event_id).in_(list(dels)))
                                 .order_by(col(Delivery.channel))).scalars():
            dels[d.event_id].append(DeliveryRow(
                channel=d.channel, status=d.status, attempts=d.attempts, last_error=d.last_error,
                next_attempt_at=d.next_attempt_at, delivered_at=d.delivered_at))
    items = [AlertRow(id=e.id, type=e.type, round_id=e.round_id, alerted=e.alerted,
                      created_at=e.created_at, summary=_summary(e.payload), payload=e.payload,
                      deliveries=dels[e.id]) for e in shown]
    return Page[AlertRow](items=items, truncated=len(events) > limits.max_rows, limit=limits.max_rows)


def recent_events(session: Session, limit: int) -> list[AlertRow]:
    """The newest events, for the Atom feed (deliveries left out)."""
    events = session.execute(select(Event).order_by(col(Event.created_at).desc(), col(Event.id).desc())
                             .limit(limit)).scalars().all()
    return [AlertRow(id=e.id, type=e.type, round_id=e.round_id, alerted=e.alerted,
                     created_at=e.created_at, summary=_summary(e.payload), payload=e.payload,
                     deliveries=[]) for e in events]


def _summary(payload: Any) -> str | None:
    """The sentence a person reads, from an event's payload (design.md: data.summary)."""
    if not isinstance(payload, dict):
        return None
    data = payload.get("data", payload)
    s = data.get("summary") if isinstance(data, dict) else None
    return s if isinstance(s, str) else None
