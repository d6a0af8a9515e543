"""A small store with known articles, rounds, terms and alerts, shared by the query and API tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, update
from sqlmodel import Session, col

from monitor.store.facts_models import Delivery, Event, Round, RoundMention, Term, TermEvidence
from monitor.store.models import Article, ArticleEntry, Feed
from monitor.store.story_models import Story

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def _analysis(terms: list[tuple[str, str | None]] = (), rounds: int = 0) -> dict[str, Any]:  # type: ignore[assignment]
    """An analysis as GUIDE.md section 4 writes it."""
    return {"relevant": True, "rounds": [{"ordinal": 2}] * rounds,
            "terms": [{"key": k, "proposer": p, "stance": "proposed"} for k, p in terms]}


# (title, summary, content, feed index, day offset, relevant, terms)
ARTICLES: list[tuple[str, str, str, int, int, bool, list[tuple[str, str | None]]]] = [
    ("Second round of Russia-Ukraine talks opens in Istanbul",
     "Delegations met in Istanbul for the second round of direct talks.",
     "The talks in Istanbul focused on a ceasefire and a prisoner exchange.", 0, 1, True,
     [("prisoners.exchange", "UA"), ("ceasefire.general", "UA")]),
    ("Moscow rejects unconditional ceasefire",
     "Russia rejected the U.S.-proposed 30-day ceasefire <script>alert(1)</script>",
     "Officials said the ceasefire proposal ignored root causes.", 1, 2, True,
     [("ceasefire.general", "US")]),
    ("Istanbul derby ends in a draw",
     "The football round in Istanbul ended without goals.",
     "Fans filled the stadium for the derby.", 1, 3, False, []),
    ("Переговоры в Стамбуле завершились",
     "Делегации России и Украины обсудили обмен пленными.",
     "Стороны договорились об обмене 1000 на 1000.", 2, 4, True,
     [("prisoners.exchange", "RU")]),
    ("Energy truce discussed in Riyadh",
     "U.S. and Russian officials discussed a halt to strikes on energy infrastructure.",
     "A Black Sea ceasefire was also on the table in Riyadh.", 0, 5, True,
     [("ceasefire.energy", "US"), ("ceasefire.maritime", "US")]),
]
FILLER = 30  # "ceasefire" articles to page through


@dataclass
class Seeded:
    """Ids of what was stored."""

    feeds: list[int] = field(default_factory=list)
    articles: list[int] = field(default_factory=list)
    fillers: list[int] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)
    terms: list[int] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    story: int | None = None  # fillers[:10] are one story


def add_article(s: Session, feed_id: int, title: str, summary: str, content: str, when: datetime,
                relevant: bool = True, analysis: dict[str, Any] | None = None) -> int:
    """Insert one article and its sighting; return its id."""
    n = s.execute(insert(Article).values(
        feed_id=feed_id, title=title, summary=summary, content=content,
        url=f"https://news.example/{abs(hash((title, when)))}", published_at=when, fetched_at=when,
        content_hash=f"{abs(hash((title, summary, when))):x}"[:64], relevant=relevant,
        score=0.9 if relevant else 0.1, analysis=analysis).returning(Article.id)).scalar_one()  # type: ignore[arg-type]
    s.execute(insert(ArticleEntry).values(feed_id=feed_id, item_key=f"k{n}", article_id=n,
                                          content_hash="x", seen_at=when))
    return int(n)


def seed(engine: Engine) -> Seeded:
    """Feeds, articles, two rounds with terms, and alerts with deliveries."""
    out = Seeded()
    with Session(engine) as s:
        for i, name in enumerate(["Wire One", "Daily Two", "Новости Три"]):
            f = Feed(url=f"https://feeds{i}.example/rss.xml", name=name, created_at=T0,
                     last_checked_at=T0 if i < 2 else None, error_count=1 if i == 1 else 0,
                     last_error="fetch: timeout" if i == 1 else None)
            s.add(f)
            s.flush()
            assert f.id is not None
            out.feeds.append(f.id)
        for title, summary, content, fi, day, rel, terms in ARTICLES:
            out.articles.append(add_article(s, out.feeds[fi], title, summary, content,
                                            T0 + timedelta(days=day), rel,
                                            _analysis(terms) if rel else {"relevant": False,
                                                                          "rounds": [], "terms": []}))
        for i in range(FILLER):
            out.fillers.append(add_article(
                s, out.feeds[i % 2], f"Update {i} on the front", f"Ceasefire talk number {i}.",
                "Routine report. " * (i % 5 + 1), T0 + timedelta(days=10, hours=i), True,
                _analysis([("ceasefire.general", "UA")])))
        story = Story(representative_id=out.fillers[0], first_seen_at=T0, updated_at=T0,
                      article_count=10, outlets=["Wire One", "Daily Two"])
        s.add(story)
        s.flush()
        s.execute(update(Article).where(col(Article.id).in_(out.fillers[:10])).values(story_id=story.id))
        out.story = story.id
        r1 = Round(ordinal=2, city="Istanbul", country="Turkey", start_date=date(2025, 6, 2),
                   status="concluded", parties=["RU", "UA"], outcome="no ceasefire",
                   status_history=[{"status": "announced", "at": "2025-05-30T10:00:00Z"},
                                   {"status": "concluded", "at": "2025-06-02T18:00:00Z"}],
                   first_seen_at=T0, updated_at=T0 + timedelta(days=1))
        r2 = Round(ordinal=None, city="Riyadh", country="Saudi Arabia", start_date=date(2025, 3, 24),
                   status="held", parties=["RU", "US"], outcome=None,
                   status_history=[{"status": "held", "at": "2025-03-24T12:00:00Z"}],
                   first_seen_at=T0 - timedelta(days=60), updated_at=T0 - timedelta(days=60))
        s.add_all([r1, r2])
        s.flush()
        assert r1.id is not None and r2.id is not None
        out.rounds = [r1.id, r2.id]
        a = out.articles
        s.add_all([RoundMention(round_id=r1.id, article_id=a[0], sentence="Delegations met in Istanbul",
                                status="held", seen_at=T0),
                   RoundMention(round_id=r1.id, article_id=a[3], sentence="Переговоры в Стамбуле",
                                status="concluded", seen_at=T0),
                   RoundMention(round_id=r2.id, article_id=a[4], sentence="discussed in Riyadh",
                                status="held", seen_at=T0)])
        terms = [Term(identity=f"{k}|{p}|{r}", key=k, proposer=p, round_id=r, stance=st,
                      attributes=attrs, first_seen_at=T0 + timedelta(hours=j), updated_at=T0)
                 for j, (k, p, r, st, attrs) in enumerate([
                     ("prisoners.exchange", "UA", r1.id, "proposed", {"count": 1000}),
                     ("ceasefire.general", "US", r1.id, "proposed", {"duration_days": 30}),
                     ("ceasefire.energy", "US", r2.id, "agreed", {}),
                     ("security.nato", "RU", None, "demanded", {})])]
        s.add_all(terms)
        s.flush()
        out.terms = [t.id for t in terms if t.id is not None]
        s.add_all([TermEvidence(term_id=out.terms[0], article_id=a[0], sentence="a prisoner exchange",
                                stance="proposed", seen_at=T0),
                   TermEvidence(term_id=out.terms[1], article_id=a[1], sentence="30-day ceasefire",
                                stance="proposed", seen_at=T0),
                   TermEvidence(term_id=out.terms[2], article_id=a[4], sentence="halt to strikes",
                                stance="agreed", seen_at=T0)])
        for j, (kind, rid, summary) in enumerate([
                ("round.new", r2.id, "New round: Russia–US talks, Riyadh, 24 March 2025 <b>held</b>"),
                ("round.new", r1.id, "New round: second round of Russia–Ukraine talks, Istanbul"),
                ("terms.new", r1.id, "New terms: UA proposes a prisoner exchange & more")]):
            ev = Event(id=f"00000000-0000-4000-8000-00000000000{j}", type=kind, dedup_key=f"{kind}:{j}",
                       round_id=rid, payload={"summary": summary, "round": {"id": rid}},
                       alerted=True, created_at=T0 + timedelta(hours=j))
            s.add(ev)
            s.flush()
            s.add(Delivery(event_id=ev.id, channel="ops", status="failed" if j == 2 else "delivered",
                           attempts=3 if j == 2 else 1, next_attempt_at=T0,
                           last_error="HTTP 500" if j == 2 else None,
                           delivered_at=None if j == 2 else T0, created_at=T0))
            out.events.append(ev.id)
        s.commit()
    return out
