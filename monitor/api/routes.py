"""The JSON API under /api, plus /healthz and /readyz; every query goes through QueryService."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator

from monitor.api.errors import ERROR_RESPONSES, error_response
from monitor.query import ArticleQuery, QueryService
from monitor.query.values import (
    AlertRow,
    ArticleDetail,
    ArticleHit,
    FeedHealth,
    Page,
    RoundBrief,
    RoundDetail,
    TermRow,
)

MAX_ID = 2**63 - 1  # both backends' integer range; larger ids cannot exist


def _clean(value: str | None) -> str | None:
    """Refuse text no database column can hold (NUL, lone surrogates)."""
    if value is None:
        return None
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode") from None
    return value


Clean = AfterValidator(_clean)
SearchText = Annotated[str | None, Query(max_length=500, description=(
    'words, "phrases", OR, -exclude, prefix*')), Clean]
TermKey = Annotated[str | None, Query(max_length=64, description="e.g. ceasefire.general"), Clean]
Proposer = Annotated[str | None, Query(max_length=16, description="RU, UA, US, …"), Clean]
CursorText = Annotated[str | None, Query(max_length=400, description="next_cursor of the last page"),
                       Clean]
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="numeric id")]
OptId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=1000, description="rows per page; cut to server.max_rows")]

router = APIRouter(responses=ERROR_RESPONSES)


def service(request: Request) -> QueryService:
    """The app's query service."""
    svc: QueryService = request.app.state.service
    return svc


Svc = Annotated[QueryService, Depends(service)]


def article_query(
    q: SearchText = None,
    since: Annotated[date | None, Query(description="from this date (YYYY-MM-DD)")] = None,
    until: Annotated[date | None, Query(description="up to this date, inclusive")] = None,
    feed: Annotated[int | None, Query(ge=1, le=MAX_ID, description="seen in this feed")] = None,
    round: Annotated[int | None, Query(ge=1, le=MAX_ID, description="reporting this round")] = None,
    term: TermKey = None,
    proposer: Proposer = None,
    relevant: Annotated[bool | None, Query(description="relevant to the talks or not")] = None,
    sort: Annotated[Literal["relevance", "newest"] | None,
                    Query(description="relevance (default with q) or newest")] = None,
    collapse: Annotated[bool, Query(description="one article per story")] = False,
    limit: Limit = 20,
    cursor: CursorText = None,
) -> ArticleQuery:
    """The search parameters shared by the API and the Atom feed."""
    return ArticleQuery(q=q, since=since, until=until, feed=feed, round=round, term=term,
                        proposer=proposer, relevant=relevant, sort=sort, collapse=collapse,
                        limit=limit, cursor=cursor)


@router.get("/api/articles", response_model=Page[ArticleHit], tags=["articles"])
def articles(svc: Svc, query: Annotated[ArticleQuery, Depends(article_query)]) -> Page[ArticleHit]:
    """Search articles (best match first) or list them (newest first), one page at a time."""
    return svc.search(query)


@router.get("/api/articles/{article_id}", response_model=ArticleDetail, tags=["articles"],
            responses={404: ERROR_RESPONSES[400] | {"description": "no such article"}})
def article(svc: Svc, article_id: Id) -> ArticleDetail:
    """One article with its feeds, rounds and terms."""
    return svc.article(article_id)


@router.get("/api/rounds", response_model=Page[RoundBrief], tags=["rounds"])
def rounds(svc: Svc,
           status: Annotated[Literal["announced", "held", "concluded"] | None, Query()] = None,
           since: Annotated[date | None, Query(description="meetings from this date")] = None,
           until: Annotated[date | None, Query(description="meetings up to this date")] = None,
           ) -> Page[RoundBrief]:
    """Rounds of talks, newest meeting first."""
    return svc.rounds(status=status, since=since, until=until)


@router.get("/api/rounds/{round_id}", response_model=RoundDetail, tags=["rounds"],
            responses={404: ERROR_RESPONSES[400] | {"description": "no such round"}})
def round_detail(svc: Svc, round_id: Id) -> RoundDetail:
    """One round with its articles, terms and status history."""
    return svc.round(round_id)


@router.get("/api/terms", response_model=Page[TermRow], tags=["terms"])
def terms(svc: Svc,
          key: TermKey = None,
          proposer: Proposer = None,
          round: OptId = None) -> Page[TermRow]:
    """Ceasefire and settlement terms, newest first seen first."""
    return svc.terms(key=key, proposer=proposer, round_id=round)


@router.get("/api/feeds", response_model=Page[FeedHealth], tags=["feeds"])
def feeds(svc: Svc) -> Page[FeedHealth]:
    """Feeds with their health."""
    return svc.feeds()


@router.get("/api/alerts", response_model=Page[AlertRow], tags=["alerts"])
def alerts(svc: Svc,
           status: Annotated[Literal["pending", "sending", "delivered", "failed"] | None,
                             Query(description="events with a delivery in this state")] = None,
           type: Annotated[Literal["round.new", "round.updated", "terms.new"] | None,
                           Query()] = None) -> Page[AlertRow]:
    """Events, newest first, with the state of each delivery."""
    return svc.alerts(status=status, type_=type)


@router.get("/healthz", tags=["health"])
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"], responses={503: ERROR_RESPONSES[503]})
def readyz(request: Request, svc: Svc) -> Any:
    """Ready when the database answers, its schema is at head and the scheduler is alive."""
    checks = svc.readiness()
    liveness: Callable[[], bool] | None = request.app.state.liveness
    if liveness is not None:
        checks["scheduler"] = "ok" if liveness() else "not running"
    failing = {k: v for k, v in checks.items() if v != "ok"}
    if failing:
        return error_response(503, "not_ready", "not ready: " + "; ".join(
            f"{k} {v}" for k, v in failing.items()), checks)
    return JSONResponse({"status": "ready", "checks": checks})
