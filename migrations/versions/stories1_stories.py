"""stories: level 3 of dedup (stories, MinHash signatures, LSH buckets, title histories)

Revision ID: stories1
Revises: search1
Create Date: 2026-11-23 03:19:41
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import monitor.store.models

revision: str = "stories1"
down_revision: str | None = "search1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = monitor.store.models.UTCDateTime


def upgrade() -> None:
    """Upgrade."""
    op.create_table(
        "stories",
        sa.Column("id", BigID, autoincrement=True, nullable=False),
        sa.Column("representative_id", sa.BigInteger(), nullable=False),
        sa.Column("first_seen_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("outlets", sa.JSON(), nullable=False),
        sa.Column("rounds", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "article_signatures",
        sa.Column("article_id", BigID, autoincrement=False, nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_table(
        "article_titles",
        sa.Column("id", BigID, autoincrement=True, nullable=False),
        sa.Column("article_id", BigID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("replaced_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_article_titles_article_id", "article_titles", ["article_id"])
    op.create_table(
        "story_bands",
        sa.Column("id", BigID, autoincrement=True, nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", BigID, nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_story_bands_article_id", "story_bands", ["article_id"])
    op.create_index("ix_story_bands_key", "story_bands", ["key"])
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story_id", BigID, nullable=True))
        batch_op.create_index("ix_articles_story_id", ["story_id"], unique=False)
        batch_op.create_foreign_key("fk_articles_story_id_stories", "stories", ["story_id"],
                                    ["id"], ondelete="SET NULL")


def downgrade() -> None:
    """Downgrade."""
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_constraint("fk_articles_story_id_stories", type_="foreignkey")
        batch_op.drop_index("ix_articles_story_id")
        batch_op.drop_column("story_id")
    op.drop_index("ix_story_bands_key", table_name="story_bands")
    op.drop_index("ix_story_bands_article_id", table_name="story_bands")
    op.drop_table("story_bands")
    op.drop_index("ix_article_titles_article_id", table_name="article_titles")
    op.drop_table("article_titles")
    op.drop_table("article_signatures")
    op.drop_table("stories")
