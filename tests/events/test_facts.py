"""Facts and the outbox on both backends: one alert per real event, history without alerts."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import Session, select

from monitor.store.facts_models import RoundMention, Term, TermEvidence
from tests.events.conftest import NOW, Facts, rnd, term

DAY = timedelta(days=1)


def test_announced_held_concluded_stays_one_round(facts: Facts) -> None:
    """Status only advances; each advance is one round.updated; the history is kept."""
    t0 = NOW - 3 * DAY
    facts.apply([facts.article(t0, [rnd("Istanbul", "Turkey", "2022-03-01", "announced")])], t0)
    facts.apply([facts.article(t0 + DAY, [rnd("Istanbul", "Turkey", None, "held")])], t0 + DAY)
    facts.apply([facts.article(t0 + DAY, [rnd(None, "Turkey", "2022-03-01", "announced")])],
                t0 + DAY)
    facts.apply([facts.article(t0 + 2 * DAY, [rnd("Istanbul", "Turkey", "2022-03-01", "concluded",
                                                    outcome="no ceasefire")])], t0 + 2 * DAY)
    rounds = facts.rounds()
    assert len(rounds) == 1
    r = rounds[0]
    assert (r.status, r.outcome, str(r.start_date), r.date_estimated) == (
        "concluded", "no ceasefire", "2022-03-01", False)
    assert [h["status"] for h in r.status_history] == ["announced", "held", "concluded"]
    assert [e.type for e in facts.events()] == ["round.new", "round.updated", "round.updated"]
    last = facts.events()[-1].payload
    assert last["round"]["status"] == "concluded"
    assert last["previous"] == {"status": "held", "outcome": None}
    assert "concluded without a ceasefire" in last["summary"]
    assert last["articles"][0]["source"] == "Example News"
    # Every event went to the one channel, exactly once.
    assert len(facts.deliveries()) == 3


def test_fifty_articles_one_round_one_alert(facts: Facts) -> None:
    """Many articles over days, in several transactions, make one round and one round.new."""
    obs = [facts.article(NOW - DAY + timedelta(hours=i), [rnd(
        "Gomel" if i % 3 else None, "Belarus", "2022-02-28" if i % 2 else None, "held")])
        for i in range(50)]
    for chunk in range(0, 50, 10):
        facts.apply(obs[chunk:chunk + 10])
    assert len(facts.rounds()) == 1
    assert [e.type for e in facts.events()] == ["round.new"]
    with Session(facts.engine) as s:
        assert len(s.exec(select(RoundMention)).all()) == 50


def test_second_round_in_belarus_is_not_second_round_in_istanbul(facts: Facts) -> None:
    """Same ordinal, other venue and year: two rounds, two round.new."""
    facts.apply([facts.article(NOW, [rnd(None, "Belarus", "2022-03-03", ordinal=2,
                                         region="Brest")])])
    later = NOW + timedelta(days=1190)
    facts.apply([facts.article(later, [rnd("Istanbul", "Turkey", "2025-06-02", "concluded",
                                           ordinal=2, outcome="no ceasefire")])], later)
    assert len(facts.rounds()) == 2
    summaries = [e.payload["summary"] for e in facts.events("round.new")]
    assert summaries[1] == ("New round: second round of Russia–Ukraine talks, Istanbul, Turkey, "
                            "2 June 2025, concluded without a ceasefire")


def test_old_articles_build_knowledge_without_alerting(facts: Facts) -> None:
    """History older than alerts.max_age records rounds and events but sends nothing."""
    old = NOW - 10 * DAY
    facts.apply([facts.article(old, [rnd("Gomel", "Belarus", "2022-02-19")],
                               [term("ceasefire.general", "UA")])])
    assert len(facts.rounds()) == 1
    assert {e.alerted for e in facts.events()} == {False}
    assert facts.deliveries() == []
    # A fresh report of the same round, unchanged, says nothing new.
    facts.apply([facts.article(NOW, [rnd("Gomel", "Belarus", "2022-02-19")])])
    assert len(facts.events()) == 2


def test_terms_new_for_a_new_pair_or_a_new_round(facts: Facts) -> None:
    """(key, proposer) never seen → terms.new; seen, but first for this round → terms.new."""
    facts.apply([facts.article(NOW, [], [term("ceasefire.general", "UA"),
                                         term("prisoners.exchange", None, "agreed")])])
    assert [len(e.payload["terms"]) for e in facts.events("terms.new")] == [2]
    assert facts.events("terms.new")[0].payload["round"] is None
    # Same pair again without a round: nothing new.
    facts.apply([facts.article(NOW, [], [term("ceasefire.general", "UA")])])
    assert len(facts.events("terms.new")) == 1
    # Same pair, first time for a round: new for that round.
    facts.apply([facts.article(NOW, [rnd("Istanbul", "Turkey", "2022-03-01")],
                               [term("ceasefire.general", "UA")])])
    new = facts.events("terms.new")
    assert len(new) == 2 and new[1].payload["round"]["venue"]["city"] == "Istanbul"
    # Another proposer of the same key is a new pair.
    facts.apply([facts.article(NOW, [], [term("ceasefire.general", "RU", "rejected")])])
    assert len(facts.events("terms.new")) == 3
    with Session(facts.engine) as s:
        assert len(s.exec(select(Term)).all()) == 4
        assert len(s.exec(select(TermEvidence)).all()) == 5


def test_events_only_to_channels_that_want_them(facts: Facts) -> None:
    """A channel filtered to round.new gets no terms.new."""
    from monitor.store.facts import Route

    facts.routes = (Route("desk", frozenset({"round.new"})),
                    Route("ops", frozenset({"terms.new"}), timedelta(hours=1)))
    facts.apply([facts.article(NOW, [rnd("Istanbul", "Turkey", "2022-03-01")],
                               [term("ceasefire.general", "UA")])])
    got = {(d.channel, d.next_attempt_at) for d in facts.deliveries()}
    assert got == {("desk", NOW), ("ops", NOW + timedelta(hours=1))}


def test_concurrent_resolvers_alert_one_round_once(facts: Facts) -> None:
    """Two transactions reporting a new round at once: one round, one round.new."""
    a = facts.article(NOW, [rnd("Antalya", "Turkey", "2022-03-10")])
    b = facts.article(NOW, [rnd("Antalya", "Turkey", "2022-03-10", "concluded",
                                outcome="no progress")])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(o: object) -> None:
        try:
            barrier.wait()
            facts.apply([o])  # type: ignore[list-item]
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(o,)) for o in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(facts.rounds()) == 1
    assert len(facts.events("round.new")) == 1


def test_evidence_is_one_row_per_article_even_when_repeated_in_a_batch(facts: Facts) -> None:
    """An article naming a round twice and a term twice, stored twice in one batch: one row each."""
    same = facts.article(NOW, [rnd("Istanbul", "Turkey", "2022-03-29", "held")] * 2,
                         [term("ceasefire"), term("ceasefire")])
    facts.apply([same, same])
    with Session(facts.engine) as s:
        assert len(s.exec(select(RoundMention)).all()) == 1
        assert len(s.exec(select(TermEvidence)).all()) == 1
        assert len(s.exec(select(Term)).all()) == 1
