"""stories: LSH buckets keyed by (key, article_id), without row id, foreign-key check or key index

Revision ID: stories2
Revises: search3
Create Date: 2026-11-23 06:10:00

Every article writes 32 bucket rows, so this table takes most of a first poll's writes. Before:
a row id, an index on key, an index on article_id and a foreign key checked on every insert
(four B-tree visits a row). Now the primary key (key, article_id) is the table (SQLite
WITHOUT ROWID) and answers the bucket look-ups alone; article_id keeps an index for deletes.
The foreign key's cascade is a trigger on articles: it does the same on delete and costs
nothing on insert. A later migration that rebuilds `articles` on SQLite (batch mode) drops
the triggers on it and must create this one again, as it must the full-text ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "stories2"
down_revision: str | None = "search3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_SQLITE_TRIGGER = """CREATE TRIGGER story_bands_article_gone AFTER DELETE ON articles BEGIN
    DELETE FROM story_bands WHERE article_id = old.id;
END"""
# One statement-level trigger: a prune of thousands of articles deletes their buckets in one join.
_PG_FUNCTION = """CREATE FUNCTION story_bands_article_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM story_bands b USING gone WHERE b.article_id = gone.id;
    RETURN NULL;
END $$"""
_PG_TRIGGER = """CREATE TRIGGER story_bands_article_gone AFTER DELETE ON articles
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION story_bands_article_gone()"""


def upgrade() -> None:
    """Upgrade."""
    op.drop_index("ix_story_bands_key", table_name="story_bands")
    op.drop_index("ix_story_bands_article_id", table_name="story_bands")
    op.rename_table("story_bands", "story_bands_old")
    op.create_table(
        "story_bands",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", BigID, autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("key", "article_id"),
        sqlite_with_rowid=False,
    )
    op.execute("INSERT INTO story_bands (key, article_id) "
               "SELECT DISTINCT key, article_id FROM story_bands_old")
    op.drop_table("story_bands_old")
    op.create_index("ix_story_bands_article_id", "story_bands", ["article_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    """Downgrade."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER story_bands_article_gone ON articles")
        op.execute("DROP FUNCTION story_bands_article_gone()")
    else:
        op.execute("DROP TRIGGER story_bands_article_gone")
    op.drop_index("ix_story_bands_article_id", table_name="story_bands")
    op.rename_table("story_bands", "story_bands_old")
    op.create_table(
        "story_bands",
        sa.Column("id", BigID, autoincrement=True, nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", BigID, nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO story_bands (key, article_id) "
               "SELECT key, article_id FROM story_bands_old ORDER BY article_id")
    op.drop_table("story_bands_old")
    op.create_index("ix_story_bands_article_id", "story_bands", ["article_id"])
    op.create_index("ix_story_bands_key", "story_bands", ["key"])
