"""Full-text search on each backend: the match condition, its rank, and HTML-safe snippets."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    FromClause,
    Table,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlmodel import Session

from monitor.query.highlight import highlight
from monitor.query.syntax import PG_CONFIG, Query, to_fts5, to_tsquery
from monitor.store.models import Article

# What the search migrations create that SQLModel does not model: the drift test skips these.
FTS_OBJECTS = (
    "articles_fts", "articles_fts_data", "articles_fts_idx", "articles_fts_docsize",
    "articles_fts_config", "articles_fts_content",
    "search_vector", "ix_articles_search_vector", "ix_articles_when",
)

# Markers the database puts around matches. Private-use characters survive html.escape
# untouched, so the text is escaped first and only then are the markers turned into <mark>.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
# bm25 column weights (title, summary, content): a word in the title counts most.
BM25_WEIGHTS = (10.0, 4.0, 1.0)
SNIPPET_TOKENS = 24
_HEADLINE = (f'StartSel="{MARK_OPEN}", StopSel="{MARK_CLOSE}", MaxWords=30, MinWords=12, '
             'MaxFragments=2, FragmentDelimiter=" … "')
_FTS = table("articles_fts", column("rowid"))


def articles_table() -> Table:
    """The articles table (typed for the type checker)."""
    t = Article.__table__  # type: ignore[attr-defined]
    assert isinstance(t, Table)
    return t


def safe_html(raw: str) -> str:
    """Escape text from feeds, then turn the match markers into <mark> elements."""
    return html.escape(raw, quote=True).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")


def plain_excerpt(text: str, chars: int = 220) -> str:
    """The first words of a text, escaped, for listings without a search."""
    text = " ".join(text.split())
    if len(text) > chars:
        text = text[:chars].rsplit(" ", 1)[0] + " …"
    return html.escape(text.replace(MARK_OPEN, "").replace(MARK_CLOSE, ""), quote=True)


@dataclass(frozen=True)
class Match:
    """A search on one backend: what to select from, the condition and the rank (higher first)."""

    source: FromClause
    where: ColumnElement[bool]
    rank: ColumnElement[float]
    newest_first: ColumnElement[Any]  # the order the index yields matches in, newest first


def match(dialect: str, q: Query) -> Match:
    """The backend's full-text condition and rank over `articles`."""
    a = articles_table()
    if dialect == "sqlite":
        fts: ColumnElement[Any] = literal_column("articles_fts")
        where = fts.op("MATCH")(bindparam("fts_query", to_fts5(q)))
        rank = -func.bm25(fts, *BM25_WEIGHTS)
        return Match(_FTS.join(a, a.c.id == _FTS.c.rowid), where, rank, _FTS.c.rowid.desc())
    vector: ColumnElement[Any] = literal_column("articles.search_vector")
    tsq = to_tsquery(q)
    # float4 from ts_rank does not survive a trip through text; float8 does (cursor keys).
    return Match(a, vector.op("@@")(tsq), func.ts_rank(vector, tsq).cast(Double()), a.c.id.desc())


def snippets(session: Session, q: Query, ids: Sequence[int]) -> dict[int, str]:
    """HTML-safe excerpts with the matches marked, for the articles of one page."""
    if not ids:
        return {}
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite and any(t.prefix for alt in q.include for t in alt.terms):
        a = articles_table()
        rows = session.execute(select(a.c.id, a.c.title, a.c.summary, func.substr(a.c.content, 1, 20000))
                               .where(a.c.id.in_(list(ids)))).all()
        return {int(i): highlight(parts, q, SNIPPET_TOKENS) for i, *parts in rows}
    if sqlite:
        fts: ColumnElement[Any] = literal_column("articles_fts")
        snip = func.snippet(fts, -1, MARK_OPEN, MARK_CLOSE, "…", SNIPPET_TOKENS)
        stmt: Any = select(_FTS.c.rowid, snip).where(
            fts.op("MATCH")(bindparam("fts_query", to_fts5(q))), _FTS.c.rowid.in_(list(ids)))
    else:
        a = articles_table()
        body = a.c.title + " … " + a.c.summary + " " + func.left(a.c.content, 20000)
        snip = func.ts_headline(literal_column(f"'{PG_CONFIG}'::regconfig"), body,
                                to_tsquery(q), bindparam("headline_opts", _HEADLINE))
        stmt = select(a.c.id, snip).where(a.c.id.in_(list(ids)))
    return {int(i): safe_html(s or "") for i, s in session.execute(stmt).all()}
