"""Tickets and the mail outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Timestamps are "timestamp with time zone" on PostgreSQL and UTC text on SQLite;
bridge.tickets.models.UtcDateTime hides the difference. Ticket ids never get
reused (identity on PostgreSQL, AUTOINCREMENT on SQLite) because the reference
a customer quotes is made from the id.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("reference", sa.String(32), nullable=True),
        sa.Column("email", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("product", sa.String, nullable=False),
        sa.Column("subject", sa.String, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("request_type", sa.String, nullable=False),
        sa.Column("covered", sa.Boolean, nullable=False),
        sa.Column("priority", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False, server_default="new"),
        sa.Column("query", sa.Text, nullable=True),
        sa.Column("page", sa.Text, nullable=True),
        sa.Column("suggested_articles", sa.JSON, nullable=False),
        sa.Column("acknowledge_by", TIMESTAMP, nullable=False),
        sa.Column("respond_by", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tickets_reference", "tickets", ["reference"], unique=True)

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("ticket_id", sa.Integer, nullable=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("recipient", sa.String, nullable=False),
        sa.Column("subject", sa.String, nullable=False),
        sa.Column("message", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_outbox_messages_ticket_id_tickets"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_messages_ticket_id", "outbox_messages", ["ticket_id"])
    op.create_index("ix_outbox_messages_next_attempt_at", "outbox_messages", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox_messages")
    op.drop_table("tickets")
