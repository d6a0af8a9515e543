"""`monitor articles search|show`, `rounds list`, `terms list`, `serve`: the query side's CLI."""

from __future__ import annotations

import csv
import html
import json
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from monitor.cli.app import HostOpt, PortOpt, app, console, err_console, settings_with_server, state

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.text import Text

    from monitor.query import QueryService
    from monitor.query.values import Sort

articles_app = typer.Typer(help="Search and read stored articles.", no_args_is_help=True)
rounds_app = typer.Typer(help="Negotiation rounds the store knows.", no_args_is_help=True)
terms_app = typer.Typer(help="Ceasefire and settlement terms the store knows.", no_args_is_help=True)
app.add_typer(articles_app, name="articles")
app.add_typer(rounds_app, name="rounds")
app.add_typer(terms_app, name="terms")

AsJson = Annotated[bool, typer.Option("--json", help="JSON for scripts.")]
AsCsv = Annotated[bool, typer.Option("--csv", help="CSV for spreadsheets and scripts.")]
_MARK = re.compile(r"(<mark>.*?</mark>)")


def _fail(message: str) -> NoReturn:
    """One line on stderr and exit status 2."""
    err_console.print(f"monitor: {message}", highlight=False, markup=False)
    raise SystemExit(2)


@contextmanager
def _service() -> Iterator[QueryService]:
    """The query service on the configured store; query errors become one line and exit 2."""
    from monitor.query import Limits, QueryError, QueryService
    from monitor.store.db import require_head

    settings = state.settings()
    svc = QueryService(settings.database.url, Limits.from_settings(settings.server))
    try:
        require_head(svc.engine)
        yield svc
    except QueryError as exc:
        _fail(str(exc))
    finally:
        svc.close()


def _dump(value: BaseModel) -> None:
    """JSON of a result on stdout."""
    print(value.model_dump_json(indent=2))


def _csv(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> None:
    """CSV with a header row on stdout; lists and dicts as JSON text."""
    out = csv.DictWriter(sys.stdout, fieldnames=list(fields), extrasaction="ignore")
    out.writeheader()
    for row in rows:
        out.writerow({k: _cell(json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
                      for k, v in row.items()})


def _cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text from feeds starting like a formula is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _snippet_text(snippet_html: str) -> Text:
    """A snippet for the terminal: entities decoded, matches highlighted."""
    from rich.text import Text

    text = Text()
    for part in _MARK.split(snippet_html):
        if part.startswith("<mark>"):
            text.append(html.unescape(part[6:-7]), style="bold yellow")
        else:
            text.append(html.unescape(part))
    return text


def _plain(snippet_html: str) -> str:
    """A snippet as plain text."""
    return html.unescape(_MARK.sub(lambda m: m.group(1)[6:-7], snippet_html))


def _feed_id(svc: QueryService, feed: str | None) -> int | None:
    """A feed given by id or URL."""
    if feed is None:
        return None
    if feed.isdigit():
        return int(feed)
    for f in svc.feeds().items:
        if f.url == feed:
            return f.id
    _fail(f"no such feed: {feed}")


@articles_app.command("search")
def articles_search(
    query: Annotated[str | None, typer.Argument(
        help='Words, "phrases", OR, -exclude, prefix*. Empty: newest articles.')] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date, inclusive.")] = None,
    feed: Annotated[str | None, typer.Option(help="Only articles seen in this feed (id or URL).")] = None,
    round_id: Annotated[int | None, typer.Option("--round", help="Only articles on this round.")] = None,
    term: Annotated[str | None, typer.Option(help="Only articles stating this term key.")] = None,
    proposer: Annotated[str | None, typer.Option(help="…with this proposer (RU, UA, US, …).")] = None,
    relevant: Annotated[bool | None, typer.Option(
        "--relevant/--irrelevant", help="Only relevant (or irrelevant) articles.")] = None,
    sort: Annotated[str | None, typer.Option(help="relevance (default with a query) or newest.")] = None,
    collapse: Annotated[bool, typer.Option("--collapse", help="One article per story.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Articles per page.")] = 20,
    cursor: Annotated[str | None, typer.Option(help="Continue after a page (its next_cursor).")] = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Full-text search over stored articles, best match first."""
    from rich.table import Table
    from rich.text import Text

    from monitor.query import ArticleQuery

    if sort not in (None, "relevance", "newest"):
        _fail("--sort is relevance or newest")
    with _service() as svc:
        try:
            dates = [date.fromisoformat(d) if d else None for d in (since, until)]
        except ValueError as exc:
            _fail(f"filter: {exc} (write YYYY-MM-DD)")
        s: Sort | None = sort  # type: ignore[assignment]
        page = svc.search(ArticleQuery(q=query, since=dates[0], until=dates[1],
                                       feed=_feed_id(svc, feed), round=round_id, term=term,
                                       proposer=proposer, relevant=relevant, sort=s,
                                       collapse=collapse, limit=limit, cursor=cursor))
    if as_json:
        _dump(page)
        return
    if as_csv:
        _csv([h.model_dump(mode="json") | {"snippet": _plain(h.snippet_html)} for h in page.items],
             ["id", "published_at", "source", "title", "url", "relevant", "score", "rank", "snippet"])
        return
    table = Table("id", "published", "source", "title / excerpt", show_lines=True)
    for h in page.items:
        when = h.published_at.strftime("%Y-%m-%d %H:%M") if h.published_at else ""
        cell = Text(h.title, style="bold")
        cell.append("\n")
        cell.append_text(_snippet_text(h.snippet_html))
        table.add_row(str(h.id), when, Text(h.source or ""), cell)
    console.print(table)
    footer = f"{len(page.items)} articles"
    if page.truncated:
        footer += f" (cut to the row cap of {page.limit})"
    if page.next_cursor:
        footer += f"; more with --cursor {page.next_cursor}"
    console.print(footer, highlight=False, markup=False)


@articles_app.command("show")
def articles_show(article_id: Annotated[int, typer.Argument(help="Article id.")],
                  as_json: AsJson = False) -> None:
    """One article: text, where it was seen, rounds and terms found in it."""
    with _service() as svc:
        a = svc.article(article_id)
    if as_json:
        _dump(a)
        return
    from rich.text import Text

    console.print(Text(a.title, style="bold"))
    console.print(Text(f"{a.published_at or a.fetched_at}  {a.url or ''}", style="dim"))
    console.print(Text("seen in: " + ", ".join(f.name or f.url for f in a.feeds)))
    relevance = "relevant" if a.relevant else "not relevant" if a.relevant is False else "not analysed"
    console.print(Text(f"{relevance}" + (f" (score {a.score:.2f})" if a.score is not None else "")))
    for r in a.rounds:
        console.print(Text(f"round {r.id}: {_venue(r.city, r.country)} {r.date} {r.status}"))
    for t in a.terms:
        console.print(Text(f"term: {t.key} ({t.proposer or '?'}, {t.stance})"))
    for part in (a.summary, a.content):
        if part:
            console.print()
            console.print(Text(part))


def _venue(city: str | None, country: str | None) -> str:
    """City, country."""
    return ", ".join(x for x in (city, country) if x) or "venue unknown"


@rounds_app.command("list")
def rounds_list(
    status: Annotated[str | None, typer.Option(help="announced, held or concluded.")] = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Rounds of talks, newest first."""
    from rich.table import Table
    from rich.text import Text

    with _service() as svc:
        page = svc.rounds(status=status)
    if as_json:
        _dump(page)
        return
    if as_csv:
        _csv([r.model_dump(mode="json") for r in page.items],
             ["id", "ordinal", "date", "city", "region", "country", "status", "parties", "outcome",
              "articles"])
        return
    table = Table("id", "date", "round", "venue", "parties", "status", "outcome", "articles")
    for r in page.items:
        table.add_row(str(r.id), f"{r.date}{' ~' if r.date_estimated else ''}",
                      str(r.ordinal or ""), Text(_venue(r.city, r.country)), " ".join(r.parties),
                      r.status, Text(r.outcome or ""), str(r.articles))
    console.print(table)
    if page.truncated:
        console.print(f"(cut to the row cap of {page.limit})", highlight=False)


@terms_app.command("list")
def terms_list(
    key: Annotated[str | None, typer.Option(help="Only this term key, e.g. ceasefire.general.")] = None,
    proposer: Annotated[str | None, typer.Option(help="Only this proposer (RU, UA, US, …).")] = None,
    round_id: Annotated[int | None, typer.Option("--round", help="Only terms of this round.")] = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Ceasefire and settlement terms by key and proposer, newest first."""
    from rich.table import Table
    from rich.text import Text

    with _service() as svc:
        page = svc.terms(key=key, proposer=proposer, round_id=round_id)
    if as_json:
        _dump(page)
        return
    if as_csv:
        _csv([t.model_dump(mode="json") for t in page.items],
             ["id", "key", "proposer", "stance", "round_id", "attributes", "first_seen_at", "articles"])
        return
    table = Table("id", "key", "proposer", "stance", "round", "attributes", "first seen", "articles")
    for t in page.items:
        attrs = ", ".join(f"{k}={v}" for k, v in t.attributes.items())
        table.add_row(str(t.id), t.key, t.proposer or "", t.stance, str(t.round_id or ""),
                      Text(attrs), f"{t.first_seen_at:%Y-%m-%d}" if t.first_seen_at else "",
                      str(t.articles))
    console.print(table)
    if page.truncated:
        console.print(f"(cut to the row cap of {page.limit})", highlight=False)


@app.command("serve")
def serve(host: HostOpt = None, port: PortOpt = None) -> None:
    """Serve the HTTP API, the web page and the Atom feeds (read-only), without the daemon."""
    from monitor.api.server import serve_until_signal

    serve_until_signal(settings_with_server(host, port))
