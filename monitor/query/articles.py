"""Articles: search with filters and cursor pages, and one article with what was found in it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, column, exists, func, literal, or_, select, table
from sqlmodel import Session

from monitor.query import search
from monitor.query.cursor import Cursor, decode, digest
from monitor.query.errors import BadQuery, NotFound
from monitor.query.session import Limits
from monitor.query.syntax import Query, parse
from monitor.query.values import ArticleDetail, ArticleHit, FeedRef, Page, Sort
from monitor.store.models import ArticleEntry, Feed

_MENTIONS = table("round_mentions", column("round_id"), column("article_id"))


@dataclass(frozen=True, slots=True)
class ArticleQuery:
    """A search or listing of articles: text, filters, order and page."""

    q: str | None = None
    since: date | None = None
    until: date | None = None
    feed: int | None = None
    round: int | None = None
    term: str | None = None
    proposer: str | None = None
    relevant: bool | None = None
    sort: Sort | None = None
    collapse: bool = False  # one article per story
    limit: int = 20
    cursor: str | None = None

    def fingerprint(self) -> str:
        """Identifies the query and filters, not the page."""
        d = asdict(self)
        d.pop("cursor")
        d.pop("limit")
        return digest(d)


def _when(a: Any) -> ColumnElement[Any]:
    """An article's time: when it was published, else when it was fetched."""
    return func.coalesce(a.c.published_at, a.c.fetched_at)


def _day(d: date) -> datetime:
    """Midnight UTC of a date."""
    return datetime.combine(d, time.min, tzinfo=UTC)


def _term_filter(dialect: str, a: Any, key: str | None, proposer: str | None) -> ColumnElement[bool]:
    """Articles whose analysis names a term with this key and/or proposer (one term both)."""
    if dialect == "sqlite":
        each = func.json_each(a.c.analysis, "$.terms").table_valued("value").alias("t")
        conds = []
        if key is not None:
            conds.append(func.json_extract(each.c.value, "$.key") == key)
        if proposer is not None:
            conds.append(func.json_extract(each.c.value, "$.proposer") == proposer)
        return exists(select(literal(1)).select_from(each).where(*conds))
    pattern: dict[str, Any] = {}
    if key is not None:
        pattern["key"] = key
    if proposer is not None:
        pattern["proposer"] = proposer
    from sqlalchemy.dialects.postgresql import JSONB

    return a.c.analysis.cast(JSONB).op("@>")(literal(json.dumps({"terms": [pattern]})).cast(JSONB))


def _filters(dialect: str, a: Any, p: ArticleQuery) -> list[ColumnElement[bool]]:
    """Every filter of the query as SQL conditions; they combine with AND."""
    conds: list[ColumnElement[bool]] = []
    if p.since and p.until and p.since > p.until:
        raise BadQuery(f"filter: since ({p.since}) is after until ({p.until})")
    if p.since:
        conds.append(_when(a) >= _day(p.since))
    if p.until:
        conds.append(_when(a) < _day(p.until + timedelta(days=1)))
    if p.feed is not None:
        e = ArticleEntry.__table__.alias("e")  # type: ignore[attr-defined]
        conds.append(exists(select(literal(1)).select_from(e).where(
            e.c.article_id == a.c.id, e.c.feed_id == p.feed)))
    if p.round is not None:
        conds.append(exists(select(literal(1)).select_from(_MENTIONS).where(
            _MENTIONS.c.article_id == a.c.id, _MENTIONS.c.round_id == p.round)))
    if p.term is not None or p.proposer is not None:
        conds.append(_term_filter(dialect, a, p.term, p.proposer))
    if p.relevant is not None:
        conds.append(a.c.relevant.is_(p.relevant))
    return conds


def search_articles(session: Session, p: ArticleQuery, limits: Limits) -> Page[ArticleHit]:
    """One page of articles matching the text and filters, best match (or newest) first."""
    dialect = session.get_bind().dialect.name
    query: Query | None = parse(p.q) if p.q and p.q.strip() else None
    sort: Sort = p.sort or ("relevance" if query else "newest")
    if sort == "relevance" and query is None:
        sort = "newest"  # nothing to rank by
    limit = min(p.limit, limits.max_rows)
    a = search.articles_table()
    fingerprint = p.fingerprint()
    cur = decode(p.cursor, fingerprint) if p.cursor else None
    # The first page fixes the snapshot: articles that arrive later never shift the pages.
    as_of = cur.as_of if cur else int(
        session.execute(select(func.coalesce(func.max(a.c.id), 0))).scalar_one())

    m = search.match(dialect, query) if query else None
    conds = [a.c.id <= as_of, *_filters(dialect, a, p)]
    key: ColumnElement[Any]
    id_col: ColumnElement[Any]
    if m or p.collapse:
        # A text search ranks the newest `limits.window` matches only: finding them follows the
        # index in id order and stops, so a word in half the store costs what a rare one does.
        if m:
            inner_key = m.rank if sort == "relevance" else _when(a)
            inner = (select(a.c.id.label("id"), inner_key.label("k"), a.c.story_id.label("s"))
                     .select_from(m.source).where(m.where, *conds).order_by(m.newest_first))
        else:
            inner = (select(a.c.id.label("id"), _when(a).label("k"), a.c.story_id.label("s"))
                     .where(*conds).order_by(_when(a).desc(), a.c.id.desc()))
        w = inner.limit(limits.window).subquery("w")
        # n: the window's size before any page's cursor narrows it (is the window full?)
        cols = [w.c.id, w.c.k, func.count().over().label("n")]
        if p.collapse:  # one article per story: its best (or newest) in the window
            cols.append(func.row_number().over(partition_by=func.coalesce(w.c.s, -w.c.id),
                                               order_by=(w.c.k.desc(), w.c.id.desc())).label("rn"))
        c = select(*cols).subquery("c")
        key, id_col = c.c.k, c.c.id
        stmt: Select[Any] = select(id_col, key, c.c.n)
        if p.collapse:
            stmt = stmt.where(c.c.rn == 1)
    else:
        key, id_col = _when(a), a.c.id
        stmt = select(id_col, key, literal(0)).where(*conds)
    # bm25 reads corpus statistics, so an SQLite rank moves as articles arrive: its pages are
    # positions in the snapshot. ts_rank and times do not move: those pages are keysets.
    by_offset = m is not None and sort == "relevance" and dialect == "sqlite"
    offset = 0
    if cur and by_offset:
        if not isinstance(cur.key, int) or cur.key < 0:
            raise BadQuery("cursor: damaged; start again without it")
        offset = cur.key
    elif cur:
        stmt = stmt.where(_after(key, id_col, cur, sort))
    stmt = stmt.order_by(key.desc(), id_col.desc()).offset(offset).limit(limit + 1)
    rows = session.execute(stmt).all()
    window_full = bool(rows) and int(rows[0][2]) >= limits.window
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last_id, last_key = rows[-1][0], rows[-1][1]
        if by_offset:
            last_key = offset + limit
        elif isinstance(last_key, datetime):
            last_key = last_key.isoformat()
        next_cursor = Cursor(fingerprint, as_of, last_key, int(last_id)).encode()
    ids = [int(r[0]) for r in rows]
    ranks = {int(r[0]): float(r[1]) for r in rows} if m and sort == "relevance" else {}
    hits = _hits(session, ids, query, ranks)
    return Page[ArticleHit](items=hits, next_cursor=next_cursor, limit=limit,
                            truncated=p.limit > limits.max_rows or window_full)


def _after(key: ColumnElement[Any], id_col: ColumnElement[Any], cur: Cursor,
           sort: Sort) -> ColumnElement[bool]:
    """Rows after the cursor in (key desc, id desc) order."""
    value: Any = cur.key
    if sort == "newest":
        try:
            value = datetime.fromisoformat(str(cur.key))
        except ValueError:
            raise BadQuery("cursor: damaged; start again without it") from None
    elif not isinstance(value, int | float):
        raise BadQuery("cursor: damaged; start again without it")
    return or_(key < value, and_(key == value, id_col < cur.last_id))


def _hits(session: Session, ids: list[int], query: Query | None,
          ranks: dict[int, float]) -> list[ArticleHit]:
    """The page's articles, in the order of `ids`, with snippets."""
    if not ids:
        return []
    a = search.articles_table()
    f = Feed.__table__  # type: ignore[attr-defined]
    stmt = (select(a.c.id, a.c.title, a.c.url, a.c.feed_id, a.c.published_at, a.c.fetched_at,
                   a.c.relevant, a.c.score, a.c.summary, func.coalesce(f.c.name, f.c.title, f.c.url),
                   a.c.story_id)
            .join(f, f.c.id == a.c.feed_id).where(a.c.id.in_(ids)))
    rows = {int(r[0]): r for r in session.execute(stmt).all()}
    snips = search.snippets(session, query, ids) if query else {}
    out = []
    for i in ids:
        r = rows.get(i)
        if r is None:  # pruned between the two queries
            continue
        snippet = snips.get(i) or search.plain_excerpt(r.summary or "")
        out.append(ArticleHit(id=i, title=r.title, url=r.url, source=r[9], feed_id=r.feed_id,
                              published_at=r.published_at or r.fetched_at, relevant=r.relevant,
                              score=r.score, rank=ranks.get(i), snippet_html=snippet,
                              story_id=r.story_id))
    return out


def get_article(session: Session, article_id: int) -> ArticleDetail:
    """One article with its feeds, rounds and terms, or NotFound."""
    a = search.articles_table()
    row = session.execute(select(a).where(a.c.id == article_id)).first()
    if row is None:
        raise NotFound(f"article {article_id} does not exist")
    f = Feed.__table__  # type: ignore[attr-defined]
    e = ArticleEntry.__table__  # type: ignore[attr-defined]
    feeds = session.execute(
        select(f.c.id, f.c.url, func.coalesce(f.c.name, f.c.title)).join(e, e.c.feed_id == f.c.id)
        .where(e.c.article_id == article_id).order_by(e.c.seen_at)).all()
    refs = [FeedRef(id=i, url=u, name=n) for i, u, n in dict.fromkeys(feeds)]
    from monitor.query import facts

    rounds, terms = facts.for_article(session, article_id)
    m = row._mapping
    return ArticleDetail(
        id=m["id"], title=m["title"], summary=m["summary"], content=m["content"], url=m["url"],
        canonical_url=m["canonical_url"], author=m["author"], language=m["language"],
        published_at=m["published_at"], fetched_at=m["fetched_at"], updated_at=m["updated_at"],
        relevant=m["relevant"], score=m["score"], analysis=m["analysis"], feeds=refs,
        rounds=rounds, terms=terms, story_id=m.get("story_id"))
