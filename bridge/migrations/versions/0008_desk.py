"""The review board's side of a ticket: assignee, targets met, the paused clock, splits, articles wanted.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

Tickets gain who works on them, when the response and resolution targets were met, the
resolution target, since when the ticket waits on the customer (the clock is stopped), the
ticket it was split from, and the board's "needs an article" flag; the indexes the queue filters
and orders by. Contacts gain whether status changes are mailed to them (replies always are).
Outbox messages keep the Message-ID we gave them, so a customer's reply can be matched to its
ticket by In-Reply-To or References.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    # ADD COLUMN in place, as in 0007: no ticket row is copied on SQLite.
    op.add_column("tickets", sa.Column("assignee", sa.String(320), nullable=True))
    for column in ("responded_at", "resolve_by", "resolved_at", "waiting_since"):
        op.add_column("tickets", sa.Column(column, TIMESTAMP, nullable=True))
    op.add_column("tickets", sa.Column("needs_article", sa.Boolean, nullable=False, server_default=sa.false()))
    split_from = op.f("fk_tickets_split_from_tickets")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE tickets ADD COLUMN split_from INTEGER CONSTRAINT {split_from} REFERENCES tickets (id)")
    else:
        op.add_column("tickets", sa.Column("split_from", sa.Integer, nullable=True))
        op.create_foreign_key(split_from, "tickets", "tickets", ["split_from"], ["id"])
    op.create_index(op.f("ix_tickets_assignee"), "tickets", ["assignee"])
    op.create_index(op.f("ix_tickets_split_from"), "tickets", ["split_from"])
    op.create_index(op.f("ix_tickets_respond_by"), "tickets", ["respond_by"])
    op.create_index("ix_tickets_product_status", "tickets", ["product", "status"])
    op.add_column("contacts", sa.Column("status_mail", sa.Boolean, nullable=False, server_default=sa.true()))
    op.add_column("outbox_messages", sa.Column("message_id", sa.String(255), nullable=True))
    op.create_index(op.f("ix_outbox_messages_message_id"), "outbox_messages", ["message_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_messages_message_id"), table_name="outbox_messages")
    with op.batch_alter_table("outbox_messages", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("message_id")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("status_mail")
    for index in ("ix_tickets_product_status", op.f("ix_tickets_respond_by"), op.f("ix_tickets_split_from"),
                  op.f("ix_tickets_assignee")):
        op.drop_index(index, table_name="tickets")
    with op.batch_alter_table("tickets", table_kwargs={"sqlite_autoincrement": True}) as batch:
        if op.get_bind().dialect.name != "sqlite":
            batch.drop_constraint(op.f("fk_tickets_split_from_tickets"), type_="foreignkey")
        for column in ("split_from", "needs_article", "waiting_since", "resolved_at", "resolve_by", "responded_at",
                       "assignee"):
            batch.drop_column(column)
