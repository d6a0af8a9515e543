"""`monitor db …`: the schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import typer

from monitor.cli.app import app, console, state
from monitor.errors import StoreError

db_app = typer.Typer(help="Create and upgrade the store's schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or upgrade the schema of the configured store (SQLite or PostgreSQL)."""
    from monitor.store.db import current_revision, head_revision, make_engine, upgrade

    url = state.settings().database.url
    upgrade(url, revision)
    engine = make_engine(url)
    try:
        console.print(f"schema at {current_revision(engine)} (head {head_revision()})",
                      highlight=False)
    finally:
        engine.dispose()


@db_app.command("backup")
def db_backup(target: Path = typer.Argument(..., help="File to write the copy to.")) -> None:
    """Copy a live SQLite store with SQLite's online backup API (safe while the daemon runs)."""
    from monitor.store.db import is_sqlite, sqlite_path

    url = state.settings().database.url
    path = sqlite_path(url) if is_sqlite(url) else None
    if path is None:
        raise StoreError("store: `db backup` copies SQLite stores; for PostgreSQL use pg_dump")
    if not path.exists():
        raise StoreError(f"store: {path} does not exist")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as src, sqlite3.connect(target) as dst:
        # Pages are copied in steps so the daemon's writes are not blocked for long.
        src.backup(dst, pages=1024, sleep=0.01)
    console.print(f"backed up {path} to {target}", highlight=False)


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the store and the code's head."""
    from monitor.store.db import current_revision, head_revision, make_engine

    engine = make_engine(state.settings().database.url)
    try:
        console.print(f"store {current_revision(engine) or 'empty'}, head {head_revision()}",
                      highlight=False)
    finally:
        engine.dispose()
