"""Release notes announced: one row per note, unique by its file, so no build mails a note twice.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "release_notes_announced",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("product", sa.String(100), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_notes_announced")),
        sa.UniqueConstraint("path", name=op.f("uq_release_notes_announced_path")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("release_notes_announced")
