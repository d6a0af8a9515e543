"""full-text search: re-create the SQLite FTS triggers that a table rebuild dropped

Revision ID: search2
Revises: stories1
Create Date: 2026-11-23 04:00:00

stories1 adds a foreign key to `articles`, which SQLite can only do by rebuilding the table
(batch "move and copy"), and a rebuilt table loses its triggers. The rows keep their ids, so
the FTS index is still right; only the triggers that keep it in step are missing. Any later
migration that rebuilds `articles` on SQLite must do the same (tests/query check it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "search2"
down_revision: str | None = "stories1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS articles_fts_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, summary, content)
        VALUES (new.id, new.title, new.summary, new.content);
    END""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, content)
        VALUES ('delete', old.id, old.title, old.summary, old.content);
    END""",
    """CREATE TRIGGER IF NOT EXISTS articles_fts_au AFTER UPDATE OF title, summary, content
        ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, summary, content)
        VALUES ('delete', old.id, old.title, old.summary, old.content);
        INSERT INTO articles_fts(rowid, title, summary, content)
        VALUES (new.id, new.title, new.summary, new.content);
    END""",
]


def upgrade() -> None:
    """Upgrade."""
    if op.get_bind().dialect.name == "sqlite":
        for stmt in TRIGGERS:
            op.execute(stmt)


def downgrade() -> None:
    """Downgrade: the triggers stay, search1's downgrade drops them with the index."""
