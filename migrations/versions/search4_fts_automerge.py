"""search: FTS5 merges its segments less eagerly (automerge 16 instead of 4)

Revision ID: search4
Revises: stories2
Create Date: 2026-11-23 17:40:00

With FTS5's default automerge of 4, every commit of a poll merges index segments as soon as
four of a size exist: a fifth of the instructions of storing a first poll's articles
(callgrind, 6,000 farm articles in transactions of 360: 2.77 G instructions, 2.15 G at 16).
At 16 a segment is rewritten about half as often. A query reads up to fifteen segments of a
size instead of three: about a tenth slower at 120,000 articles (bench/README.md). PostgreSQL
has no FTS5 table; nothing changes there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "search4"
down_revision: str | None = "stories2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _automerge(n: int) -> None:
    """Set the FTS5 table's automerge (kept in its config table, so it persists)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"INSERT INTO articles_fts(articles_fts, rank) VALUES ('automerge', {n})")


def upgrade() -> None:
    """Upgrade."""
    _automerge(16)


def downgrade() -> None:
    """Downgrade."""
    _automerge(4)
