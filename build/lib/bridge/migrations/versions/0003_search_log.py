"""The search log: searches and article feedback, with no personal data.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "search_events",
        sa.Column("id", sa.String(32)),
        sa.Column("visit_id", sa.String(64), nullable=True),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("result_count", sa.Integer, nullable=False),
        sa.Column("top_results", sa.JSON, nullable=False),
        sa.Column("confident", sa.Boolean, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("opened_url", sa.Text, nullable=True),
        sa.Column("contacted_support", sa.Boolean, nullable=False),
        sa.Column("not_helpful", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_events")),
    )
    op.create_index(op.f("ix_search_events_query"), "search_events", ["query"])
    op.create_index(op.f("ix_search_events_created_at"), "search_events", ["created_at"])
    op.create_table(
        "article_feedback",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("page", sa.Text, nullable=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("search_id", sa.String(32), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_feedback")),
    )
    op.create_index(op.f("ix_article_feedback_page"), "article_feedback", ["page"])
    op.create_index(op.f("ix_article_feedback_created_at"), "article_feedback", ["created_at"])


def downgrade() -> None:
    op.drop_table("article_feedback")
    op.drop_table("search_events")
