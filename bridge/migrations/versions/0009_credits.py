"""Credits: the append-only ledger, each ticket's assessment, quotes for work outside the agreement.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

Tickets gain the customer's consent to charges (agree, or quote first) and the start of any
out-of-hours cover they asked for, both added in place (no copy of the tickets table).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "credit_entries",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("organisation_id", sa.Integer, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.Integer, nullable=True),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_entries")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_credit_entries_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_credit_entries_ticket_id_tickets")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_credit_entries_organisation_id"), "credit_entries", ["organisation_id"])
    op.create_index(op.f("ix_credit_entries_ticket_id"), "credit_entries", ["ticket_id"])
    op.create_table(
        "ticket_assessments",
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("assessed_by", sa.String(320), nullable=False),
        sa.Column("assessed_at", TIMESTAMP, nullable=False),
        sa.Column("approved_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_assessments")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_assessments_ticket_id_tickets")),
    )
    op.create_table(
        "work_quotes",
        sa.Column("id", sa.Integer, sa.Identity()),
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("cost", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timescale", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("offered_by", sa.String(320), nullable=False),
        sa.Column("offered_at", TIMESTAMP, nullable=False),
        sa.Column("decided_by", sa.String(320), nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_quotes")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_work_quotes_ticket_id_tickets")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_work_quotes_ticket_id"), "work_quotes", ["ticket_id"])
    op.add_column("tickets", sa.Column("credit_consent", sa.String(16), nullable=True))
    op.add_column("tickets", sa.Column("cover_from", TIMESTAMP, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("cover_from")
        batch.drop_column("credit_consent")
    op.drop_table("work_quotes")
    op.drop_table("ticket_assessments")
    op.drop_table("credit_entries")
