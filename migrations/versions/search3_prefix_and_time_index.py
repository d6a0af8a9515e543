"""search: FTS5 prefix index, and an index on the articles' time for newest-first lists

Revision ID: search3
Revises: search2
Create Date: 2026-11-23 04:20:00

A prefix query (negotiat*) without a prefix index merges the lists of every word sharing the
prefix; with one it reads one list. Lists of articles newest first order by
coalesce(published_at, fetched_at), which only an index on that expression serves at a
million rows. Neither object is modelled; FTS_OBJECTS in monitor.query.search names them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "search3"
down_revision: str | None = "search2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fts(prefix: str) -> list[str]:
    """Re-create the FTS5 table (the triggers keep working: they name it) and re-index."""
    options = f", prefix='{prefix}'" if prefix else ""
    return [
        "DROP TABLE articles_fts",
        f"""CREATE VIRTUAL TABLE articles_fts USING fts5(
            title, summary, content,
            content='articles', content_rowid='id',
            tokenize='unicode61 remove_diacritics 0'{options}
        )""",
        "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
    ]


WHEN_INDEX = "CREATE INDEX ix_articles_when ON articles ((coalesce(published_at, fetched_at)), id)"


def upgrade() -> None:
    """Upgrade."""
    if op.get_bind().dialect.name == "sqlite":
        for stmt in _fts("3"):
            op.execute(stmt)
    op.execute(WHEN_INDEX)


def downgrade() -> None:
    """Downgrade."""
    op.execute("DROP INDEX IF EXISTS ix_articles_when")
    if op.get_bind().dialect.name == "sqlite":
        for stmt in _fts(""):
            op.execute(stmt)
