"""full-text search over articles: SQLite FTS5 with triggers, PostgreSQL tsvector with GIN

Revision ID: search1
Revises: facts1
Create Date: 2026-11-23 03:40:00

The objects made here are not SQLModel tables; the drift test skips them by the names in
monitor.query.search.FTS_OBJECTS. A later migration that makes SQLite *recreate* `articles`
(batch mode "move and copy") drops the triggers below and must create them again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "search1"
down_revision: str | None = "facts1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# unicode61 without stemming and 'simple' on PostgreSQL: both backends match the same words
# (English, Ukrainian, Russian alike) and prefix* searches behave predictably.
SQLITE_UP = [
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, summary, content,
        content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0'
    )""",
    """CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, summary, content)
        VALUES (new.id, new.title, new.summary, new.content);
    END""",
    """CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, content)
        VALUES ('delete', old.id, old.title, old.summary, old.content);
    END""",
    """CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, summary, content ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, content)
        VALUES ('delete', old.id, old.title, old.summary, old.content);
        INSERT INTO articles_fts(rowid, title, summary, content)
        VALUES (new.id, new.title, new.summary, new.content);
    END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
]
# A generated column stays in step with every insert and update without a trigger. Title
# weighs most (A), then summary (B), then content (C); content is cut at 100k characters
# because a tsvector is limited to 1 MB and an over-long article must not fail its ingest.
PG_UP = [
    """ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple'::regconfig, coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('simple'::regconfig, left(coalesce(content, ''), 100000)), 'C')
    ) STORED""",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
]


def upgrade() -> None:
    """Upgrade."""
    for stmt in SQLITE_UP if op.get_bind().dialect.name == "sqlite" else PG_UP:
        op.execute(stmt)


def downgrade() -> None:
    """Downgrade."""
    for stmt in SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else PG_DOWN:
        op.execute(stmt)
