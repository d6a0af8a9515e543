"""Full-text search on SQLite and PostgreSQL: ranking, syntax, filters, cursor pages, limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from monitor.query import ArticleQuery, BadQuery, Limits, QueryService, QueryTimeout
from monitor.query.session import read_session
from monitor.store.db import make_engine
from monitor.store.models import Article
from tests.query.data import T0, Seeded, add_article, seed


@pytest.fixture
def store(db_url: str) -> Iterator[tuple[QueryService, Seeded, str]]:
    """A seeded store and the query service over it."""
    engine = make_engine(db_url)
    seeded = seed(engine)
    engine.dispose()
    svc = QueryService(db_url, Limits(timeout=5, max_rows=100))
    yield svc, seeded, db_url
    svc.close()


def ids(svc: QueryService, **kw: object) -> list[int]:
    """The ids of one page of a search."""
    return [h.id for h in svc.search(ArticleQuery(**kw)).items]  # type: ignore[arg-type]


def test_best_match_ranked_first(store: tuple[QueryService, Seeded, str]) -> None:
    """The article about the talks in Istanbul outranks the one that only says Istanbul once."""
    svc, s, _ = store
    page = svc.search(ArticleQuery(q="Istanbul talks"))
    assert page.items[0].id == s.articles[0]
    assert page.items[0].rank is not None and page.items[0].rank > 0
    assert "<mark>" in page.items[0].snippet_html
    assert ids(svc, q="ceasefire")[0] == s.articles[1]  # in the title, summary and content


def test_syntax_words_phrases_or_exclude_prefix(store: tuple[QueryService, Seeded, str]) -> None:
    """Each part of the syntax narrows or widens as documented, on both backends alike."""
    svc, s, _ = store
    a = s.articles
    assert set(ids(svc, q="Istanbul")) == {a[0], a[2]}
    assert set(ids(svc, q="Istanbul -football")) == {a[0]}
    assert set(ids(svc, q='"second round"')) == {a[0]}
    assert set(ids(svc, q='"round second"')) == set()
    assert set(ids(svc, q="Riyadh OR derby")) == {a[2], a[4]}
    assert set(ids(svc, q="Стамбул*")) == {a[3]}
    assert set(ids(svc, q="переговоры")) == {a[3]}
    assert set(ids(svc, q="Istanbul derby OR prisoner")) == {a[0], a[2]}
    assert set(ids(svc, q="U.S.-proposed")) == {a[1]}


@pytest.mark.parametrize("q, message", [
    ('"second round', "unclosed quote"),
    ("OR ceasefire", "OR needs a term"),
    ("ceasefire OR", "OR needs a term"),
    ("-ceasefire", "at least one word"),
    ("cease*fire", "only goes at the end"),
    ('"cease fire"*', "after a word"),
    ("U.S*", "letters or digits"),
    ("!!! ...", "no words"),
    ("ab*", "at least 3"),
])
def test_syntax_errors_are_clear(store: tuple[QueryService, Seeded, str], q: str, message: str) -> None:
    """A malformed query is a BadQuery naming the problem, never a database error."""
    svc, _, _ = store
    with pytest.raises(BadQuery, match=message):
        svc.search(ArticleQuery(q=q))


def test_operators_and_quotes_in_words_are_data(store: tuple[QueryService, Seeded, str]) -> None:
    """FTS5 and tsquery operators typed as words are searched for (or refused), never executed."""
    svc, _, _ = store
    for q in ["NEAR(a b)", "title:ceasefire", "a & b | !c", "x'); DROP TABLE articles; --",
              "ceasefire AND NOT", "^ceasefire", "a\\b", "(ceasefire", "a <-> b"]:
        svc.search(ArticleQuery(q=q))
    with pytest.raises(BadQuery):
        svc.search(ArticleQuery(q="ceasefire:*"))
    assert ids(svc, q="ceasefire")


def test_snippets_are_html_safe(store: tuple[QueryService, Seeded, str]) -> None:
    """Text from feeds is escaped; only the <mark> elements are markup."""
    svc, s, _ = store
    hit = svc.search(ArticleQuery(q="rejected")).items[0]
    assert hit.id == s.articles[1]
    assert "<script>" not in hit.snippet_html and "<mark>rejected</mark>" in hit.snippet_html
    for q in ("rejec*", '"the U.S.-proposed" rejec*'):  # prefixes: highlighted in Python on SQLite
        hit = svc.search(ArticleQuery(q=q)).items[0]
        assert "<script>" not in hit.snippet_html and "<mark>rejected</mark>" in hit.snippet_html
    assert "<mark>Стамбуле</mark>" in svc.search(ArticleQuery(q="стамбул*")).items[0].snippet_html
    listed = next(h for h in svc.search(ArticleQuery(limit=100)).items if h.id == s.articles[1])
    assert "<script>" not in listed.snippet_html and "&lt;script&gt;" in listed.snippet_html


def test_filters_combine(store: tuple[QueryService, Seeded, str]) -> None:
    """Date, feed, round, term, proposer and relevance filters narrow together."""
    svc, s, _ = store
    a, f = s.articles, s.feeds
    assert set(ids(svc, q="Istanbul", relevant=False)) == {a[2]}
    assert set(ids(svc, q="ceasefire", feed=f[0], until=T0.date() + timedelta(days=9))) == {a[0], a[4]}
    assert set(ids(svc, term="ceasefire.general", proposer="US")) == {a[1]}
    assert set(ids(svc, term="ceasefire.maritime")) == {a[4]}
    assert set(ids(svc, proposer="RU")) == {a[3]}
    assert set(ids(svc, round=s.rounds[0])) == {a[0], a[3]}
    assert set(ids(svc, round=s.rounds[0], q="Istanbul")) == {a[0]}
    day2 = (T0 + timedelta(days=2)).date()
    assert set(ids(svc, since=day2, until=day2 + timedelta(days=2))) == {a[1], a[2], a[3]}
    assert ids(svc, q="ceasefire", term="ceasefire.general", proposer="UA", limit=100)[-1] == a[0]
    with pytest.raises(BadQuery, match="after until"):
        svc.search(ArticleQuery(since=date(2025, 6, 5), until=date(2025, 6, 1)))


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_pages_stable_while_articles_arrive(store: tuple[QueryService, Seeded, str], sort: str) -> None:
    """Paging by cursor returns the first page's snapshot, in order, whatever arrives meanwhile."""
    svc, s, db_url = store
    whole = ids(svc, q="ceasefire", sort=sort, limit=100)
    assert len(whole) > 20
    engine = make_engine(db_url)
    seen: list[int] = []
    cursor = None
    n = 0
    while True:
        page = svc.search(ArticleQuery(q="ceasefire", sort=sort, limit=7, cursor=cursor))  # type: ignore[arg-type]
        seen += [h.id for h in page.items]
        with Session(engine) as sess:  # news keeps coming, some newer, some "older", all matching
            for k in range(3):
                add_article(sess, s.feeds[0], f"Ceasefire ceasefire breaking {n}-{k}", "ceasefire now",
                            "ceasefire", T0 + timedelta(days=20 if k else -20, minutes=n))
            sess.commit()
        n += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    engine.dispose()
    assert seen == whole
    fresh = ids(svc, q="ceasefire", sort=sort, limit=100)
    assert len(fresh) == len(whole) + 3 * n


def test_cursor_belongs_to_its_query(store: tuple[QueryService, Seeded, str]) -> None:
    """A cursor from another query, or a made-up one, is a clear BadQuery."""
    svc, _, _ = store
    cursor = svc.search(ArticleQuery(q="ceasefire", limit=2)).next_cursor
    assert cursor
    with pytest.raises(BadQuery, match="another query"):
        svc.search(ArticleQuery(q="Istanbul", limit=2, cursor=cursor))
    with pytest.raises(BadQuery, match="not a cursor"):
        svc.search(ArticleQuery(q="ceasefire", cursor="garbage!"))


def test_index_follows_updates_and_deletes(store: tuple[QueryService, Seeded, str]) -> None:
    """Editing and deleting articles keeps the index in step (triggers / generated column)."""
    svc, s, db_url = store
    engine = make_engine(db_url)
    with Session(engine) as sess:
        sess.execute(update(Article).where(Article.id == s.articles[2])  # type: ignore[arg-type]
                     .values(title="Zaporizhzhia plant inspection"))
        sess.execute(delete(Article).where(Article.id == s.articles[4]))  # type: ignore[arg-type]
        sess.commit()
    engine.dispose()
    assert ids(svc, q="zaporizhzhia") == [s.articles[2]]
    assert ids(svc, q="draw") == []
    assert ids(svc, q="Riyadh") == []


def test_row_cap_says_it_truncated(db_url: str) -> None:
    """Asking for more rows than the cap returns the cap and says so."""
    engine = make_engine(db_url)
    seed(engine)
    engine.dispose()
    svc = QueryService(db_url, Limits(max_rows=5))
    page = svc.search(ArticleQuery(q="ceasefire", limit=50))
    assert len(page.items) == 5 and page.truncated and page.limit == 5 and page.next_cursor
    assert not svc.search(ArticleQuery(q="ceasefire", limit=5)).truncated
    rounds = QueryService(db_url, Limits(max_rows=1), engine=svc.engine).rounds()
    assert len(rounds.items) == 1 and rounds.truncated
    assert not svc.rounds().truncated
    svc.close()


def test_search_ranks_the_newest_window(db_url: str) -> None:
    """A text search ranks the newest `window` matches, and says the window cut it."""
    engine = make_engine(db_url)
    seed(engine)
    engine.dispose()
    everything = QueryService(db_url, Limits(window=10_000))
    matching = sorted(h.id for h in everything.search(ArticleQuery(q="ceasefire", limit=100)).items)
    assert not everything.search(ArticleQuery(q="ceasefire", limit=100)).truncated
    everything.close()
    svc = QueryService(db_url, Limits(window=5))
    for sort in ("relevance", "newest"):
        page = svc.search(ArticleQuery(q="ceasefire", limit=50, sort=sort))  # type: ignore[arg-type]
        assert sorted(h.id for h in page.items) == matching[-5:] and page.truncated
        first = svc.search(ArticleQuery(q="ceasefire", limit=3, sort=sort))  # type: ignore[arg-type]
        second = svc.search(ArticleQuery(q="ceasefire", limit=3, sort=sort,  # type: ignore[arg-type]
                                         cursor=first.next_cursor))
        assert first.truncated and second.truncated and len(second.items) == 2
    svc.close()


def test_collapse_by_story(store: tuple[QueryService, Seeded, str]) -> None:
    """With collapse, a story shows once: its best match (or its newest article)."""
    svc, s, _ = store
    plain = ids(svc, q="ceasefire", limit=100)
    collapsed = ids(svc, q="ceasefire", limit=100, collapse=True)
    story = set(s.fillers[:10])
    assert len(collapsed) == len(plain) - 9
    best = next(i for i in plain if i in story)
    assert collapsed == [i for i in plain if i not in story or i == best]
    newest = ids(svc, limit=100, collapse=True)
    assert [i for i in newest if i in story] == [max(story)]
    hit = svc.search(ArticleQuery(q="ceasefire", collapse=True, limit=100)).items
    assert {h.story_id for h in hit if h.id in story} == {s.story}
    pages, cursor = [], None
    while True:  # cursor pages over the collapsed list
        page = svc.search(ArticleQuery(q="ceasefire", collapse=True, limit=4, cursor=cursor))
        pages += [h.id for h in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert pages == collapsed


def test_time_limit_stops_a_long_query(db_url: str) -> None:
    """A query past the time limit is stopped and reported as QueryTimeout."""
    svc = QueryService(db_url, Limits(timeout=0.2))
    slow = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) "
            "SELECT count(*) FROM c")
    with pytest.raises(QueryTimeout, match="time limit"), read_session(svc.engine, svc.limits) as s:
        s.execute(text(slow)).scalar()
    with read_session(svc.engine, svc.limits) as s:  # the connection is usable again
        assert s.execute(text("SELECT 1")).scalar() == 1
    svc.close()


def test_sessions_are_read_only(db_url: str) -> None:
    """The query side cannot write, even by mistake."""
    svc = QueryService(db_url)
    with pytest.raises(DBAPIError), read_session(svc.engine, svc.limits) as s:
        s.execute(text("DELETE FROM feeds"))
    svc.close()


def test_sqlite_search_objects_exist_at_head(tmp_path: object, sqlite_template: object) -> None:
    """No later migration may silently drop the FTS triggers or the time index (a rebuild of
    `articles` in Alembic's batch mode does: it reflects neither)."""
    engine = make_engine(f"sqlite:///{sqlite_template}")
    with engine.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    engine.dispose()
    assert {"articles_fts_ai", "articles_fts_ad", "articles_fts_au", "ix_articles_when"} <= names
