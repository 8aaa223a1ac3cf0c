"""The customer's side of a ticket: sign-in links, the conversation and its attachments, the sign-off.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

Only a hash of each sign-in token is stored. Attachments are kept in the database with their
message (bridge/tickets/conversation.py says why). Tickets gain the customer's sign-off (when,
rating, comment) and the ticket a follow-up was raised from.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sign_in_links",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("email", sa.String, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_links_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("author_email", sa.String, nullable=False),
        sa.Column("author_name", sa.String, nullable=False),
        sa.Column("author_role", sa.String, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("internal", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_messages")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_messages_ticket_id_tickets")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_ticket_messages_ticket_id"), "ticket_messages", ["ticket_id"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("message_id", sa.Integer, nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.ForeignKeyConstraint(["message_id"], ["ticket_messages.id"],
                                name=op.f("fk_attachments_message_id_ticket_messages")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_attachments_message_id"), "attachments", ["message_id"])
    # ADD COLUMN in place, not a batch copy of tickets: SQLite can add a nullable column with its
    # reference (Alembic only knows to copy the table for that), so no ticket row is ever copied.
    op.add_column("tickets", sa.Column("closed_at", TIMESTAMP, nullable=True))
    op.add_column("tickets", sa.Column("rating", sa.SmallInteger, nullable=True))
    op.add_column("tickets", sa.Column("rating_comment", sa.Text, nullable=True))
    follows_up = op.f("fk_tickets_follows_up_tickets")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE tickets ADD COLUMN follows_up INTEGER CONSTRAINT {follows_up} REFERENCES tickets (id)")
    else:
        op.add_column("tickets", sa.Column("follows_up", sa.Integer, nullable=True))
        op.create_foreign_key(follows_up, "tickets", "tickets", ["follows_up"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("tickets", table_kwargs={"sqlite_autoincrement": True}) as batch:
        if op.get_bind().dialect.name != "sqlite":
            batch.drop_constraint(op.f("fk_tickets_follows_up_tickets"), type_="foreignkey")
        for column in ("follows_up", "rating_comment", "rating", "closed_at"):
            batch.drop_column(column)
    op.drop_table("attachments")
    op.drop_table("ticket_messages")
    op.drop_table("sign_in_links")
