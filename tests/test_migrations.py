"""The schema: migrations build it on empty stores, agree with the models, and are required."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import monitor.store.models  # noqa: F401  (registers every table)
from monitor.errors import SchemaNotAtHead
from monitor.store.db import current_revision, head_revision, make_engine, require_head, upgrade


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

    from monitor.store.db import alembic_config

    command.downgrade(alembic_config(db_url), "base")
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    upgrade(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
