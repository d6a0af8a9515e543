"""Turn observations into knowledge and knowledge changes into events, in the caller's transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from monitor.events.identity import SEARCH_WINDOW, best_round, merged_venue
from monitor.events.model import (
    STATUS_RANK,
    ArticleRef,
    Mention,
    NewEvent,
    Observation,
    RoundFact,
    TermFact,
)
from monitor.events.summary import round_summary, terms_summary
from monitor.store import facts
from monitor.store.stories import story_outlets

MAX_ARTICLES = 10  # evidence articles listed in one alert


def advanced(known: RoundFact, m: Mention) -> RoundFact:
    """The round after this mention: status only forward, outcome once, gaps filled in."""
    status = m.status if STATUS_RANK[m.status] > STATUS_RANK[known.status] else known.status
    start, estimated = known.start_date, known.date_estimated
    if estimated and m.date is not None:
        start, estimated = m.date, False
    return replace(known, ordinal=known.ordinal or m.ordinal,
                   venue=merged_venue(known.venue, m.venue), start_date=start,
                   date_estimated=estimated, status=status,
                   parties=tuple(sorted(set(known.parties) | set(m.parties))),
                   outcome=known.outcome or m.outcome)


def is_update(before: RoundFact, after: RoundFact) -> bool:
    """A change worth an alert: the status moved forward or an outcome appeared."""
    return (STATUS_RANK[after.status] > STATUS_RANK[before.status]
            or (before.outcome is None and after.outcome is not None))


@dataclass
class _Batch:
    """What one transaction touched, to decide its events at the end."""

    before: dict[int, RoundFact | None] = field(default_factory=dict)
    alert: dict[int | None, bool] = field(default_factory=lambda: defaultdict(bool))
    articles: dict[int | None, list[Observation]] = field(default_factory=lambda: defaultdict(list))
    new_terms: dict[int | None, list[TermFact]] = field(default_factory=lambda: defaultdict(list))
    terms_alert: dict[int | None, bool] = field(default_factory=lambda: defaultdict(bool))
    terms_articles: dict[int | None, list[Observation]] = field(
        default_factory=lambda: defaultdict(list))
    # Evidence rows, written in one statement each at the end (nothing reads them before).
    mentions: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Resolver:
    """Round identity, term novelty and the outbox, for one store."""

    routes: Sequence[facts.Route] = ()
    max_age: timedelta = timedelta(days=2)

    def apply(self, s: Session, observations: Sequence[Observation], now: datetime) -> list[str]:
        """Record what the observations say; return the ids of the events written."""
        if not observations:
            return []
        facts.lock_facts(s)
        batch = _Batch()
        for obs in sorted(observations, key=lambda o: (o.when, o.article_id)):
            fresh = now - obs.when <= self.max_age
            round_ids = [self._round(s, obs, m, now, batch, fresh) for m in obs.rounds]
            # Terms belong to a round only when the article speaks of exactly one.
            only = round_ids[0] if len(set(round_ids)) == 1 else None
            for t in obs.terms:
                self._term(s, obs, t.key, t.proposer, t.stance, t.attributes, t.evidence, only,
                           now, batch, fresh)
        facts.add_round_mentions(s, batch.mentions)
        facts.add_term_evidence(s, batch.evidence)
        return self._events(s, batch, now)

    def _round(self, s: Session, obs: Observation, m: Mention, now: datetime, batch: _Batch,
               fresh: bool) -> int:
        """Resolve one mention to a round (new or known) and merge it in."""
        day = m.effective_date
        known = best_round(m, facts.rounds_near(s, day - SEARCH_WINDOW, day + SEARCH_WINDOW))
        if known is None:
            fact = RoundFact(0, m.ordinal, m.venue, day, m.estimated, m.status,
                             tuple(sorted(set(m.parties))), m.outcome)
            known = facts.create_round(s, fact, now, obs.article_id)
            batch.before.setdefault(known.id, None)
        else:
            batch.before.setdefault(known.id, known)
            after = advanced(known, m)
            if after != known:
                facts.save_round(s, after, now, obs.article_id)
        batch.mentions.append({"round_id": known.id, "article_id": obs.article_id,
                               "sentence": m.evidence, "status": m.status,
                               "mention_date": m.date, "seen_at": now})
        batch.alert[known.id] |= fresh
        if obs not in batch.articles[known.id]:
            batch.articles[known.id].append(obs)
        return known.id

    def _term(self, s: Session, obs: Observation, key: str, proposer: str | None, stance: str,
              attributes: dict[str, object], evidence: str, round_id: int | None,
              now: datetime, batch: _Batch, fresh: bool) -> None:
        """Record one term; note it when the (key, proposer) or this round sees it first."""
        known = facts.find_term(s, key, proposer, round_id)
        # A stored term of this identity means the (key, proposer) was seen: no second query.
        seen_before = known is not None or facts.term_seen(s, key, proposer)
        fact, created = facts.upsert_term(
            s, TermFact(0, key, proposer, round_id, stance, dict(attributes), evidence), now,
            known)
        batch.evidence.append({"term_id": fact.id, "article_id": obs.article_id,
                               "sentence": evidence, "stance": stance, "seen_at": now})
        if created and (not seen_before or round_id is not None):
            batch.new_terms[round_id].append(fact)
            batch.terms_alert[round_id] |= fresh
            if obs not in batch.terms_articles[round_id]:
                batch.terms_articles[round_id].append(obs)

    def _events(self, s: Session, batch: _Batch, now: datetime) -> list[str]:
        """Compare each touched round with its state before the batch; write the events."""
        out: list[NewEvent] = []
        names = facts.feed_names(s, [o.feed_id for obs in (*batch.articles.values(),
                                                             *batch.terms_articles.values())
                                     for o in obs])
        for round_id, before in batch.before.items():
            after = facts.get_round(s, round_id)
            if after is None:
                continue
            refs = _refs(s, batch.articles[round_id], names)
            terms = facts.round_terms(s, round_id)
            if before is None:
                key, kind = f"round.new:{round_id}", "round.new"
            elif is_update(before, after):
                key = f"round.updated:{round_id}:{after.status}:{'o' if after.outcome else '-'}"
                kind = "round.updated"
            else:
                continue
            payload: dict[str, Any] = {"round": after.to_json(), "terms": [t.to_json() for t in terms],
                       "articles": [r.to_json() for r in refs], "outlets": _outlets(refs),
                       "summary": round_summary(kind, after, before)}
            if before is not None:
                payload["previous"] = {"status": before.status, "outcome": before.outcome}
            out.append(NewEvent(kind, key, round_id, payload, batch.alert[round_id]))
        for term_round, new_terms in batch.new_terms.items():
            round_fact = facts.get_round(s, term_round) if term_round is not None else None
            refs = _refs(s, batch.terms_articles[term_round], names)
            key = "terms.new:" + ",".join(str(t.id) for t in sorted(new_terms, key=lambda t: t.id))
            payload = {"round": round_fact.to_json() if round_fact else None,
                       "terms": [t.to_json() for t in new_terms],
                       "articles": [r.to_json() for r in refs], "outlets": _outlets(refs),
                       "summary": terms_summary(new_terms, round_fact)}
            out.append(NewEvent("terms.new", key, term_round, payload,
                                batch.terms_alert[term_round]))
        ids = [facts.add_event(s, e, now, self.routes) for e in out]
        return [i for i in ids if i is not None]


def _refs(s: Session, observations: Sequence[Observation], names: dict[int, str]) -> list[ArticleRef]:
    """Evidence articles of an alert, newest first, each with the outlets of its story."""
    ordered = sorted(observations, key=lambda o: o.when, reverse=True)[:MAX_ARTICLES]
    return [ArticleRef(o.title, o.url, names.get(o.feed_id), o.published,
                       tuple(story_outlets(s, o.article_id))) for o in ordered]


def _outlets(refs: Sequence[ArticleRef]) -> list[str]:
    """Every outlet behind an alert's evidence, once, in order of the articles."""
    return list(dict.fromkeys(o for r in refs for o in (r.outlets or ([r.source] if r.source else []))))
