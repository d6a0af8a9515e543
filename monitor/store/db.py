"""Engines, sessions and the schema's version: the only place that opens the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from monitor.errors import SchemaNotAtHead, StoreError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlmodel import Session

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# The newest revision in migrations/, so that checking a store needs no Alembic import (0.07 s
# of every command's start); tests/test_migrations.py holds it equal to Alembic's head.
HEAD = "search4"
# Alembic's table of the applied revision (its default name; migrations/env.py keeps it).
VERSION_TABLE = "alembic_version"


def is_sqlite(url: str) -> bool:
    """True for an SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file behind an SQLite URL, None for memory."""
    db = make_url(url).database
    return Path(db) if db and db != ":memory:" else None


# Page size of new SQLite stores (existing ones keep theirs).
PAGE_SIZE = 8192


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL for readers beside the writer, enforced foreign keys, waiting instead of failing."""
    cur = dbapi_conn.cursor()
    # 8 KB pages: storing articles with their full-text index is 15% faster than with 4 KB.
    # It only takes on a new, empty file, so before WAL mode writes the first page.
    cur.execute(f"PRAGMA page_size={PAGE_SIZE}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Checkpoint every ~40 MB of WAL, not SQLite's 4 MB: a first poll of many feeds writes
    # hundreds of MB, and pages changed again before a checkpoint are copied once (5% faster).
    # The WAL file is cut back to 64 MB after each checkpoint.
    cur.execute(f"PRAGMA wal_autocheckpoint={40 * 2**20 // PAGE_SIZE}")
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for the store's URL, with the settings each backend needs."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"store: bad database url {url!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
        # Few prepared statements kept per connection (the driver's default is 128): multi-row
        # INSERTs come in many sizes, each a statement of its own up to hundreds of KB, and
        # a poller kept ~6 MB of them for nothing.
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False,
                                                             "timeout": 30,
                                                             "cached_statements": 16})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success, rolled back on any error."""
    # Imported here: the ORM and the models cost ~0.25 s of a start, and polls of unchanged
    # feeds write through Core statements only (monitor.store.polling).
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str) -> Config:
    """Alembic's config pointing at migrations/ and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to a revision (head by default)."""
    from alembic import command

    make_engine(url).dispose()  # creates the SQLite folder when needed
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The newest revision in migrations/, as Alembic reads it from the scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, None when it has no schema (read as Alembic stores it)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    if len(rows) > 1:  # migrations/ has one branch; several heads mean a store edited by hand
        raise StoreError(f"store: {VERSION_TABLE} holds several revisions: {', '.join(rows)}")
    return rows[0] if rows else None


def require_head(engine: Engine) -> None:
    """Refuse to work on a schema that is not at head."""
    current, head = current_revision(engine), HEAD
    if current != head:
        raise SchemaNotAtHead(
            f"store: the schema is at {current or 'nothing'}, the code needs {head}; "
            "run `monitor db upgrade`"
        )
