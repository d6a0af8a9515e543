"""`stories.scope`: by default only articles about the talks are grouped; reanalysis catches up."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, text
from sqlmodel import Session

from monitor.events.reanalyze import reanalyze
from monitor.events.resolve import Resolver
from monitor.events.stage import routes_of
from monitor.settings import StorySettings
from monitor.store.articles import store_entries
from monitor.store.db import session_scope
from monitor.store.models import Article
from monitor.stories import StoryStage
from monitor.stories.fingerprint import Shape
from monitor.values import Analysed, Entry, StoredArticle
from monitor.wiring import load_analysis_stage
from monitor.worker import analyse_entries
from tests.helpers import settings_for
from tests.stories.conftest import NOW, entry, outlet_feed

TALKS = ("Russia and Ukraine hold second round of peace talks in Belarus",
         "Russian and Ukrainian delegations met near the Belarusian border on Thursday for a "
         "second round of peace talks and agreed on humanitarian corridors for civilians.")
CUP = ("Cup final ends in a draw after extra time at the national stadium",
       "The two clubs could not be separated after extra time in front of a full stadium on "
       "Saturday, and the replay is set for next week at the same ground in the capital.")


def _copies(host: str, title: str, summary: str) -> list[Entry]:
    """Two wire copies of one report, from one outlet."""
    return [entry(title, summary, f"https://{host}/a"),
            entry(title + " - update", summary + " More follows.", f"https://{host}/b")]


def _store(engine: Engine, feed_id: int, items: Sequence[Analysed],
           stage: StoryStage) -> list[StoredArticle]:
    """Store items and run the stage, as a poll does."""
    with session_scope(engine) as s:
        stored = store_entries(s, feed_id, items, NOW, {})
        stage(s, stored, NOW)
    return stored


def _story_ids(engine: Engine, articles: Sequence[StoredArticle]) -> list[int | None]:
    """The story of each article."""
    with Session(engine) as s:
        return [s.get(Article, a.id).story_id for a in articles]  # type: ignore[union-attr]


def _bucket_rows(engine: Engine) -> int:
    """Rows of the LSH bucket table."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM story_bands")).scalar_one())


def test_default_groups_relevant_and_unanalysed_only(engine: Engine) -> None:
    """Relevant copies share a story, unanalysed ones get one, irrelevant ones none (no buckets)."""
    assert StorySettings().scope == "relevant"
    stage = StoryStage(StorySettings())
    feed = outlet_feed(engine, "wire.example.org")
    talks = _store(engine, feed, [Analysed(e, relevant=True) for e in _copies("t.example", *TALKS)],
                   stage)
    cup = _store(engine, feed, [Analysed(e, relevant=False) for e in _copies("c.example", *CUP)],
                 stage)
    plain = _store(engine, feed, [Analysed(entry("Unanalysed report", "No analyzer ran on it.",
                                                 "https://u.example/1"))], stage)
    first, second = _story_ids(engine, talks)
    assert first is not None and first == second
    assert _story_ids(engine, cup) == [None, None]
    assert _story_ids(engine, plain)[0] is not None
    assert _bucket_rows(engine) == 3 * stage.settings.bands


def test_scope_all_groups_irrelevant_copies_too(engine: Engine) -> None:
    """With scope "all" the irrelevant copies are one story as well."""
    stage = StoryStage(StorySettings(scope="all"))
    feed = outlet_feed(engine, "wire.example.org")
    cup = _store(engine, feed, [Analysed(e, relevant=False) for e in _copies("c.example", *CUP)],
                 stage)
    first, second = _story_ids(engine, cup)
    assert first is not None and first == second


def test_reanalyze_places_articles_that_turn_relevant(db_url: str, engine: Engine) -> None:
    """Stored as irrelevant (older rules), found relevant again: placed, copies in one story."""
    settings = settings_for(db_url)
    stage = StoryStage(settings.stories)
    feed = outlet_feed(engine, "wire.example.org")
    talks = _store(engine, feed,
                   [Analysed(e, relevant=False) for e in _copies("t.example", *TALKS)], stage)
    cup = _store(engine, feed, [Analysed(e, relevant=False) for e in _copies("c.example", *CUP)],
                 stage)
    assert _story_ids(engine, talks + cup) == [None] * 4
    report = reanalyze(engine, load_analysis_stage(settings),
                       Resolver(routes_of(settings), settings.alerts.max_age), NOW, stories=stage)
    assert report.articles == 4
    first, second = _story_ids(engine, talks)
    assert first is not None and first == second
    assert _story_ids(engine, cup) == [None, None]
    # A second run finds them placed and places nothing twice.
    reanalyze(engine, load_analysis_stage(settings),
              Resolver(routes_of(settings), settings.alerts.max_age), NOW, stories=stage)
    assert _story_ids(engine, talks) == [first, second]
    assert _bucket_rows(engine) == 2 * stage.settings.bands


def test_workers_fingerprint_only_what_the_stage_places() -> None:
    """With relevant_only the worker skips irrelevant entries' fingerprints, not relevant ones'."""
    settings = StorySettings()
    entries = [*_copies("t.example", *TALKS), *_copies("c.example", *CUP)]
    analyzer = load_analysis_stage(settings_for("sqlite://"))
    version = analyzer.version
    done = analyse_entries(None, version, entries, "x", Shape.of(settings), relevant_only=True)
    assert done is not None
    verdicts, prints = done
    assert [v[0] if v else None for v in verdicts] == [True, True, False, False]
    assert [p is not None for p in prints] == [True, True, False, False]
    everything = analyse_entries(None, version, entries, "x", Shape.of(settings))
    assert everything is not None and all(p is not None for p in everything[1])
