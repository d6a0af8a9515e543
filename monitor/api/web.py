"""The web page: a timeline of rounds and a search over articles; server-rendered, no JS."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from monitor.api.atom import safe_url
from monitor.api.routes import Svc
from monitor.query import ArticleQuery, BadQuery
from monitor.query.values import Page, RoundBrief

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates


def _venue(r: RoundBrief) -> str:
    """City, region, country as known."""
    return ", ".join(x for x in (r.city, r.region, r.country) if x) or "venue unknown"


@cache
def templates() -> Jinja2Templates:
    """The page templates, loaded on the first page asked for.

    Jinja2 and the HTML cleaner are 3.3 MB of the daemon's memory, which polls for months
    without anyone opening the page.
    """
    import nh3
    from fastapi.templating import Jinja2Templates
    from markupsafe import Markup

    # Autoescaping is on for .html templates; the only markup let through is a snippet, and
    # that is cleaned down to <mark> elements first.
    loaded = Jinja2Templates(directory=Path(__file__).with_name("templates"))
    loaded.env.filters["snippet"] = lambda s: Markup(
        nh3.clean(s or "", tags={"mark"}, attributes={}))
    loaded.env.globals["safe_url"] = safe_url
    loaded.env.globals["venue"] = _venue
    return loaded


router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def timeline(request: Request, svc: Svc) -> Response:
    """Rounds of talks, newest first, with venue, date, status, outcome and terms."""
    rounds = svc.timeline()
    loose = [t for t in svc.terms().items if t.round_id is None]
    return templates().TemplateResponse(request, "timeline.html",
                                      {"rounds": rounds, "loose_terms": loose})


def _form_query(params: dict[str, str]) -> ArticleQuery:
    """The search form's fields; empty fields are absent, a bad one is a BadQuery."""

    def get(name: str) -> str | None:
        v = params.get(name, "").strip()
        if "\x00" in v:
            raise BadQuery(f"{name}: must not contain NUL characters")
        return v or None

    try:
        since, until = (date.fromisoformat(d) if d else None for d in (get("since"), get("until")))
        feed, round_id = (int(i) if i else None for i in (get("feed"), get("round")))
    except ValueError:
        raise BadQuery("filter: dates are YYYY-MM-DD, feed and round are numbers") from None
    relevant = {"true": True, "false": False}.get(get("relevant") or "")
    sort = get("sort")
    return ArticleQuery(q=get("q"), since=since, until=until, feed=feed, round=round_id,
                        term=get("term"), proposer=get("proposer"), relevant=relevant,
                        sort=sort if sort in ("relevance", "newest") else None,  # type: ignore[arg-type]
                        collapse=get("collapse") in ("1", "on", "true"), limit=20, cursor=get("cursor"))


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, svc: Svc) -> Response:
    """Search articles; a bad query is shown in the page with status 400."""
    params = dict(request.query_params.items())
    page: Page[Any] | None = None
    error = None
    status = 200
    query = ArticleQuery()
    try:
        query = _form_query(params)
        page = svc.search(query)
    except BadQuery as exc:
        error, status = str(exc), 400
    kept = {k: v for k, v in params.items() if k != "cursor" and v.strip()}
    next_url = None
    if page and page.next_cursor:
        next_url = f"{request.url.path}?{urlencode(kept | {'cursor': page.next_cursor})}"
    feed_url = f"{request.url_for('search_feed')}?{urlencode(kept)}"
    ctx = {"q": query.q, "since": query.since, "until": query.until, "relevant": query.relevant,
           "round": query.round, "collapse": query.collapse, "page": page, "error": error,
           "next_url": next_url, "feed_url": feed_url}
    return templates().TemplateResponse(request, "search.html", ctx, status_code=status)
