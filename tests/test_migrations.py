"""The schema: migrations build it on empty stores, agree with the models, and are required."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import monitor.store.models  # noqa: F401  (registers every table)
from monitor.errors import SchemaNotAtHead
from monitor.store.db import (
    HEAD,
    PAGE_SIZE,
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    require_head,
    upgrade,
)


def _ignored_objects() -> set[str]:
    """Objects the migrations create that SQLModel does not model (full-text search)."""
    try:
        from monitor.query.search import FTS_OBJECTS  # type: ignore[import-not-found]
    except ImportError:
        return set()
    return set(FTS_OBJECTS)


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Skip full-text objects and Alembic's own table."""
    ignored = _ignored_objects()
    if name in ignored or name == "alembic_version":
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and table.name in ignored)


def test_models_and_migrations_agree(db_url: str) -> None:
    """Autogenerate against a store at head finds nothing to change (no drift)."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "include_object": _include})
        diff = compare_metadata(ctx, SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_builds_an_empty_store(tmp_path: Any) -> None:
    """`db upgrade` on a new SQLite file (its folder too) reaches head."""
    url = f"sqlite:///{tmp_path}/new/sub/monitor.db"
    upgrade(url)
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    require_head(engine)
    engine.dispose()


def test_new_sqlite_store_has_8k_pages_and_old_ones_keep_theirs(tmp_path: Any) -> None:
    """New files get PAGE_SIZE pages (WAL); a store made with 4 KB pages opens and keeps them."""
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    upgrade(f"sqlite:///{tmp_path / 'new.db'}")
    for path, size in ((tmp_path / "new.db", PAGE_SIZE), (old, 4096)):
        engine = make_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar() == size
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        engine.dispose()
    assert PAGE_SIZE == 8192


def test_sqlite_full_text_index_merges_at_16_segments(tmp_path: Any) -> None:
    """search4 sets the FTS5 automerge to 16, and its downgrade back to FTS5's default 4."""
    url = f"sqlite:///{tmp_path}/m.db"

    def automerge() -> int:
        with sqlite3.connect(tmp_path / "m.db") as conn:
            row = conn.execute("SELECT v FROM articles_fts_config WHERE k = 'automerge'").fetchone()
        return int(row[0]) if row else 4  # FTS5 stores only what differs from its default

    upgrade(url)
    assert automerge() == 16
    from alembic import command

    command.downgrade(alembic_config(url), "stories2")
    assert automerge() == 4


def test_store_behind_head_is_refused(tmp_path: Any) -> None:
    """A store with no schema, or an old one, is refused with the command to run."""
    url = f"sqlite:///{tmp_path}/old.db"
    engine = make_engine(url)
    with pytest.raises(SchemaNotAtHead, match="monitor db upgrade"):
        require_head(engine)
    upgrade(url, "0001")
    if head_revision() != "0001":
        with pytest.raises(SchemaNotAtHead):
            require_head(engine)
    engine.dispose()


def test_downgrade_and_upgrade_round_trip(db_url: str) -> None:
    """Every migration can be undone and redone (both backends)."""
    upgrade(db_url, "head")
    from alembic import command

    command.downgrade(alembic_config(db_url), "base")
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    upgrade(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_head_constant_is_alembics_head() -> None:
    """HEAD, which require_head checks without Alembic, is the newest script's revision."""
    assert head_revision() == HEAD


def _alembic_revision(url: str) -> str | None:
    """The store's revision as Alembic itself reads it."""
    engine = make_engine(url)
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    return revision


def test_current_revision_reads_what_alembic_reads(db_url: str, tmp_path: Any) -> None:
    """Plain SQL on alembic_version gives Alembic's answer: at head, at an old revision, at base."""
    from alembic import command

    engine = make_engine(db_url)
    assert current_revision(engine) == _alembic_revision(db_url) == HEAD
    command.downgrade(alembic_config(db_url), "0001")
    assert current_revision(engine) == _alembic_revision(db_url) == "0001"
    command.downgrade(alembic_config(db_url), "base")  # the table stays, without a row
    assert current_revision(engine) is None and _alembic_revision(db_url) is None
    engine.dispose()
    empty = f"sqlite:///{tmp_path}/empty.db"  # no table at all
    assert current_revision(make_engine(empty)) is None and _alembic_revision(empty) is None


def test_require_head_does_not_import_alembic(sqlite_template: Any) -> None:
    """Checking the schema, as every command does at start, leaves Alembic unimported."""
    code = ("import sys\n"
            "from monitor.store.db import make_engine, require_head\n"
            f"require_head(make_engine('sqlite:///{sqlite_template}'))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
