"""Outbox: when the sender gave up on a message (its reason stays in last_error).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as table:
        table.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    # A message already given up on (neither sent nor due) failed at its last attempt; when is unknown.
    op.execute("UPDATE outbox_messages SET failed_at = created_at WHERE sent_at IS NULL AND next_attempt_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as table:
        table.drop_column("failed_at")
