"""`monitor feeds …`: the list of polled feeds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.app import app, console, err_console, state
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from sqlalchemy import Engine

feeds_app = typer.Typer(help="Add, list and remove feeds.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")


def _engine() -> Engine:
    """The store, at head, with the config file's feeds in it."""
    from monitor.pipeline import utcnow
    from monitor.store.db import make_engine, require_head
    from monitor.store.polling import sync_config_feeds

    settings = state.settings()
    engine = make_engine(settings.database.url)
    require_head(engine)
    sync_config_feeds(engine, settings.feeds, utcnow())
    return engine


def _headers(pairs: list[str] | None) -> dict[str, str] | None:
    """`Name: value` strings to a dict, refusing malformed ones."""
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise typer.BadParameter(f"header must be 'Name: value', got {pair!r}")
        out[name.strip()] = value.strip()
    return out


@feeds_app.command("add")
def feeds_add(
    url: str,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    interval: Annotated[str | None, typer.Option(help="Poll interval, e.g. 15m.")] = None,
    header: Annotated[list[str] | None, typer.Option(
        help="Request header 'Name: value' sent with every fetch (repeatable).")] = None,
) -> None:
    """Add a feed by URL (stored in the database; polled from the next tick)."""
    from monitor.pipeline import utcnow
    from monitor.settings import parse_duration
    from monitor.store.feeds import add_feed

    seconds = int(parse_duration(interval).total_seconds()) if interval else None
    info = add_feed(_engine(), url, name=name, interval_seconds=seconds, now=utcnow(),
                    headers=_headers(header))
    console.print(f"feed {info.id}: {info.url}", highlight=False)


@feeds_app.command("import")
def feeds_import(
    file: Annotated[Path, typer.Argument(help="OPML file, or - for standard input.")],
) -> None:
    """Add every feed of an OPML file; feeds already present are left as they are."""
    from monitor.opml import read_opml
    from monitor.pipeline import utcnow
    from monitor.store.feeds import add_feed, list_feeds

    data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    feeds = read_opml(data)
    engine = _engine()
    known = {f.url for f in list_feeds(engine)}
    added = 0
    for feed in feeds:
        if feed.url in known:
            continue
        try:
            add_feed(engine, feed.url, name=feed.name, source="opml", now=utcnow())
        except MonitorError as exc:  # one bad outline must not stop the import
            err_console.print(f"skipped {feed.url}: {exc}", highlight=False)
            continue
        added += 1
    console.print(f"{added} feeds added, {len(feeds) - added} already present or skipped",
                  highlight=False)


@feeds_app.command("export")
def feeds_export(
    file: Annotated[Path | None, typer.Argument(help="Output file; default standard output.")] = None,
) -> None:
    """Write every feed as OPML 2.0."""
    from monitor.opml import OpmlFeed, write_opml
    from monitor.store.feeds import list_feeds

    data = write_opml(OpmlFeed(f.url, f.name or f.title) for f in list_feeds(_engine()))
    if file is None:
        sys.stdout.buffer.write(data)
    else:
        file.write_bytes(data)


@feeds_app.command("remove")
def feeds_remove(key: Annotated[str, typer.Argument(help="Feed id or URL.")]) -> None:
    """Remove a feed and the articles only it carried."""
    from monitor.store.feeds import remove_feed

    info = remove_feed(_engine(), key)
    console.print(f"removed feed {info.id}: {info.url}", highlight=False)


@feeds_app.command("list")
def feeds_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines for scripts.")] = False,
) -> None:
    """List feeds with their schedule and health (the query the API's /api/feeds runs)."""
    from rich.table import Table

    from monitor.query import Limits, QueryService
    from monitor.store.feeds import HealthRule

    settings = state.settings()
    engine = _engine()
    svc = QueryService(settings.database.url, Limits.from_settings(settings.server),
                       engine=engine, health=HealthRule.of(settings.fetch))
    page = svc.feeds()
    if as_json:
        for f in page.items:
            print(f.model_dump_json())
        return
    table = Table("id", "name / url", "health", "last", "next check", "errors", "articles")
    for f in page.items:
        state_text: str = f.health
        if not f.enabled:
            state_text += f": {f.disabled_reason or ''}"
        elif f.health == "silent" and (f.last_new_at or f.last_success_at):
            state_text += f" since {(f.last_new_at or f.last_success_at):%Y-%m-%d}"
        last = f.last_outcome or "never"
        if f.last_error:
            last += f" ({f.last_error[:60]})"
        table.add_row(str(f.id), f"{f.name or f.title or ''}\n{f.url}", state_text, last,
                      f"{f.next_check_at:%Y-%m-%d %H:%M}" if f.next_check_at else "-",
                      str(f.error_count), str(f.articles))
    console.print(table)
    if page.truncated:
        console.print(f"(cut to server.max_rows = {page.limit})", highlight=False)
