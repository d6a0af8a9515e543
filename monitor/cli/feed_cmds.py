"""`monitor feeds …`: the list of polled feeds."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from monitor.cli.app import app, console, state
from monitor.pipeline import utcnow
from monitor.settings import parse_duration
from monitor.store.db import make_engine, require_head
from monitor.store.feeds import add_feed, list_feeds, remove_feed, sync_config_feeds

feeds_app = typer.Typer(help="Add, list and remove feeds.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")


def _engine() -> Engine:
    """The store, at head."""
    settings = state.settings()
    engine = make_engine(settings.database.url)
    require_head(engine)
    sync_config_feeds(engine, settings.feeds, utcnow())
    return engine


@feeds_app.command("add")
def feeds_add(
    url: str,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    interval: Annotated[str | None, typer.Option(help="Poll interval, e.g. 15m.")] = None,
) -> None:
    """Add a feed by URL (stored in the database; polled from the next tick)."""
    seconds = int(parse_duration(interval).total_seconds()) if interval else None
    info = add_feed(_engine(), url, name=name, interval_seconds=seconds, now=utcnow())
    console.print(f"feed {info.id}: {info.url}", highlight=False)


@feeds_app.command("remove")
def feeds_remove(key: Annotated[str, typer.Argument(help="Feed id or URL.")]) -> None:
    """Remove a feed and the articles only it carried."""
    info = remove_feed(_engine(), key)
    console.print(f"removed feed {info.id}: {info.url}", highlight=False)


@feeds_app.command("list")
def feeds_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines for scripts.")] = False,
) -> None:
    """List feeds with their schedule and health."""
    feeds = list_feeds(_engine())
    if as_json:
        for f in feeds:
            print(json.dumps(asdict(f), default=str, ensure_ascii=False))
        return
    table = Table("id", "name / url", "state", "last", "next check", "errors")
    for f in feeds:
        state_text = "enabled" if f.enabled else f"disabled: {f.disabled_reason or ''}"
        last = f.last_outcome or "never"
        if f.last_error:
            last += f" ({f.last_error[:60]})"
        table.add_row(str(f.id), f"{f.name or f.title or ''}\n{f.url}", state_text, last,
                      f"{f.next_check_at:%Y-%m-%d %H:%M}" if f.next_check_at else "-",
                      str(f.error_count))
    console.print(table)
