"""Deflections: suggested articles that solved the problem before a ticket was raised.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deflections",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("article_url", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=True),
        sa.Column("query", sa.Text, nullable=True),
        sa.Column("page", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deflections"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_deflections_created_at", "deflections", ["created_at"])


def downgrade() -> None:
    op.drop_table("deflections")
