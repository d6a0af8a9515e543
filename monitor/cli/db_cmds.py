"""`monitor db …`: the schema."""

from __future__ import annotations

import typer

from monitor.cli.app import app, console, state
from monitor.store.db import current_revision, head_revision, make_engine, upgrade

db_app = typer.Typer(help="Create and upgrade the store's schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or upgrade the schema of the configured store (SQLite or PostgreSQL)."""
    url = state.settings().database.url
    upgrade(url, revision)
    engine = make_engine(url)
    try:
        console.print(f"schema at {current_revision(engine)} (head {head_revision()})",
                      highlight=False)
    finally:
        engine.dispose()


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the store and the code's head."""
    engine = make_engine(state.settings().database.url)
    try:
        console.print(f"store {current_revision(engine) or 'empty'}, head {head_revision()}",
                      highlight=False)
    finally:
        engine.dispose()
